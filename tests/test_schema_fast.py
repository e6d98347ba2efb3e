"""The fast path of the schema check (`issuer.openbadges.schema`, our own stored credentials
only): jsonschema-rs says whether a document is valid exactly when jsonschema does, on every
JSON fixture and on hundreds of altered copies of a City credential, for both schemas; a
stranger's input never takes it; the messages of an invalid document are jsonschema's."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from issuer.openbadges import schema
from issuer.openbadges.schema import SchemaName, schema_errors
from issuer.openbadges.verification import verify
from tests.test_verification import context, lists, outcomes, signed, unsigned_membership

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMAS: tuple[SchemaName, ...] = ("achievementcredential", "endorsementcredential")
REPLACEMENTS: tuple[Any, ...] = ("DELETE", None, 1, 1.5, "x", [], {}, True, "2025-13-45",
                                 "not a uri", -1)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _altered(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every member deleted, and replaced by each value of REPLACEMENTS, one at a time."""
    for path in list(_paths(document))[1:]:
        for replacement in REPLACEMENTS:
            altered = copy.deepcopy(document)
            parent: Any = altered
            for step in path[:-1]:
                parent = parent[step]
            if replacement == "DELETE":
                del parent[path[-1]]
            else:
                parent[path[-1]] = replacement
            yield altered


def _corpus() -> list[Any]:
    documents: list[Any] = []
    for path in sorted(FIXTURES.rglob("*.json")):
        try:
            documents.append(json.loads(path.read_text("utf-8")))
        except (ValueError, UnicodeDecodeError):
            continue
    credential = signed(unsigned_membership())
    return [*documents, credential, *_altered(credential)]


def test_both_validators_agree_on_every_fixture_and_altered_credential():
    corpus = _corpus()
    assert len(corpus) > 800
    invalid = 0
    for name in SCHEMAS:
        for document in corpus:
            slow = schema_errors(document, name)
            invalid += bool(slow)
            assert schema._fast_validator(name).is_valid(document) == (not slow), (
                name, json.dumps(document)[:300])
            assert schema_errors(document, name, fast=True) == slow
    assert invalid > 1000  # the corpus is mostly invalid documents: the fast path is tested


def test_a_strangers_input_never_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch):
    credential = signed(unsigned_membership())
    taken: list[bool] = []
    real = schema.schema_errors

    def spy(document: Any, name: SchemaName = "achievementcredential", *,
            fast: bool = False) -> list[str]:
        taken.append(fast)
        return real(document, name, fast=fast)

    monkeypatch.setattr("issuer.openbadges.verification.badge_type.schema_errors", spy)
    assert verify(credential, context(lists())).verdict == "valid"  # untrusted by default
    assert verify(credential, context(lists(), untrusted=False)).verdict == "valid"
    assert taken == [False, True]


def test_an_invalid_own_credential_gets_jsonschemas_messages():
    credential = signed(unsigned_membership())
    del credential["credentialSubject"]
    for untrusted in (True, False):
        report = verify(credential, context(lists(), untrusted=untrusted))
        assert outcomes(report)["schema"] == ("failed", "schema.invalid")
        assert "'credentialSubject' is a required property" in report.check("schema").message_en
