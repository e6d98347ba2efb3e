"""RDFC-1.0 canonical N-Quads of a set of quads: first-degree hashes and labels written here,
pyld's N-degree step when they tie (neither library writes RDFC-1.0 text as the wallets do)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from pyld.canon import URDNA2015

from issuer.openbadges import sort_order
from issuer.openbadges.rdfc.errors import CanonicalizationError
from issuer.openbadges.rdfc.expansion import rdf_term
from issuer.openbadges.rdfc.nquads import literal_text, nquad, term_text


def canonical_nquads_of_quads(quads: Iterable[ox.Quad], *, utf16_order: bool = False) -> str:
    """RDFC-1.0 canonical N-Quads of a set of quads (sorted lines, each ending in LF).

    `utf16_order` sorts by UTF-16 code units instead of code points, both the lines hashed for
    each blank node and the output: what rdf-canonize computes (`issuer.openbadges.sort_order`).

    Most documents have blank nodes that are told apart by their first-degree hash (RDFC-1.0
    §4.6): their canonical labels follow from sorting those hashes, computed here. When two blank
    nodes share a hash, the full algorithm with its N-degree step runs in pyld. pyoxigraph's own
    `canonicalize()` is not used for that step: on the 1EdTech `complete.json` sample (identical
    nested proofs) it labels the tied nodes differently from pyld and from the signer, so the
    signature would not verify (kept as `test_tied_blank_nodes_match_the_reference`).
    """
    unique = list(dict.fromkeys(quads))
    blank_quads: dict[str, list[ox.Quad]] = {}
    for quad in unique:
        for term in (quad.subject, quad.object, quad.graph_name):
            if isinstance(term, ox.BlankNode):
                mentions = blank_quads.setdefault(term.value, [])
                if not mentions or mentions[-1] is not quad:
                    mentions.append(quad)
    key = sort_order.utf16_key if utf16_order else None
    if not blank_quads:
        return "".join(sorted({nquad(q, {}) for q in unique}, key=key))
    hashes = {label: _first_degree_hash(label, mentioned, key)
              for label, mentioned in blank_quads.items()}
    if len(set(hashes.values())) < len(hashes):
        labels = _labels_from_pyld(unique, key)
    else:
        labels = {label: f"c14n{n}"
                  for n, label in enumerate(sorted(hashes, key=hashes.__getitem__))}
    return "".join(sorted({nquad(q, labels) for q in unique}, key=key))


def _first_degree_hash(label: str, mentioned: list[ox.Quad], key: Any = None) -> str:
    """RDFC-1.0 §4.6 Hash First Degree Quads: the node itself is _:a, any other blank node _:z."""
    lines = [_nquad_marked(quad, label) for quad in mentioned]
    return hashlib.sha256("".join(sorted(lines, key=key)).encode("utf-8")).hexdigest()


def _nquad_marked(quad: ox.Quad, label: str) -> str:
    def text(term: Any) -> str:
        if isinstance(term, ox.BlankNode):
            return "_:a" if term.value == label else "_:z"
        return term_text(term, {})

    graph = quad.graph_name
    tail = "" if isinstance(graph, ox.DefaultGraph) else " " + text(graph)
    return f"{text(quad.subject)} {text(quad.predicate)} {text(quad.object)}{tail} .\n"


class _Rdfc10Labels(URDNA2015):  # type: ignore[misc]
    """pyld's RDFC-1.0 (its N-degree step) with this module's N-Quads writer in the first-degree
    hashes, and the sort order asked for: pyld writes some characters unlike RDFC-1.0 and the
    wallets (`NQUADS_ESCAPES`), which would change the hashes, hence the labels."""

    def __init__(self, key: Any) -> None:
        super().__init__()
        self._key = key

    def hash_first_degree_quads(self, id_: str) -> str:
        info = self.blank_node_info[id_]
        if "hash" not in info:
            lines = [_pyld_line(quad, id_) for quad in info["quads"]]
            info["hash"] = hashlib.sha256(
                "".join(sorted(lines, key=self._key)).encode("utf-8")).hexdigest()
        return str(info["hash"])


def _pyld_line(quad: dict[str, Any], marked: str) -> str:
    def text(node: dict[str, Any] | None) -> str | None:
        if node is None:
            return None
        if node["type"] == "blank node":
            return "_:a" if node["value"] == marked else "_:z"
        if node["type"] == "IRI":
            return f"<{node['value']}>"
        literal = rdf_term(node)
        assert isinstance(literal, ox.Literal)  # neither an IRI nor a blank node
        return literal_text(literal)

    graph = text(quad.get("name"))
    tail = "" if graph is None else " " + graph
    return (f"{text(quad['subject'])} {text(quad['predicate'])} {text(quad['object'])}"
            f"{tail} .\n")


def _labels_from_pyld(quads: list[ox.Quad], key: Any) -> dict[str, str]:
    """Canonical blank node labels when first-degree hashes tie (the N-degree step, in pyld).

    The dataset is handed over as pyld's own structure: pyld's N-Quads *parser* mangles
    escaped backslashes (`\\\\n` comes back as a newline), so text is never round-tripped.
    """
    dataset: dict[str, list[dict[str, Any]]] = {}
    for quad in quads:
        graph = quad.graph_name
        name = "@default" if isinstance(graph, ox.DefaultGraph) else _pyld_term(graph)["value"]
        dataset.setdefault(name, []).append({"subject": _pyld_term(quad.subject),
                                             "predicate": _pyld_term(quad.predicate),
                                             "object": _pyld_term(quad.object)})
    labeller = _Rdfc10Labels(key)
    try:
        labeller.main(dataset, {"format": "application/n-quads"})
    except Exception as error:  # pyld on input it does not expect, RecursionError
        raise CanonicalizationError(f"RDFC-1.0 error: {type(error).__name__}") from error
    return {old[2:]: new[2:] for old, new in labeller.canonical_issuer.existing.items()}


def _pyld_term(term: Any) -> dict[str, str]:
    if isinstance(term, ox.BlankNode):
        return {"type": "blank node", "value": "_:" + term.value}
    if isinstance(term, ox.NamedNode):
        return {"type": "IRI", "value": term.value}
    node = {"type": "literal", "value": term.value, "datatype": term.datatype.value}
    if term.language:
        node["language"] = term.language
    return node


def blank_node_count(quads: Iterable[ox.Quad]) -> int:
    labels = set()
    for quad in quads:
        for term in (quad.subject, quad.object, quad.graph_name):
            if isinstance(term, ox.BlankNode):
                labels.add(term.value)
    return len(labels)
