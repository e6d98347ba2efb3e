"""A cheap count over a JSON tree, to refuse a costly document before any JSON-LD work.

Expanding JSON-LD and canonicalising RDF (RDFC-1.0) cost far more than reading JSON: pyld's
expansion grows with the number of members and embedded contexts, and RDFC-1.0 is exponential in
the number of blank nodes that look alike (VERIFICATION.md R9, R16: a "poison graph" of a few blank
nodes that reference each other, or many identical objects without `id`, keeps a canonicaliser busy
for minutes). One walk over the parsed JSON, stopping at the first limit passed, counts what
drives those costs; a document over any limit is refused before it reaches pyld.

The limits are far above any real badge: the City's credentials, skill badges with dozens of
alignments, endorsements, status lists and DID documents, and every sample in `tests/fixtures`,
use at most a few percent of each (`tests/test_json_cost.py` checks it), and far below what
makes a verification take a noticeable time (`python -m bench` prints the worst case).

Written here because no library offers it: JSON Schema can bound one array or string at a time,
not the whole tree's shape, and must walk the tree anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CostLimits:
    """The most a document may hold. Each name is a quantity `measure` counts."""

    values: int = 4_000
    """JSON values of every kind: objects, arrays, strings, numbers, booleans, nulls."""
    objects: int = 300
    """JSON objects: pyld processes each one's type-scoped contexts on its own (about 1 ms)."""
    depth: int = 32
    """Nesting of objects and arrays."""
    members: int = 3_000
    """Object members (key-value pairs)."""
    longest_array: int = 200
    """Items in one array."""
    value_pairs: int = 10_000
    """Pairs of values one node property holds, summed over properties (n × (n - 1) / 2 for n
    values): pyld compares each new value of a property with all those before it, and merges
    the properties of objects that share an `id` (ten objects of one `id` with 100 tags each
    take seconds)."""
    text: int = 1_000_000
    """Characters of every string and key together (long strings cost little: an image as a
    `data:` URL is a real use)."""
    blank_objects: int = 200
    """Objects without `id` / `@id`, which JSON-LD turns into blank nodes (value objects and
    `@context` definitions aside); the same cap as the canonicaliser's blank-node count."""
    repeated_blank_objects: int = 6
    """Objects without `id` identical to a sibling under an object without `id` (the cheapest
    way to build blank nodes that RDFC-1.0 cannot tell apart: 2 × 6 take 0.7 s, 2 × 8 40 s)."""
    blank_node_labels: int = 3
    """`_:` identifiers, with which blank nodes reference each other (a clique of 6 takes 2.5 s
    to canonicalise, of 7 20 s); no real badge uses them."""
    contexts: int = 16
    """`@context` members, at any depth (each is processed on its own by JSON-LD)."""


LIMITS = CostLimits()


@dataclass(frozen=True)
class Excess:
    """The first limit a document passed: which one, the count so far, and the limit."""

    quantity: str
    count: int
    limit: int

    def __str__(self) -> str:
        return f"{self.quantity} {self.count} > {self.limit}"


class _Counter:
    def __init__(self, limits: CostLimits) -> None:
        self.limits = limits
        self.counts = dict.fromkeys(("values", "objects", "members", "text", "blank_objects",
                                     "repeated_blank_objects", "contexts", "value_pairs"), 0)
        self.labels: set[str] = set()
        self.named_values: dict[tuple[str, str], int] = {}

    def add(self, quantity: str, amount: int = 1) -> Excess | None:
        self.counts[quantity] += amount
        if self.counts[quantity] > getattr(self.limits, quantity):
            return Excess(quantity, self.counts[quantity], getattr(self.limits, quantity))
        return None

    def property_values(self, identifier: str | None, node: dict[str, Any]) -> Excess | None:
        """Adds the value pairs of `node`'s properties; the properties of objects sharing an
        `id` are one node's, so their values add up before they are paired."""
        for key, value in node.items():
            if key in ("@context", "id", "@id"):
                continue
            count = len(value) if isinstance(value, list) else 1
            if identifier is not None:
                before = self.named_values.get((identifier, key), 0)
                self.named_values[(identifier, key)] = before + count
                # (before + count) pairs minus the `before` ones already counted
                added = (before + count) * (before + count - 1) // 2 - before * (before - 1) // 2
            else:
                added = count * (count - 1) // 2
            if added:
                excess = self.add("value_pairs", added)
                if excess:
                    return excess
        return None

    def label(self, value: str) -> Excess | None:
        if value.startswith("_:"):
            self.labels.add(value)
            if len(self.labels) > self.limits.blank_node_labels:
                return Excess("blank_node_labels", len(self.labels), self.limits.blank_node_labels)
        return None


def _is_node_object(node: dict[str, Any]) -> bool:
    return not any(key in node for key in ("@value", "@list", "@set"))


def first_excess(document: Any, limits: CostLimits = LIMITS) -> Excess | None:
    """The first limit `document` (parsed JSON) passes, or None when it is within all of them.

    Iterative (no recursion, whatever the depth) and linear in the size of the part walked:
    the walk stops at the first limit passed. `@context` values are counted, not walked for
    blank nodes (they define terms; an inline context is refused later anyway)."""
    counter = _Counter(limits)
    # (value, depth, inside a @context value); objects without id are kept for the last count.
    stack: list[tuple[Any, int, bool]] = [(document, 1, False)]
    blank_objects: list[dict[str, Any]] = []
    while stack:
        node, depth, in_context = stack.pop()
        if depth > limits.depth:
            return Excess("depth", depth, limits.depth)
        excess = counter.add("values")
        if excess:
            return excess
        if isinstance(node, dict):
            excess = counter.add("objects") or counter.add("members", len(node))
            if excess:
                return excess
            if not in_context and _is_node_object(node):
                identifier = node.get("id", node.get("@id"))
                named = isinstance(identifier, str) and not identifier.startswith("_:")
                if not named:
                    blank_objects.append(node)
                    excess = counter.add("blank_objects")
                    if excess:
                        return excess
                excess = counter.property_values(identifier if named else None, node)
                if excess:
                    return excess
            for key, value in node.items():
                excess = counter.add("text", len(key))
                if excess:
                    return excess
                if key == "@context":
                    excess = counter.add("contexts")
                    if excess:
                        return excess
                stack.append((value, depth + 1, in_context or key == "@context"))
        elif isinstance(node, list):
            if len(node) > limits.longest_array:
                return Excess("longest_array", len(node), limits.longest_array)
            stack.extend((child, depth + 1, in_context) for child in node)
        elif isinstance(node, str):
            excess = counter.add("text", len(node)) or counter.label(node)
            if excess:
                return excess
    return _repeated_blank_objects(blank_objects, counter)


def _blank_children(node: dict[str, Any]) -> list[dict[str, Any]]:
    children: list[dict[str, Any]] = []
    pending: list[Any] = [value for key, value in node.items() if key != "@context"]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict) and _is_node_object(value) and not isinstance(
                value.get("id", value.get("@id")), str):
            children.append(value)
    return children


def _repeated_blank_objects(blank_objects: list[dict[str, Any]],
                            counter: _Counter) -> Excess | None:
    """Counts, under each object without id, the children without id identical to a sibling.
    RDFC-1.0 must try every order of blank nodes that look alike and are linked to the same
    blank node: that is where its cost explodes (identical objects under a named node are
    told apart by that node at no cost). Fingerprints are computed once per value, children
    first (memoised by identity), so this stays linear."""
    memo: dict[int, int] = {}

    def leaf(value: Any) -> int:
        return hash((type(value).__name__, value))

    def fingerprint(value: Any) -> int:
        # Iterative post-order: the tree is at most `depth` deep but may be wide.
        stack: list[tuple[Any, bool]] = [(value, False)]
        while stack:
            node, children_done = stack.pop()
            if id(node) in memo:
                continue
            children = node.values() if isinstance(node, dict) else node
            if not children_done:
                stack.append((node, True))
                stack.extend((child, False) for child in children
                             if isinstance(child, (dict, list)))
                continue
            marks = [memo[id(c)] if isinstance(c, (dict, list)) else leaf(c) for c in children]
            if isinstance(node, dict):
                memo[id(node)] = hash(("{", frozenset(zip(node.keys(), marks, strict=True))))
            else:
                memo[id(node)] = hash(("[", tuple(marks)))
        return memo[id(value)]

    for parent in blank_objects:
        seen: set[int] = set()
        for child in _blank_children(parent):
            mark = fingerprint(child)
            if mark in seen:
                excess = counter.add("repeated_blank_objects")
                if excess:
                    return excess
            seen.add(mark)
    return None
