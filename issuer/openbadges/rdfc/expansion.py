"""JSON-LD to RDF (the slow, general path): pyld with the pinned contexts only
(`issuer.openbadges.contexts`), pyoxigraph holding and checking the terms."""

from __future__ import annotations

import re
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from issuer.openbadges import contexts
from issuer.openbadges.rdfc.errors import CanonicalizationError
from issuer.openbadges.rdfc.nquads import XSD_DOUBLE, XSD_STRING
from issuer.openbadges.rdfc.numbers import refuse_ambiguous_numbers, refuse_python_only_doubles
from issuer.openbadges.rdfc.placeholders import PLACEHOLDER, UnsafeTemplate

# --- JSON-LD to RDF (the slow, general path) -------------------------------------------------

def rdf_term(node: dict[str, str]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """pyld's term as a pyoxigraph term; pyoxigraph checks IRIs and language tags (ValueError)."""
    kind = node["type"]
    if kind == "IRI":
        return ox.NamedNode(node["value"])
    if kind == "blank node":
        return ox.BlankNode(node["value"][2:])
    language = node.get("language")
    if language:
        return ox.Literal(node["value"], language=language)
    datatype = node.get("datatype", XSD_STRING)
    if datatype == XSD_STRING:
        return ox.Literal(node["value"])
    if datatype == XSD_DOUBLE and node["value"] == "-0.0E0":
        # jsonld.js writes negative zero as "0.0E0" (`toExponential` drops its sign), pyld
        # keeps the sign: the wallets' form.
        return ox.Literal("0.0E0", datatype=ox.NamedNode(datatype))
    if datatype == XSD_DOUBLE and not _CANONICAL_DOUBLE.match(node["value"]):
        if node["value"].startswith(PLACEHOLDER):
            # a leaf pyld would rewrite (a string typed xsd:double): outside the shape cache
            raise UnsafeTemplate({int(node["value"][len(PLACEHOLDER):])})
        # pyld keeps a string it cannot read as a number ("abc", "INF"); jsonld.js writes NaN
        # or Infinity: no agreed form, so no agreed signature.
        raise CanonicalizationError(f"xsd:double value without a canonical form: "
                                    f"{node['value'][:40]!r}")
    return ox.Literal(node["value"], datatype=ox.NamedNode(datatype))


_CANONICAL_DOUBLE = re.compile(r"^-?[0-9]\.[0-9]+E-?[0-9]+$")


def expand_to_quads(document: Any) -> list[ox.Quad]:
    """JSON-LD to RDF with pyld and the pinned contexts (never the network).

    Every error of either library (pyld's JsonLdError or any other exception on odd input,
    pyoxigraph's ValueError on an IRI or a language tag it rejects, deep recursion) becomes a
    CanonicalizationError: this issuer's own refusal, never an escaping exception.
    """
    python_only = refuse_ambiguous_numbers(document)
    try:
        dataset = jsonld.to_rdf(document, {"documentLoader": contexts.document_loader})
    except jsonld.JsonLdError as error:
        unknown = _find_cause(error, contexts.UnknownContext)
        if unknown is not None:
            raise CanonicalizationError(f"unknown JSON-LD context: {unknown.url}") from error
        raise CanonicalizationError(
            f"JSON-LD error: {error.type if hasattr(error, 'type') else error}") from error
    except Exception as error:  # pyld on input it does not expect (see above)
        raise CanonicalizationError(f"JSON-LD error: {type(error).__name__}") from error
    try:
        quads = _dataset_quads(dataset)
        if python_only:
            refuse_python_only_doubles(quads, python_only)
        return quads
    except (CanonicalizationError, UnsafeTemplate):
        raise
    except Exception as error:  # pyoxigraph's ValueError, a lone surrogate...
        raise CanonicalizationError(f"not valid RDF: {str(error)[:120]}") from error


def _dataset_quads(dataset: dict[str, Any]) -> list[ox.Quad]:
    quads: list[ox.Quad] = []
    for graph_name, triples in dataset.items():
        graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph
        if graph_name == "@default":
            graph = ox.DefaultGraph()
        elif graph_name.startswith("_:"):
            graph = ox.BlankNode(graph_name[2:])
        else:
            graph = ox.NamedNode(graph_name)
        for triple in triples:
            subject, predicate = rdf_term(triple["subject"]), rdf_term(triple["predicate"])
            if isinstance(subject, ox.Literal) or not isinstance(predicate, ox.NamedNode):
                # pyld's toRdf never yields these (RDF has no literal subject): refuse, not crash.
                raise CanonicalizationError("JSON-LD error: a literal subject or predicate")
            quads.append(ox.Quad(subject, predicate, rdf_term(triple["object"]), graph))
    return quads


def _find_cause(error: BaseException, kind: type[BaseException]) -> Any:
    seen: set[int] = set()
    stack: list[Any] = [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        stack.extend([getattr(current, "cause", None), current.__cause__, current.__context__])
        details = getattr(current, "details", None)
        if isinstance(details, dict):
            stack.append(details.get("cause"))
    return None
