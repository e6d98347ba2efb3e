"""The stored text of a signed credential (`issuer.openbadges.json_text.indented_json`) is
byte for byte what `json.dumps(..., ensure_ascii=False, indent=2)` writes, whatever the
document: holders and verifiers compare the text they were given."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from issuer.openbadges.json_text import indented_json

_LEAVES = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.text() | st.floats(allow_nan=False))
_DOCUMENTS = st.recursive(
    _LEAVES, lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(_DOCUMENTS)
def test_any_json_document_is_written_as_json_dumps_writes_it(document: Any) -> None:
    assert indented_json(document) == json.dumps(document, ensure_ascii=False, indent=2)


def test_escapes_non_ascii_and_unusual_values_match_json_dumps() -> None:
    document = {"name": "Élodie — « café » 🏅\u2028\x7f", "quote": '"\\\n\t\b\f\x01',
                "empty": {}, "none": [], "n": [0, -1, 2**64, True, False, None],
                "float": 1.5, "tuple": (1, "a"), "ordered": OrderedDict(b=1, a=2),
                "deep": [[[[[]]]]]}
    assert indented_json(document) == json.dumps(document, ensure_ascii=False, indent=2)
    assert indented_json({1: "int key"}) == json.dumps({1: "int key"}, ensure_ascii=False,
                                                       indent=2)
