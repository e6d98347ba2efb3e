"""JSON numbers (and strings typed xsd:double) that JSON-LD implementations write differently:
refused, since pyld and jsonld.js (the wallets) would sign different texts."""

from __future__ import annotations

import decimal
import math
import re
from typing import Any

import pyoxigraph as ox

from issuer.openbadges.rdfc.errors import CanonicalizationError
from issuer.openbadges.rdfc.nquads import XSD_DOUBLE

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


def refuse_ambiguous_numbers(document: Any) -> set[str]:
    """Refuse the JSON numbers of `number_problem`; return the xsd:double forms of the strings
    only Python reads as numbers (see `refuse_python_only_doubles`)."""
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


def refuse_python_only_doubles(quads: list[ox.Quad], forms: set[str]) -> None:
    """pyld and jsonld.js rewrite a string typed xsd:double into a number's canonical form, with
    `float()` and `parseFloat()`; for the strings only Python reads ("1_5"), the two differ."""
    for quad in quads:
        term = quad.object
        if (isinstance(term, ox.Literal) and term.datatype.value == XSD_DOUBLE
                and term.value in forms):
            raise CanonicalizationError(
                f"xsd:double read differently by JSON-LD implementations: {term.value}")
