"""The badge in the holder's hands (issue #12): holder-bound copies, wallet delivery and
presentations, one module per job. This package builds on the issuance service and storage;
the service never imports it (the layer rule in docs/ARCHITECTURE.md).

Wallet delivery: `exchanges` (the VC-API issuance exchange as the Learner Credential Wallet
runs it), `holder_links` (the one-time link that proves a person holds a badge), `errors`
(what they refuse, in French and English), `mail` (the e-mail carrying a holder link),
`presentation_check` (the exchange's DIDAuth check and copy, wired).
"""
