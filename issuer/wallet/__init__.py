"""The badge in the holder's hands (issue #12): holder-bound copies, wallet delivery and
presentations, one module per job. This package builds on the issuance service and storage;
the service never imports it (the layer rule in docs/ARCHITECTURE.md)."""
