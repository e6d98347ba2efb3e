"""Canonical N-Quads text of RDF terms and quads (RDFC-1.0 §4.3), as the wallets write it.

One text for every implementation: literals are written in the RDFC-1.0 canonical N-Quads form,
as rdf-canonize (the wallets) writes them (`NQUADS_ESCAPES`); where pyld, pyoxigraph and
rdf-canonize differ among themselves, `tests/test_canonical.py` lists each difference with a test.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def term_text(term: Any, labels: dict[str, str]) -> str:
    if isinstance(term, ox.BlankNode):
        return "_:" + labels.get(term.value, term.value)
    if isinstance(term, ox.Literal):
        return literal_text(term)
    return f"<{term.value}>"


# Canonical N-Quads literals (RDFC-1.0 §4.3 writes the canonical N-Quads form of RDF 1.2
# N-Triples §"Canonical form"): BS, HT, LF, FF, CR, `"` and `\` as ECHAR; the other C0 controls
# and DEL as UCHAR `\u00XX` (upper-case hex); every other character as itself. This is exactly
# what rdf-canonize 4 and 5 write (the wallets). Where implementations differ:
# - pyld writes BS, FF, VT, the other C0 controls and DEL raw (only `\t \n \r " \\` escaped);
# - pyoxigraph also escapes U+FFFE and U+FFFF (not XML 1.1 `Char`), rdf-canonize writes them raw,
#   like this table; the signer refuses them (`find_differently_written_characters`).
# tests/test_canonical.py lists each difference.
NQUADS_ESCAPES = {code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]}
NQUADS_ESCAPES.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r",
                        0x22: '\\"', 0x5C: "\\\\"})


def literal_text(literal: ox.Literal) -> str:
    """Canonical N-Quads literal (see `NQUADS_ESCAPES`). Written here rather than taken from
    pyoxigraph, which escapes U+FFFE and U+FFFF unlike the wallets."""
    text = '"' + literal.value.translate(NQUADS_ESCAPES) + '"'
    if literal.language:
        return f"{text}@{literal.language}"
    datatype = literal.datatype.value
    return text if datatype == XSD_STRING else f"{text}^^<{datatype}>"


def nquad(quad: ox.Quad, labels: dict[str, str]) -> str:
    graph = quad.graph_name
    tail = "" if isinstance(graph, ox.DefaultGraph) else " " + term_text(graph, labels)
    return (f"{term_text(quad.subject, labels)} {term_text(quad.predicate, labels)} "
            f"{term_text(quad.object, labels)}{tail} .\n")
