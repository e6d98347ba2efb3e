"""The badge in the holder's hands: wallet delivery (OpenID4VCI, VC-API exchange) and the
holder-bound copies a wallet receives. One module per job (docs/ARCHITECTURE.md)."""
