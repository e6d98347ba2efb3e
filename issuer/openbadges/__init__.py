"""The Open Badges 3.0 core: credential and endorsement models, JSON-LD contexts and safety,
RDFC-1.0 canonicalisation, Data Integrity and VC-JWT proofs, DIDs, status lists, baking, bounded
fetching, the verification pipeline. Pure: it imports no web framework and no database, and
nothing of the packages above it (checked by import-linter, `make lint`)."""
