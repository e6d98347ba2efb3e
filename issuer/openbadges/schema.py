"""JSON Schema validation with the 1EdTech OB 3.0 schemas shipped in `issuer/openbadges/schemas/`.

Each validator is built once per schema and reused (`jsonschema`'s Draft 2019-09 validator,
no format checker: formats are annotations in Draft 2019-09). Walking a
credential through it costs about 1 ms, the largest part of verifying one of our own stored
credentials once the rest is remembered; for those (`fast`, our own verifier only), the same
schema compiled by `jsonschema-rs` (Rust, about 100 × faster) first says whether the document
is valid, and the messages of an invalid one still come from `jsonschema`. A stranger's input
is always validated by `jsonschema` alone. `tests/test_schema_fast.py` checks that both agree on
every fixture and on hundreds of altered credentials.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Literal

import jsonschema_rs
from jsonschema import Draft201909Validator

SchemaName = Literal["achievementcredential", "endorsementcredential"]


@cache
def _schema(name: SchemaName) -> dict[str, Any]:
    schemas = resources.files("issuer.openbadges.schemas")
    loaded: dict[str, Any] = json.loads(
        schemas.joinpath(f"ob_v3p0_{name}_schema.json").read_text("utf-8"))
    return loaded


@cache
def _validator(name: SchemaName) -> Draft201909Validator:
    return Draft201909Validator(_schema(name))


@cache
def _fast_validator(name: SchemaName) -> jsonschema_rs.Validator:
    # Same schema, same draft, formats not asserted; never fetches anything (offline).
    return jsonschema_rs.Draft201909Validator(_schema(name), validate_formats=False,
                                              offline=True)


def schema_errors(document: Any, name: SchemaName = "achievementcredential", *,
                  fast: bool = False) -> list[str]:
    """Human-readable schema violations, `path: message`, at most 20. `fast`: the document
    is one of our own stored credentials (see the module docstring)."""
    if fast and _fast_validator(name).is_valid(document):
        return []
    errors = sorted(_validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"/{'/'.join(str(p) for p in error.absolute_path)}: {error.message[:300]}"
            for error in errors[:20]]
