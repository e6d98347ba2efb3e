"""JSON from outside, parsed with a bound on nesting (issue #10 item 6).

`json.loads` recurses once per level: a 2 MB upload of `[[[[…` raises RecursionError (which is
not a ValueError, so `except json.JSONDecodeError` lets it through as a 500), and a document
parsed just under Python's recursion limit still breaks the recursive code that reads it next
(schema validation, the CASE import). No real document nests deeper than a few dozen levels.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class JSONTooDeep(ValueError):
    """The JSON nests deeper than allowed (or than the parser could follow)."""


def loads_bounded(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads`, refusing (JSONTooDeep) a document nested deeper than `max_depth`. Other
    malformed input raises json.JSONDecodeError (a ValueError) as usual."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels") from None
    if depth(value) > max_depth:
        raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels")
    return value


def depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), computed without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            deepest = max(deepest, level)
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children)
    return deepest
