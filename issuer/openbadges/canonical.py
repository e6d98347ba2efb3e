"""JSON-LD to canonical N-Quads (RDFC-1.0), and what this issuer may sign.

The entry points: `canonicalize`, `to_quads`, `signable_canonical_form` over the process-wide
shape cache (`SHAPES`), the wallets' sort order (`utf16_order_canonical_form`,
`assert_one_sort_order`) and the refusals of `assert_signable`. The machinery is in
`issuer.openbadges.rdfc`, one job per module:
- pyld turns JSON-LD into RDF (with the pinned contexts only: `issuer.openbadges.contexts`), and runs the
  N-degree step of RDFC-1.0 when blank nodes tie on their first-degree hash (`rdfc.expansion`,
  `rdfc.labels`);
- pyoxigraph holds the RDF terms and checks them (IRIs, language tags);
- the first-degree hashes, the labels and the N-Quads text are written in `rdfc.labels` and
  `rdfc.nquads`, because neither library writes them as RDFC-1.0 and the wallets do;
- the shape cache (`rdfc.shape_cache`, `rdfc.templates`, `rdfc.leaf_safety`) expands one
  document of each shape, and substitutes the leaves of the next ones.

One text for every implementation: literals are written in the RDFC-1.0 canonical N-Quads form,
as rdf-canonize (the wallets) writes them (`rdfc.nquads.NQUADS_ESCAPES`); JSON numbers that pyld
and jsonld.js would write as different literals are refused (`rdfc.numbers.number_problem`);
errors of either library become `CanonicalizationError` (`rdfc.errors`). Where pyld, pyoxigraph
and rdf-canonize differ among themselves, `tests/test_canonical.py` lists each difference with a
test. Sort order: RDFC-1.0 (code points) here; `utf16_order_canonical_form` gives the wallets'
order (UTF-16 code units, `issuer.openbadges.sort_order`) when it differs, and the signer refuses
such documents (`assert_one_sort_order`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyoxigraph as ox

from issuer.errors import SigningRefused
from issuer.openbadges import contexts, sort_order
from issuer.openbadges.rdfc.errors import refusing_odd_input
from issuer.openbadges.rdfc.expansion import expand_to_quads
from issuer.openbadges.rdfc.labels import canonical_nquads_of_quads
from issuer.openbadges.rdfc.refused_characters import CONTROL_CHARACTERS, DIFFERENTLY_WRITTEN
from issuer.openbadges.rdfc.shape_cache import ShapeCache
from issuer.openbadges.safe_mode.dropped import describe_all


@refusing_odd_input
def to_quads(document: Any, *, use_cache: bool = True) -> list[ox.Quad]:
    return SHAPES.quads(document) if use_cache else expand_to_quads(document)


@refusing_odd_input
def canonicalize(document: Any, *, use_cache: bool = True) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document."""
    if use_cache:
        return SHAPES.canonical_form(document)
    return canonical_nquads_of_quads(expand_to_quads(document))


def signable_canonical_form(document: dict[str, Any]) -> str:
    """`assert_signable(document)` then `canonicalize(document)`, sharing the work."""
    return SHAPES.signable_canonical_form(document)


# --- the wallets' sort order (issuer.openbadges.sort_order) -------------------------------

@refusing_odd_input
def utf16_order_canonical_form(document: Any, canonical_form: str | None = None) -> str | None:
    """The canonical N-Quads as rdf-canonize computes them (UTF-16 code unit order in every
    sort, `issuer.openbadges.sort_order`) when they differ from RDFC-1.0's code point order; None when both
    orders give the same text, which one scan of `canonical_form` settles for nearly every
    document. A verifier accepts a signature over either (issuer.openbadges.proofs.data_integrity)."""
    text = canonicalize(document) if canonical_form is None else canonical_form
    if not sort_order.orders_may_differ(text):
        return None
    variant = canonical_nquads_of_quads(to_quads(document), utf16_order=True)
    return None if variant == text else variant


def assert_one_sort_order(document: Any, canonical_form: str) -> None:
    """Refuse to sign a document whose canonical form differs in the two orders.

    Why refuse rather than sign in the wallets' order: a signature over the UTF-16 order fails
    in every verifier that follows RDFC-1.0 (pyld, pyoxigraph, this issuer's own standard
    path), and one over the code point order fails in the wallets. Only a credential whose two
    orders agree verifies everywhere; the message names the strings to change.
    """
    if utf16_order_canonical_form(document, canonical_form) is None:
        return
    characters = sort_order.conflicting_characters(canonical_form.splitlines())
    paths = (_paths_of_strings(document, lambda text: any(c in text for c in characters))
             or _paths_of_strings(document, sort_order.has_conflict_class_characters))
    listed = ", ".join(paths[:6])
    raise SigningRefused(
        f"Ces textes seraient classés dans un ordre différent par les portefeuilles et par la "
        f"norme RDFC-1.0, et la signature serait refusée par les uns ou par les autres : "
        f"{listed}. Retirez l'emoji, ou le caractère spécial (ligature comme « ﬁ », zone à usage "
        f"privé, forme pleine chasse, U+FFFD), de l'un de ces textes.",
        f"These texts would be sorted in a different order by the wallets and by the RDFC-1.0 "
        f"standard, so one or the other would reject the signature: {listed}. Remove the "
        f"emoji, or the special character (a ligature such as 'ﬁ', private use, full-width "
        f"form, U+FFFD), from one of these texts.",
        code="sign.sort_order_ambiguous")


def _paths_of_strings(document: Any, matches: Callable[[str], bool]) -> list[str]:
    """JSON paths (`/a/0/b`) of the keys and strings of `document` for which `matches` holds."""
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if matches(key):
                    found.append(f"{path}/{key!r}")
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{path}/{index}")
        elif isinstance(node, str) and matches(node):
            found.append(path or "/")

    walk(document, "")
    return found


def find_differently_written_characters(document: Any) -> list[str]:
    """JSON paths of strings holding a character the canonical N-Quads writers disagree on
    (U+FFFE, U+FFFF: `rdfc.nquads.NQUADS_ESCAPES`)."""
    return _paths_of_strings(document, lambda text: bool(DIFFERENTLY_WRITTEN.search(text)))


def _assert_written_alike(document: Any) -> None:
    found = find_differently_written_characters(document)
    if found:
        raise SigningRefused(
            f"Caractère non valide (U+FFFE ou U+FFFF) dans le document : {', '.join(found[:5])}",
            f"Invalid character (U+FFFE or U+FFFF) in the document: {', '.join(found[:5])}",
            code="sign.noncharacter")


# --- what may be signed -------------------------------------------------------------------------

def find_control_characters(document: Any) -> list[str]:
    """JSON paths of keys or strings holding a control character (VERIFICATION.md R8)."""
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if CONTROL_CHARACTERS.search(key):
                    found.append(f"{path}/{key!r}")
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{path}/{index}")
        elif isinstance(node, str) and CONTROL_CHARACTERS.search(node):
            found.append(path or "/")

    walk(document, "")
    return found


def assert_signable(document: dict[str, Any]) -> None:
    """Refuse what would be signed differently by a verifier than by us
    (VERIFICATION.md R1, R4, R8)."""
    controls = find_control_characters(document)
    if controls:
        raise SigningRefused(
            f"Caractère de contrôle interdit dans le document : {', '.join(controls[:5])}",
            f"Control character in the document: {', '.join(controls[:5])}",
            code="sign.control_character")
    _assert_written_alike(document)
    # JSON-LD safe mode (VERIFICATION.md R18): every member expansion would drop, by form,
    # with its path
    dropped = SHAPES.dropped_members(document)
    if dropped:
        members_fr, members_en = describe_all(dropped)
        raise SigningRefused(
            f"Élément ignoré par JSON-LD, donc non couvert par la signature : {members_fr}",
            f"Member JSON-LD ignores, so not covered by the signature: {members_en}",
            code="sign.undefined_term")
    undefined = SHAPES.undefined_terms(document)
    if undefined:
        raise SigningRefused(
            f"Terme non défini par les contextes JSON-LD : {', '.join(undefined[:5])}",
            f"Term not defined by the JSON-LD contexts: {', '.join(undefined[:5])}",
            code="sign.undefined_term")
    differing = _differing_ob_terms(document)
    if differing:
        raise SigningRefused(
            f"Terme défini différemment selon les versions du contexte OB 3.0.3 : {', '.join(differing)}",
            f"Term defined differently across revisions of the OB 3.0.3 context: {', '.join(differing)}",
            code="sign.unstable_term")


def _differing_ob_terms(document: Any) -> list[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    continue
                if key in contexts.OB_TERMS_DIFFERING_BETWEEN_REVISIONS:
                    found.add(key)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    return sorted(found)


# The process-wide shape cache; its signing check is `assert_signable`, which reads the cache.
SHAPES = ShapeCache(signing_check=assert_signable)
