"""Wallet delivery (issue #12): the holder's badge put into a digital wallet.

One module per job, each written by its own helper: `exchanges` (the VC-API issuance exchange
as the Learner Credential Wallet runs it), `holder_links` (the one-time link that proves a
person holds a badge), `errors` (what they refuse, in French and English), `mail` (the e-mail
carrying a holder link).
"""
