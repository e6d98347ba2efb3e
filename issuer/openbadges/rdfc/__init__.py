"""The machinery of RDFC-1.0 canonicalisation behind `issuer.openbadges.canonical`: JSON-LD
expansion, the N-Quads writer, blank node labels, numbers the implementations disagree on, and
the shape cache. Callers use `issuer.openbadges.canonical`; each module here has one job."""
