"""Benchmarks of the issuer: `python -m bench` (or `make bench`).

Each figure is printed beside the raw cryptographic rate measured in the same run, on the same
machine, so that the ratio says how much our own work (JSON-LD canonicalisation, JSON, the
database, files) costs on top of the signature itself. Nothing here asserts: targets are shown
as met or not, never enforced.

Modules, one measure each:
- `timing`: a measured rate and how to print it;
- `credentials`: real City credentials (catalogue data), a new id and recipient each time;
- `workloads`: raw Ed25519 / RSA-2048, Data Integrity and VC-JWT sign and verify;
- `parallel`: the same workloads in several processes at once (throughput);
- `batch`: a batch issued end to end as `issuer issue-batch` does;
- `javascript`: Digital Bazaar's signer, for reference (`--js`);
- `report`: the Markdown table (printed and written to `bench/results.md`).
"""
