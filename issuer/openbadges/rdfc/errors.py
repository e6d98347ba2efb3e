"""The one refusal of canonicalisation: `CanonicalizationError`, and the decorator turning the
errors Python raises on odd input into it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

_Result = TypeVar("_Result")


def refusing_odd_input(function: Callable[..., _Result]) -> Callable[..., _Result]:
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
