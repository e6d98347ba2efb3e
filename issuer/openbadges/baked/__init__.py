"""The pieces of baking behind `issuer.openbadges.baking`: payload rules and refusals, PNG chunks,
SVG markup."""
