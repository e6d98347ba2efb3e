"""The canonical N-Quads of a JSON-LD document by the two reference implementations this issuer
compares itself with (tests only): pyld's URDNA2015 and pyoxigraph's RDFC-1.0.

pyoxigraph has no document loader (VERIFICATION.md R8): the pinned contexts are inlined, at any depth.
Its `canonicalize()` output is not sorted: the canonical form is the sorted lines.
"""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from issuer.openbadges import contexts


def pyld_canonical_form(document: Any) -> str:
    result: str = jsonld.normalize(document, {"algorithm": "URDNA2015",
                                              "format": "application/n-quads",
                                              "documentLoader": contexts.document_loader})
    return result


def _inline_contexts(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: (_inlined(value) if key == "@context" else _inline_contexts(value))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_contexts(item) for item in node]
    return node


def _inlined(context: Any) -> Any:
    if isinstance(context, str):
        return contexts.context_document(context)["@context"]
    if isinstance(context, list):
        return [_inlined(item) for item in context]
    return _inline_contexts(context)


def pyoxigraph_canonical_form(document: Any) -> str:
    data = json.dumps(_inline_contexts(document))
    dataset = ox.Dataset(ox.parse(data, format=ox.RdfFormat.JSON_LD))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    text = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).decode("utf-8")
    return "".join(sorted(line + "\n" for line in text.splitlines() if line))
