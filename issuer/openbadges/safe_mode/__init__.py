"""JSON-LD safe mode behind `issuer.openbadges.jsonld_safety`: the walk that mirrors jsonld.js's
expansion, and the dropped members it reports."""
