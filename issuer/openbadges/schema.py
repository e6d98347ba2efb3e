"""JSON Schema validation with the 1EdTech OB 3.0 schemas shipped in `issuer/openbadges/schemas/`."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Literal

from jsonschema import Draft201909Validator

SchemaName = Literal["achievementcredential", "endorsementcredential"]


@cache
def _validator(name: SchemaName) -> Draft201909Validator:
    schemas = resources.files("issuer.openbadges.schemas")
    text = schemas.joinpath(f"ob_v3p0_{name}_schema.json").read_text("utf-8")
    return Draft201909Validator(json.loads(text))


def schema_errors(document: Any, name: SchemaName = "achievementcredential") -> list[str]:
    """Human-readable schema violations, `path: message`, at most 20."""
    errors = sorted(_validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"/{'/'.join(str(p) for p in error.absolute_path)}: {error.message[:300]}"
            for error in errors[:20]]
