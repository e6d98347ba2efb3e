"""JSON-LD "safe mode": every member of a document that JSON-LD would drop, with its JSON path.

What a JSON-LD processor drops is not in the RDF, so a Data Integrity signature does not cover it,
yet a displayer reading the JSON shows it (VERIFICATION.md R1, R18). The JavaScript wallets run
Digital Bazaar's jsonld.js in *safe mode*: every expansion or RDF step that would drop or mangle a
member emits an event, and `safeEventHandler` (jsonld.js `lib/events.js`) throws on each of these
codes:

    expansion: invalid property, free-floating scalar, empty object, object with only @id,
        object with only @value, object with only @list, object with only @language,
        null @value value, null @id value, reserved @id value, relative @id reference,
        relative @type reference, invalid @language value;
    context processing: reserved term, reserved @id value, reserved @reverse value,
        relative @vocab reference, invalid @language value;
    to RDF: relative subject / predicate / object / graph reference, blank node predicate,
        rdfDirection not set (any `@direction`).

On `@direction`: the eddsa-rdfc-2022 wallets canonicalise with `rdfDirection: i18n-datatype`, so
for them a direction is signed as a datatype; pyld, without that option, drops it. Either way
our signature and theirs would not cover the same thing, so any `@direction` is refused (the
wallets report a signature mismatch for it, `tests/test_interop_safe_mode.py`).

`find_dropped_members` reports the same set, with the jsonld.js code as `reason` (and
`invalid @included value`, a jsonld.js syntax error pyld lets through), plus one rule of ours,
`ignored keyword`: a keyword member that expansion keeps but RDF conversion ignores
(`@index`, and `@language` / `@direction` / `@version` / ... outside a value object or context).
jsonld.js lets that one through; it carries text no signature covers, so we refuse it too.

Approach, and why: pyld (our JSON-LD library) has no safe mode, and its only hook
(`on_property_dropped`) sees one kind of drop without saying where. Comparing pyld's expanded
output with the input tree does not work either: expansion renames, merges (`@nest`, `@reverse`,
type and index maps) and reorders members, so "which input member became which output member"
would need the algorithm again. So `safe_mode.walk` walks the input following the JSON-LD 1.1
Expansion Algorithm's control flow as jsonld.js writes it (`lib/expand.js`), with the JSON path
in hand, and evaluates each drop condition at the place jsonld.js emits its event. The hard parts
are left to pyld: context processing (pinned contexts only, `issuer.openbadges.contexts.document_loader`;
embedded and scoped contexts included), term and IRI expansion and the active-context
bookkeeping (type-scoped contexts, reverting them, property-scoped contexts). Nothing is built:
the walk is linear in the document (each member visited once; contexts are cached by pyld).

It reads arbitrary input: callers bound it like canonicalisation (size and depth caps first, a
worker under a time limit for shapes not seen before, see `issuer.openbadges.verification.proofs`). A
document pyld cannot expand at all raises `ExpansionFailed`; the caller reports that as the
canonicalisation failure it is.
"""

from __future__ import annotations

from typing import Any

from pyld import jsonld

from issuer.openbadges.safe_mode.dropped import DroppedMember, ExpansionFailed
from issuer.openbadges.safe_mode.walk import SafeModeWalk

MAX_REPORTED = 20
"""Dropped members reported at most, in document order (among the first 500 the walk finds)."""


def find_dropped_members(document: Any) -> list[DroppedMember]:
    """Every member of `document` jsonld.js safe mode refuses (and `ignored keyword`s), in
    document order, at most `MAX_REPORTED`. Raises `ExpansionFailed` if pyld cannot expand it."""
    walk = SafeModeWalk()
    try:
        walk.expand(walk.processor._get_initial_context(walk.options), None, document, "")
    except jsonld.JsonLdError as error:
        raise ExpansionFailed(f"JSON-LD error: {getattr(error, 'type', error)}") from error
    except (TypeError, AttributeError, KeyError, ValueError) as error:
        raise ExpansionFailed(f"JSON-LD error: {type(error).__name__}") from error
    members = [DroppedMember(path, reason) for path, reason in walk.found]
    positions: dict[int, dict[str, int]] = {}
    return sorted(members, key=lambda member: _order(document, member.path, positions)
                  )[:MAX_REPORTED]


def _order(document: Any, path: str, positions: dict[int, dict[str, int]]) -> tuple[int, ...]:
    """Document order of a JSON Pointer (position of each step among its siblings)."""
    steps: list[int] = []
    node = document
    for raw in path.split("/")[1:]:
        step = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and step in node:
            if id(node) not in positions:
                positions[id(node)] = {key: index for index, key in enumerate(node)}
            steps.append(positions[id(node)][step])
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            steps.append(int(step))
            node = node[int(step)]
        else:
            break
    return tuple(steps)
