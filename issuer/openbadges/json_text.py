"""The text of a signed credential as `json.dumps(document, ensure_ascii=False, indent=2)`
writes it, byte for byte, in about 0.6 × its time.

Every issued credential is stored and handed out as that text (`IssuerService.sign`), and
Python 3.11's `json` writes indented output in pure Python, one generator step per token: about
a fifth of a batch's signing time went there (issue 14, performance goal 3). This writer
appends the same pieces to one list, with the C string escaper `json` itself uses
(`encode_basestring`, the `ensure_ascii=False` one). It handles exactly the shapes a credential
has (str keys; str, int, bool, None, dict and list values); anything else (a float, a tuple, a
subclass, a non-str key, a structure too deep) is written by `json.dumps` itself, so the text
never differs (tests/test_json_text.py compares them on generated documents).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any

INDENT = 2
_STEP = " " * INDENT


class _Unusual(Exception):
    """A value this writer leaves to `json.dumps`."""


def _write(value: Any, newline: str, parts: list[str]) -> None:
    kind = type(value)
    if kind is str:
        parts.append(encode_basestring(value))
    elif kind is dict:
        if not value:
            parts.append("{}")
            return
        inner = newline + _STEP
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual
            parts.append(separator)
            parts.append(encode_basestring(key))
            parts.append(": ")
            _write(item, inner, parts)
            separator = "," + inner
        parts.append(newline)
        parts.append("}")
    elif kind is list:
        if not value:
            parts.append("[]")
            return
        inner = newline + _STEP
        separator = "[" + inner
        for item in value:
            parts.append(separator)
            _write(item, inner, parts)
            separator = "," + inner
        parts.append(newline)
        parts.append("]")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif value is None:
        parts.append("null")
    elif kind is int:
        parts.append(int.__repr__(value))
    else:
        raise _Unusual


def indented_json(document: Any) -> str:
    """`json.dumps(document, ensure_ascii=False, indent=2)`, faster for credentials."""
    parts: list[str] = []
    try:
        _write(document, "\n", parts)
    except (_Unusual, RecursionError):
        return json.dumps(document, ensure_ascii=False, indent=INDENT)
    return "".join(parts)
