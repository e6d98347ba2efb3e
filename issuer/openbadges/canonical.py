"""JSON-LD to canonical N-Quads (RDFC-1.0), fast for documents of a known shape.

The work is split between two well-kept libraries and a little code here:
- pyld turns JSON-LD into RDF (with the pinned contexts only: `issuer.openbadges.contexts`), and runs the
  N-degree step of RDFC-1.0 when blank nodes tie on their first-degree hash;
- pyoxigraph holds the RDF terms and checks them (IRIs, language tags);
- the first-degree hashes, the labels and the N-Quads text are written here, because neither
  library writes them as RDFC-1.0 and the wallets do (`_NQUADS_ESCAPES`,
  `canonical_nquads_of_quads`).

Why a shape cache (written here because no library offers it): expanding JSON-LD is the costly
step (context processing, term selection) and it gives the same RDF *shape* for every credential of
one badge: only the literal values and identifiers change. So a document is split into its
*skeleton* (keys, types, array lengths, numbers, every value that can change the structure) and its
*leaves* (the other strings). The skeleton is expanded once with placeholder strings; the quads
that came out are kept as a template, and each later document of that shape only substitutes its
own leaves into the template before RDFC-1.0 runs. A leaf whose value could expand differently from
its placeholder (an identifier that is not an absolute IRI, a blank node label, a term in an
`@vocab` position such as `proofPurpose`) is moved into the skeleton, so the shortcut never changes
the result: `tests/test_canonical.py` compares it with the full path on every sample, and
`tests/test_canonical_differential.py` with the full path, pyld and pyoxigraph on generated
documents.

The proven subset of the shape cache (`_is_safe_iri`, `_slot`, `_refuse_embedded`): a leaf is
substituted only where it lands whole as a literal of a datatype pyld does not rewrite (not
xsd:double, not rdf:JSON), or as an IRI that is absolute, accepted by pyoxigraph, free of anything
rdf-canonize would escape, and neither a term nor a compact IRI of any context in play (pinned
or written in the document). Every other leaf is fixed into the skeleton and expanded by the
full path.

One text for every implementation: literals are written in the RDFC-1.0 canonical N-Quads form,
as rdf-canonize (the wallets) writes them (`_NQUADS_ESCAPES`); JSON numbers that pyld and
jsonld.js would write as different literals are refused (`number_problem`); errors of either
library become `CanonicalizationError`. Where pyld, pyoxigraph and rdf-canonize differ among
themselves, `tests/test_canonical.py` lists each difference with a test. Sort order: RDFC-1.0
(code points) here; `utf16_order_canonical_form` gives the wallets' order (UTF-16 code units,
`issuer.openbadges.sort_order`) when it differs, and the signer refuses such documents
(`assert_one_sort_order`).
"""

from __future__ import annotations

import decimal
import functools
import hashlib
import math
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyoxigraph as ox
from pyld import jsonld
from pyld.canon import URDNA2015

from issuer.errors import SigningRefused
from issuer.openbadges import contexts, sort_order
from issuer.openbadges.jsonld_safety import (
    DroppedMember,
    ExpansionFailed,
    describe_all,
    find_dropped_members,
)

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# An absolute IRI as JSON-LD keeps it unchanged (RFC 3987 scheme, no characters that make pyld
# or a verifier reject or rewrite it).
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")
# C0 controls but LF and CR, and DEL (VERIFICATION.md R8). Tab is refused too: RDFC-1.0, rdf-canonize 4
# and 5, pyld and pyoxigraph write `\t`, but rdf-canonize 3 (still in some wallets' dependency
# trees) writes it raw, and no credential needs it.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")

# Keys of a JSON object whose string value shapes the RDF rather than fill it.
_STRUCTURAL_KEYS = frozenset({"@context", "type", "@type", "@language", "@direction",
                              "@container", "@base", "@vocab", "@version"})

# Characters the JSON-LD and N-Quads implementations write differently (see `_NQUADS_ESCAPES`):
# U+FFFE and U+FFFF (noncharacters), raw in rdf-canonize and pyld, `\uFFFE` in pyoxigraph.
_DIFFERENTLY_WRITTEN = re.compile("[\ufffe\uffff]")
# What the signer refuses in any string (checked leaf by leaf on a cached shape).
_REFUSED_IN_SIGNED_TEXT = re.compile(f"{_CONTROL_CHARACTERS.pattern}|{_DIFFERENTLY_WRITTEN.pattern}")

_TEMPLATE_CACHE_SIZE = 256

_Result = TypeVar("_Result")


def _refusing_odd_input(function: Callable[..., _Result]) -> Callable[..., _Result]:
    """Errors Python itself raises on odd input become this issuer's refusal: a document nested
    deeper than the interpreter's stack, a string holding a lone surrogate (not UTF-8)."""

    @functools.wraps(function)
    def refusing(*args: Any, **kwargs: Any) -> _Result:
        try:
            return function(*args, **kwargs)
        except RecursionError as error:
            raise CanonicalizationError("document nested too deeply") from error
        except UnicodeError as error:
            raise CanonicalizationError("text that is not valid Unicode") from error

    return refusing


class CanonicalizationError(Exception):
    """The document is not JSON-LD this issuer can canonicalise (unknown context, bad shape)."""


def _placeholder_prefix() -> str:
    # A per-process random prefix, so a value in a document can never pose as a placeholder.
    return f"urn:x-shape-{secrets.token_hex(8)}:"


_PLACEHOLDER = _placeholder_prefix()


# --- JSON-LD to RDF (the slow, general path) -------------------------------------------------

def _rdf_term(node: dict[str, str]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
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
        if node["value"].startswith(_PLACEHOLDER):
            # a leaf pyld would rewrite (a string typed xsd:double): outside the shape cache
            raise _UnsafeTemplate({int(node["value"][len(_PLACEHOLDER):])})
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
    python_only = _refuse_ambiguous_numbers(document)
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
            _refuse_python_only_doubles(quads, python_only)
        return quads
    except (CanonicalizationError, _UnsafeTemplate):
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
            subject, predicate = _rdf_term(triple["subject"]), _rdf_term(triple["predicate"])
            if isinstance(subject, ox.Literal) or not isinstance(predicate, ox.NamedNode):
                # pyld's toRdf never yields these (RDF has no literal subject): refuse, not crash.
                raise CanonicalizationError("JSON-LD error: a literal subject or predicate")
            quads.append(ox.Quad(subject, predicate, _rdf_term(triple["object"]), graph))
    return quads


# --- numbers: where JSON-LD implementations write one JSON number differently ---------------

_MAX_EXACT_INTEGER = 2 ** 53


def number_problem(value: float) -> str | None:
    """Why pyld (JSON-LD 1.1 toRdf) and jsonld.js (the wallets) would write this JSON number as
    different RDF literals, or None when they agree (booleans always agree).

    - an integer beyond 2**53 that no double holds: JavaScript reads it rounded;
    - a non-integral number below 1e-6 written with one significant digit (1e-7): jsonld.js
      tests for a "." in `String(value)` and writes "0"^^xsd:integer, pyld an xsd:double;
    - a double whose 16-significant-digit rounding is an exact tie: `toExponential(15)` rounds
      half up, Python half to even;
    - NaN and infinities (Python's JSON reader accepts them; JSON does not).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if abs(value) <= _MAX_EXACT_INTEGER:
            return None
        try:
            exact = int(float(value)) == value
        except OverflowError:
            exact = False
        if not exact:
            return f"integer {str(value)[:30]} beyond the precision of a JSON number in JavaScript"
        return None if abs(value) < 1e21 else _tie_problem(float(value))
    if not math.isfinite(value):
        return f"number {value!r} is not JSON"
    if value.is_integer() and abs(value) < 1e21:
        return None
    if abs(value) < 1e-6:
        mantissa = repr(abs(value)).split("e")[0].replace(".", "").strip("0")
        if len(mantissa) < 2:
            return f"number {value!r} is read as an integer by jsonld.js"
    return _tie_problem(value)


def _tie_problem(value: float) -> str | None:
    digits = decimal.Decimal(value).as_tuple().digits
    significant = "".join(map(str, digits)).strip("0")
    if len(significant) == 17 and significant.endswith("5"):
        return f"number {value!r} rounds differently in JavaScript (tie at 16 digits)"
    return None


def _refuse_ambiguous_numbers(document: Any) -> set[str]:
    """Refuse the JSON numbers of `number_problem`; return the xsd:double forms of the strings
    only Python reads as numbers (see `_refuse_python_only_doubles`)."""
    python_only: set[str] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            if "_" in node or not node.isascii():
                double = _python_only_double(node)
                if double is not None:
                    python_only.add(double)
        elif isinstance(node, int | float):
            problem = number_problem(node)
            if problem is not None:
                raise CanonicalizationError(problem)
    return python_only


# What JavaScript's parseFloat reads in full; Python's float() also reads "1_5" and other
# scripts' digits ("١٢"), which parseFloat reads as 1 and NaN.
_JAVASCRIPT_DECIMAL = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*",
                                 re.ASCII)


def _python_only_double(text: str) -> str | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or _JAVASCRIPT_DECIMAL.fullmatch(text):
        return None
    # pyld's canonical xsd:double form (JSON-LD toRdf), as jsonld.js writes it
    return re.sub(r"(\d)0*E\+?(-)?0*(\d)", r"\1E\2\3", f"{value:1.15E}")


def _refuse_python_only_doubles(quads: list[ox.Quad], forms: set[str]) -> None:
    """pyld and jsonld.js rewrite a string typed xsd:double into a number's canonical form, with
    `float()` and `parseFloat()`; for the strings only Python reads ("1_5"), the two differ."""
    for quad in quads:
        term = quad.object
        if (isinstance(term, ox.Literal) and term.datatype.value == XSD_DOUBLE
                and term.value in forms):
            raise CanonicalizationError(
                f"xsd:double read differently by JSON-LD implementations: {term.value}")


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
        return "".join(sorted({_nquad(q, {}) for q in unique}, key=key))
    hashes = {label: _first_degree_hash(label, mentioned, key)
              for label, mentioned in blank_quads.items()}
    if len(set(hashes.values())) < len(hashes):
        labels = _labels_from_pyld(unique, key)
    else:
        labels = {label: f"c14n{n}"
                  for n, label in enumerate(sorted(hashes, key=hashes.__getitem__))}
    return "".join(sorted({_nquad(q, labels) for q in unique}, key=key))


def _term_text(term: Any, labels: dict[str, str]) -> str:
    if isinstance(term, ox.BlankNode):
        return "_:" + labels.get(term.value, term.value)
    if isinstance(term, ox.Literal):
        return _literal_text(term)
    return f"<{term.value}>"


# Canonical N-Quads literals (RDFC-1.0 §4.3 writes the canonical N-Quads form of RDF 1.2
# N-Triples §"Canonical form"): BS, HT, LF, FF, CR, `"` and `\` as ECHAR; the other C0 controls
# and DEL as UCHAR `\u00XX` (upper-case hex); every other character as itself. This is exactly
# what rdf-canonize 4 and 5 write (the wallets). Where implementations differ:
# - pyld writes BS, FF, VT, the other C0 controls and DEL raw (only `\t \n \r " \\` escaped);
# - pyoxigraph also escapes U+FFFE and U+FFFF (not XML 1.1 `Char`), rdf-canonize writes them raw,
#   like this table; the signer refuses them (`find_differently_written_characters`).
# tests/test_canonical.py lists each difference.
_NQUADS_ESCAPES = {code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]}
_NQUADS_ESCAPES.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r",
                        0x22: '\\"', 0x5C: "\\\\"})


def _literal_text(literal: ox.Literal) -> str:
    """Canonical N-Quads literal (see `_NQUADS_ESCAPES`). Written here rather than taken from
    pyoxigraph, which escapes U+FFFE and U+FFFF unlike the wallets."""
    text = '"' + literal.value.translate(_NQUADS_ESCAPES) + '"'
    if literal.language:
        return f"{text}@{literal.language}"
    datatype = literal.datatype.value
    return text if datatype == XSD_STRING else f"{text}^^<{datatype}>"


def _nquad(quad: ox.Quad, labels: dict[str, str]) -> str:
    graph = quad.graph_name
    tail = "" if isinstance(graph, ox.DefaultGraph) else " " + _term_text(graph, labels)
    return (f"{_term_text(quad.subject, labels)} {_term_text(quad.predicate, labels)} "
            f"{_term_text(quad.object, labels)}{tail} .\n")


def _first_degree_hash(label: str, mentioned: list[ox.Quad], key: Any = None) -> str:
    """RDFC-1.0 §4.6 Hash First Degree Quads: the node itself is _:a, any other blank node _:z."""
    lines = [_nquad_marked(quad, label) for quad in mentioned]
    return hashlib.sha256("".join(sorted(lines, key=key)).encode("utf-8")).hexdigest()


def _nquad_marked(quad: ox.Quad, label: str) -> str:
    def text(term: Any) -> str:
        if isinstance(term, ox.BlankNode):
            return "_:a" if term.value == label else "_:z"
        return _term_text(term, {})

    graph = quad.graph_name
    tail = "" if isinstance(graph, ox.DefaultGraph) else " " + text(graph)
    return f"{text(quad.subject)} {text(quad.predicate)} {text(quad.object)}{tail} .\n"


class _Rdfc10Labels(URDNA2015):  # type: ignore[misc]
    """pyld's RDFC-1.0 (its N-degree step) with this module's N-Quads writer in the first-degree
    hashes, and the sort order asked for: pyld writes some characters unlike RDFC-1.0 and the
    wallets (`_NQUADS_ESCAPES`), which would change the hashes, hence the labels."""

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
        literal = _rdf_term(node)
        assert isinstance(literal, ox.Literal)  # neither an IRI nor a blank node
        return _literal_text(literal)

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


# --- the shape cache --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Slot:
    """Where a template term comes from: a fixed term, or leaf number `leaf` as IRI or literal."""

    term: Any
    leaf: int = -1
    as_iri: bool = False


@dataclass
class _Template:
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
        suffix = _literal_text(term)[len(_literal_text(ox.Literal(term.value))):]
        return (_LITERAL, slot.leaf, suffix)
    if isinstance(term, ox.BlankNode):
        return (_BLANK, _BLANK_MARK + term.value)
    return _term_text(term, {})


def _skeleton(document: Any, fixed: frozenset[int]) -> tuple[Any, list[str]]:
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
            return node if number in fixed else f"{_PLACEHOLDER}{number}"
        return node

    return walk(document, False)


class _UnsafeTemplate(Exception):
    def __init__(self, leaves: set[int]) -> None:
        super().__init__(leaves)
        self.leaves = leaves


def _slot(term: Any) -> _Slot:
    if isinstance(term, ox.DefaultGraph):
        return _Slot(term)
    value = term.value
    if isinstance(term, ox.NamedNode):
        if value.startswith(_PLACEHOLDER):
            return _Slot(term, int(value[len(_PLACEHOLDER):]), as_iri=True)
        _refuse_embedded(value)
        return _Slot(term)
    if isinstance(term, ox.Literal):
        _refuse_embedded(term.datatype.value)
        if value.startswith(_PLACEHOLDER) and value[len(_PLACEHOLDER):].isdigit():
            return _Slot(term, int(value[len(_PLACEHOLDER):]))
        _refuse_embedded(value)
    return _Slot(term)


def _refuse_embedded(text: str) -> None:
    """A placeholder inside a longer term (a resolved relative IRI, an `@json` literal) cannot be
    substituted safely: those leaves go back into the skeleton."""
    if _PLACEHOLDER in text:
        found = {int(match) for match in re.findall(re.escape(_PLACEHOLDER) + r"(\d+)", text)}
        raise _UnsafeTemplate(found)


def _build_template(document: Any, fixed: frozenset[int]) -> _Template:
    quads = expand_to_quads(_placeholder_document(document, fixed))
    slots = [(_slot(q.subject), _slot(q.predicate), _slot(q.object), _slot(q.graph_name))
             for q in quads]
    iri_leaves = frozenset(s.leaf for quad in slots for s in quad if s.leaf >= 0 and s.as_iri)
    parts = [tuple(_part(slot) for slot in quad) for quad in slots]
    has_blank = any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)
                    or isinstance(q.graph_name, ox.BlankNode) for q in quads)
    return _Template(slots, iri_leaves, _inline_terms(document), parts, has_blank)


def _inline_terms(document: Any) -> frozenset[str]:
    """Terms defined by the contexts written inside the document (embedded, nested, scoped)."""
    names: set[str] = set()

    def collect(node: Any, in_context: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if in_context and not key.startswith("@"):
                    names.add(key)
                collect(value, in_context or key == "@context")
        elif isinstance(node, list):
            for item in node:
                collect(item, in_context)

    collect(document, False)
    return frozenset(names)


def _is_safe_iri(value: str, inline_terms: frozenset[str] = frozenset()) -> bool:
    """Whether a leaf in an IRI position may be substituted into a template (the proven subset).

    It must come out of JSON-LD expansion unchanged, as the placeholder did, and be an IRI every
    path writes alike: an absolute IRI (`_ABSOLUTE_IRI`: nothing rdf-canonize would escape),
    that pyoxigraph accepts (the full path refuses what it rejects), whose scheme is not a term
    of a context in play (`xsd:string` or an inline prefix would expand) and that is not a term
    itself. Any other leaf is fixed into the skeleton and expanded by the full path.
    """
    if not _ABSOLUTE_IRI.match(value):
        return False
    scheme = value.split(":", 1)[0]
    terms = _context_terms()
    if scheme in terms or value in terms or scheme in inline_terms or value in inline_terms:
        return False
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True


_TERMS_LOCK = threading.Lock()
_TERMS: frozenset[str] | None = None


def _context_terms() -> frozenset[str]:
    """Every term any shipped context defines (a term may act as a prefix of a compact IRI)."""
    global _TERMS
    with _TERMS_LOCK:
        if _TERMS is None:
            names: set[str] = set()

            def collect(node: Any) -> None:
                if isinstance(node, dict):
                    for key, value in node.items():
                        if not key.startswith("@"):
                            names.add(key)
                        collect(value)
                elif isinstance(node, list):
                    for item in node:
                        collect(item)

            for url in contexts.PINNED:
                collect(contexts.context_document(url).get("@context"))
            _TERMS = frozenset(names)
        return _TERMS


class ShapeCache:
    """Bounded LRU of RDF templates keyed by document skeleton. Thread-safe."""

    def __init__(self, size: int = _TEMPLATE_CACHE_SIZE) -> None:
        self._size = size
        self._templates: OrderedDict[Any, _Template] = OrderedDict()
        # raw skeleton -> leaves that must stay fixed for that shape (learnt once)
        self._fixed: OrderedDict[Any, frozenset[int]] = OrderedDict()
        self._undefined: OrderedDict[Any, tuple[list[str], list[DroppedMember]]] = \
            OrderedDict()
        self._signable: OrderedDict[Any, tuple[SigningRefused, ...]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        with self._lock:
            self._templates.clear()
            self._fixed.clear()
            self._undefined.clear()
            self._signable.clear()

    @_refusing_odd_input
    def quads(self, document: Any) -> list[ox.Quad]:
        template, leaves, _ = self._resolve(document)
        return list(_instantiate(template, leaves))

    @_refusing_odd_input
    def undefined_terms(self, document: dict[str, Any]) -> list[str]:
        """`find_undefined_terms`, computed once per shape: which keys and types are defined
        depends only on the skeleton, and every leaf that is not a safe absolute IRI in an IRI
        position is part of the skeleton key."""
        return list(self._json_ld_safety(document)[0])

    def dropped_members(self, document: dict[str, Any]) -> list[DroppedMember]:
        """`jsonld_safety.find_dropped_members` (JSON-LD safe mode), once per shape, for the
        same reason as `undefined_terms`: what expansion drops depends on keys, structural
        values and the leaves in IRI positions, all in the key."""
        return list(self._json_ld_safety(document)[1])

    def _json_ld_safety(self, document: dict[str, Any]) -> tuple[list[str], list[DroppedMember]]:
        try:
            _, _, key = self._resolve(document)
        except Exception:
            # Not canonicalisable: still name what safe mode drops, if anything (else re-raise)
            try:
                dropped = find_dropped_members(document)
            except ExpansionFailed:
                dropped = []
            if dropped:
                return [], dropped
            raise
        with self._lock:
            known = self._undefined.get(key)
        if known is None:
            try:
                dropped = find_dropped_members(document)
            except ExpansionFailed as error:
                raise CanonicalizationError(str(error)) from error
            try:
                undefined = find_undefined_terms(document)
            except CanonicalizationError:
                raise
            except Exception as error:  # pyld on input it does not expect: our refusal
                raise CanonicalizationError(f"JSON-LD error: {type(error).__name__}") from error
            known = (undefined, dropped)
            with self._lock:
                self._undefined[key] = known
                self._trim(self._undefined)
        return known

    @_refusing_odd_input
    def canonical_form(self, document: Any) -> str:
        """RDFC-1.0 canonical N-Quads through the shape template, written as text directly."""
        template, leaves, _ = self._resolve(document)
        return _canonical_text(template, leaves)

    @_refusing_odd_input
    def signable_canonical_form(self, document: dict[str, Any]) -> str:
        """`assert_signable` and `canonical_form` with one pass over the document."""
        try:
            template, leaves, key = self._resolve(document)
        except Exception:
            assert_signable(document)  # names what JSON-LD safe mode drops, if that is the cause
            raise
        controls = [leaf for leaf in leaves if _REFUSED_IN_SIGNED_TEXT.search(leaf)]
        if controls:
            assert_signable(document)  # raises with the JSON paths of the offending strings
        with self._lock:
            problems = self._signable.get(key)
        if problems is None:
            # keys, types and every structural value are in the key: checked once per shape
            try:
                assert_signable(document)
                problems = ()
            except SigningRefused as refused:
                problems = (refused,)
            with self._lock:
                self._signable[key] = problems
                self._trim(self._signable)
        if problems:
            raise problems[0]
        return _canonical_text(template, leaves)

    def contains(self, document: Any) -> bool:
        """Whether this document's shape is already templated (nothing is built): its cost is
        then known and small, so a verifier may canonicalise it without the sandbox."""
        raw_key, leaves = _skeleton(document, frozenset())
        with self._lock:
            fixed = self._fixed.get(raw_key)
        if fixed is None:
            return False
        key, _ = _skeleton(document, fixed)
        with self._lock:
            template = self._templates.get(key)
        if template is None:
            return False
        unsafe = {leaf for leaf in template.iri_leaves
                  if not _is_safe_iri(leaves[leaf], template.inline_terms)}
        if not unsafe:
            return True
        key, _ = _skeleton(document, fixed | unsafe)
        with self._lock:
            return key in self._templates

    def _resolve(self, document: Any) -> tuple[_Template, list[str], Any]:
        raw_key, leaves = _skeleton(document, frozenset())
        try:
            with self._lock:
                fixed = self._fixed.get(raw_key)
            if fixed is None:
                fixed = self._learn_fixed_leaves(document, raw_key)
            # Leaves in IRI positions must be safe absolute IRIs for this document, else fixed.
            template, key = self._template(document, fixed, raw_key)
            unsafe = {leaf for leaf in template.iri_leaves
                      if not _is_safe_iri(leaves[leaf], template.inline_terms)}
            if unsafe:
                template, key = self._template(document, fixed | unsafe)
        except CanonicalizationError:
            # A refusal of the placeholder document may not be the document's own (a value
            # refused in a node the real document drops): expand the document itself, every
            # leaf fixed, which gives exactly the full path's outcome.
            template, key = self._template(document, frozenset(range(len(leaves))))
        return template, leaves, key

    def _learn_fixed_leaves(self, document: Any, raw_key: Any) -> frozenset[int]:
        fixed: frozenset[int] = frozenset()
        for _ in range(64):
            try:
                _build_template(document, fixed)
                break
            except _UnsafeTemplate as unsafe:
                fixed = fixed | frozenset(unsafe.leaves)
        else:  # pragma: no cover - only a pathological document gets here
            raise CanonicalizationError("document shape could not be templated")
        with self._lock:
            self._fixed[raw_key] = fixed
            self._trim(self._fixed)
        return fixed

    def _template(self, document: Any, fixed: frozenset[int],
                  raw_key: Any = None) -> tuple[_Template, Any]:
        key = raw_key if raw_key is not None and not fixed else _skeleton(document, fixed)[0]
        with self._lock:
            template = self._templates.get(key)
            if template is not None:
                self._templates.move_to_end(key)
                self.hits += 1
                return template, key
        template = _build_template(document, fixed)
        with self._lock:
            self.misses += 1
            self._templates[key] = template
            self._trim(self._templates)
        return template, key

    def _trim(self, table: OrderedDict[Any, Any]) -> None:
        while len(table) > self._size:
            table.popitem(last=False)


def _instantiate(template: _Template, leaves: list[str]) -> Iterator[ox.Quad]:
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


def _canonical_text(template: _Template, leaves: list[str]) -> str:
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
            value = escaped[index] = '"' + leaves[index].translate(_NQUADS_ESCAPES) + '"'
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
        return canonical_nquads_of_quads(list(_instantiate(template, leaves)))
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


SHAPES = ShapeCache()


@_refusing_odd_input
def to_quads(document: Any, *, use_cache: bool = True) -> list[ox.Quad]:
    return SHAPES.quads(document) if use_cache else expand_to_quads(document)


@_refusing_odd_input
def canonicalize(document: Any, *, use_cache: bool = True) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document."""
    if use_cache:
        return SHAPES.canonical_form(document)
    return canonical_nquads_of_quads(expand_to_quads(document))


def signable_canonical_form(document: dict[str, Any]) -> str:
    """`assert_signable(document)` then `canonicalize(document)`, sharing the work."""
    return SHAPES.signable_canonical_form(document)


# --- the wallets' sort order (issuer.openbadges.sort_order) -------------------------------

@_refusing_odd_input
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
    (U+FFFE, U+FFFF: `_NQUADS_ESCAPES`)."""
    return _paths_of_strings(document, lambda text: bool(_DIFFERENTLY_WRITTEN.search(text)))


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
                if _CONTROL_CHARACTERS.search(key):
                    found.append(f"{path}/{key!r}")
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{path}/{index}")
        elif isinstance(node, str) and _CONTROL_CHARACTERS.search(node):
            found.append(path or "/")

    walk(document, "")
    return found


_UNDEFINED_VOCAB = "urn:x-undefined-term:"
_UNDEFINED_BASE = "https://undefined-relative-iri.invalid/"


def find_undefined_terms(document: dict[str, Any]) -> list[str]:
    """Keys and `type` values that no context defines, and relative identifiers
    (VERIFICATION.md R1).

    pyld silently drops an undefined key, so the check expands the document once more with a
    fallback `@vocab` and `@base` appended to its own contexts: whatever lands in those namespaces
    was undefined. (Appending `@vocab`/`@base` does not redefine a protected term.)
    """
    probe = dict(document)
    probe_context = probe.get("@context")
    if probe_context is None:
        return ["@context"]
    context_list = list(probe_context) if isinstance(probe_context, list) else [probe_context]
    probe["@context"] = [*context_list, {"@vocab": _UNDEFINED_VOCAB}]
    try:
        dataset = jsonld.to_rdf(probe, {"documentLoader": contexts.document_loader,
                                        "base": _UNDEFINED_BASE})
    except jsonld.JsonLdError as error:
        raise CanonicalizationError(f"JSON-LD error: {error}") from error
    problems: set[str] = set()
    for triples in dataset.values():
        for triple in triples:
            for position in ("subject", "predicate", "object"):
                node = triple[position]
                if node["type"] != "IRI":
                    continue
                value = node["value"]
                if value.startswith(_UNDEFINED_VOCAB):
                    problems.add(value[len(_UNDEFINED_VOCAB):])
                elif value.startswith(_UNDEFINED_BASE):
                    problems.add(f"relative IRI {value[len(_UNDEFINED_BASE):]!r}")
    return sorted(problems)


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
