"""The pieces of `issuer.openbadges.did`: its error, key encodings, DID syntax."""
