"""Open Badges 3.0 issuer of the City of Roubaix (Ville de Roubaix).

The Open Badges core (credential model, proofs, verification, status lists, baking) is plain
Python with no web or database imports; storage, the CLI and the web app sit around it.
"""

__version__ = "0.1.0"
