"""Shape templates: a document split into its skeleton and its leaves, the skeleton expanded
once with placeholders, and a template filled with a document's leaves (as quads or directly as
canonical N-Quads text).

A leaf is substituted only where it lands whole as a literal of a datatype pyld does not rewrite
(not xsd:double, not rdf:JSON), or as an IRI that `leaf_safety.is_safe_iri` accepts
(`_slot`, `_refuse_embedded`). Every other leaf is fixed into the skeleton and expanded by the
full path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from issuer.openbadges.rdfc.errors import CanonicalizationError
from issuer.openbadges.rdfc.expansion import expand_to_quads
from issuer.openbadges.rdfc.labels import canonical_nquads_of_quads
from issuer.openbadges.rdfc.leaf_safety import inline_terms
from issuer.openbadges.rdfc.nquads import NQUADS_ESCAPES, XSD_STRING, literal_text, term_text
from issuer.openbadges.rdfc.placeholders import PLACEHOLDER, UnsafeTemplate

# Keys of a JSON object whose string value shapes the RDF rather than fill it.
_STRUCTURAL_KEYS = frozenset({"@context", "type", "@type", "@language", "@direction",
                              "@container", "@base", "@vocab", "@version"})


@dataclass(frozen=True)
class _Slot:
    """Where a template term comes from: a fixed term, or leaf number `leaf` as IRI or literal."""

    term: Any
    leaf: int = -1
    as_iri: bool = False


@dataclass
class Template:
    quads: list[tuple[_Slot, _Slot, _Slot, _Slot]]
    iri_leaves: frozenset[int]     # leaves that sit where an IRI is expected
    inline_terms: frozenset[str]   # terms the document's own contexts define (maybe prefixes)
    # The same quads as N-Quads text parts, for the fast path: a constant term's text, or how
    # to write a leaf (`_LITERAL` + suffix, `_IRI`), or a blank node (`_BLANK` + label).
    parts: list[tuple[Any, Any, Any, Any]] = field(default_factory=list)
    has_blank_nodes: bool = False


_LITERAL, _IRI, _BLANK = 1, 2, 3
# Marks a blank node in a materialised quad: no N-Quads term text starts with a NUL.
_BLANK_MARK = "\x00"


def _part(slot: _Slot) -> Any:
    term = slot.term
    if isinstance(term, ox.DefaultGraph):
        return None
    if slot.leaf >= 0:
        if slot.as_iri:
            return (_IRI, slot.leaf)
        suffix = literal_text(term)[len(literal_text(ox.Literal(term.value))):]
        return (_LITERAL, slot.leaf, suffix)
    if isinstance(term, ox.BlankNode):
        return (_BLANK, _BLANK_MARK + term.value)
    return term_text(term, {})


def skeleton(document: Any, fixed: frozenset[int]) -> tuple[Any, list[str]]:
    """Split `document` into a hashable skeleton and its substitutable string leaves.

    Leaves are numbered in document order; a leaf number in `fixed` stays in the skeleton.
    """
    leaves: list[str] = []

    def walk(node: Any, structural: bool) -> Any:
        if isinstance(node, dict):
            return ("{", tuple((key, walk(value, structural or key in _STRUCTURAL_KEYS))
                               for key, value in node.items()))
        if isinstance(node, list):
            return ("[", tuple(walk(item, structural) for item in node))
        if isinstance(node, str) and not structural:
            number = len(leaves)
            leaves.append(node)
            if number in fixed:
                return ("=", number, node)
            return ("$", number)
        # numbers, booleans, null and structural strings: part of the shape (a bool is not an int here)
        return ("v", type(node).__name__, node)

    return walk(document, False), leaves


def _placeholder_document(document: Any, fixed: frozenset[int]) -> Any:
    counter = iter(range(1 << 30))

    def walk(node: Any, structural: bool) -> Any:
        if isinstance(node, dict):
            return {key: walk(value, structural or key in _STRUCTURAL_KEYS)
                    for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item, structural) for item in node]
        if isinstance(node, str) and not structural:
            number = next(counter)
            return node if number in fixed else f"{PLACEHOLDER}{number}"
        return node

    return walk(document, False)


def _slot(term: Any) -> _Slot:
    if isinstance(term, ox.DefaultGraph):
        return _Slot(term)
    value = term.value
    if isinstance(term, ox.NamedNode):
        if value.startswith(PLACEHOLDER):
            return _Slot(term, int(value[len(PLACEHOLDER):]), as_iri=True)
        _refuse_embedded(value)
        return _Slot(term)
    if isinstance(term, ox.Literal):
        _refuse_embedded(term.datatype.value)
        if value.startswith(PLACEHOLDER) and value[len(PLACEHOLDER):].isdigit():
            return _Slot(term, int(value[len(PLACEHOLDER):]))
        _refuse_embedded(value)
    return _Slot(term)


def _refuse_embedded(text: str) -> None:
    """A placeholder inside a longer term (a resolved relative IRI, an `@json` literal) cannot be
    substituted safely: those leaves go back into the skeleton."""
    if PLACEHOLDER in text:
        found = {int(match) for match in re.findall(re.escape(PLACEHOLDER) + r"(\d+)", text)}
        raise UnsafeTemplate(found)


def build_template(document: Any, fixed: frozenset[int]) -> Template:
    quads = expand_to_quads(_placeholder_document(document, fixed))
    slots = [(_slot(q.subject), _slot(q.predicate), _slot(q.object), _slot(q.graph_name))
             for q in quads]
    iri_leaves = frozenset(s.leaf for quad in slots for s in quad if s.leaf >= 0 and s.as_iri)
    parts = [tuple(_part(slot) for slot in quad) for quad in slots]
    has_blank = any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)
                    or isinstance(q.graph_name, ox.BlankNode) for q in quads)
    return Template(slots, iri_leaves, inline_terms(document), parts, has_blank)


def instantiate(template: Template, leaves: list[str]) -> Iterator[ox.Quad]:
    def term(slot: _Slot) -> Any:
        if slot.leaf < 0:
            return slot.term
        value = leaves[slot.leaf]
        if slot.as_iri:
            return ox.NamedNode(value)
        literal = slot.term
        if literal.language:
            return ox.Literal(value, language=literal.language)
        if literal.datatype.value == XSD_STRING:
            return ox.Literal(value)
        return ox.Literal(value, datatype=literal.datatype)

    for subject, predicate, obj, graph in template.quads:
        try:
            yield ox.Quad(term(subject), term(predicate), term(obj), term(graph))
        except ValueError as error:  # pyoxigraph refuses a leaf (a lone surrogate)
            raise CanonicalizationError(f"not valid RDF: {str(error)[:120]}") from error


def canonical_text(template: Template, leaves: list[str]) -> str:
    """Canonical N-Quads of a template filled with `leaves`, without building RDF objects.

    Same algorithm as `canonical_nquads_of_quads` (first-degree hashes, pyld when they tie),
    on text: the template already holds every constant term's N-Quads text.
    """
    escaped: dict[int, str] = {}

    def text(part: Any) -> Any:
        if part is None or part.__class__ is str:
            return part
        kind = part[0]
        if kind == _BLANK:
            return part[1]
        index = part[1]
        if kind == _IRI:
            return "<" + leaves[index] + ">"
        value = escaped.get(index)
        if value is None:
            value = escaped[index] = '"' + leaves[index].translate(NQUADS_ESCAPES) + '"'
        return value + part[2]

    # Every other term was checked by pyoxigraph when the template was built; a leaf holding a
    # lone surrogate is not UTF-8: UnicodeEncodeError, refused like on the full path.
    "".join(leaves).encode("utf-8")
    quads = {(text(s), text(p), text(o), text(g)) for s, p, o, g in template.parts}
    if not template.has_blank_nodes:
        return "".join(sorted(_line(q, {}) for q in quads))
    mentions: dict[str, list[tuple[Any, Any, Any, Any]]] = {}
    for quad in quads:
        for term in (quad[0], quad[2], quad[3]):
            if term is not None and term[0] == _BLANK_MARK:
                listed = mentions.setdefault(term, [])
                if not listed or listed[-1] is not quad:
                    listed.append(quad)
    hashes = {}
    for node, mentioned in mentions.items():
        marked = sorted(_line(q, {}, node) for q in mentioned)
        hashes[node] = hashlib.sha256("".join(marked).encode("utf-8")).hexdigest()
    if len(set(hashes.values())) < len(hashes):
        return canonical_nquads_of_quads(list(instantiate(template, leaves)))
    labels = {node: f"_:c14n{n}" for n, node in enumerate(sorted(hashes, key=hashes.__getitem__))}
    return "".join(sorted(_line(q, labels) for q in quads))


def _line(quad: tuple[Any, Any, Any, Any], labels: dict[str, str], marked: str | None = None) -> str:
    def term(value: Any) -> Any:
        if value is not None and value[0] == _BLANK_MARK:
            if marked is not None:
                return "_:a" if value == marked else "_:z"
            return labels[value]
        return value

    subject, predicate, obj, graph = quad
    graph_text = term(graph)
    tail = " " + graph_text if graph_text is not None else ""
    return f"{term(subject)} {predicate} {term(obj)}{tail} .\n"
