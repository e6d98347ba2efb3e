"""Path parameters that reach the database (issue #10 item 6).

Starlette's `int` convertor takes any run of digits: `/status/9223372036854775808/…` became
an integer no database column holds, and SQLite (OverflowError) or PostgreSQL ("integer out of
range") answered 500. Every numeric path parameter uses `dbint` instead: at most nine digits,
so the value always fits a 32-bit signed column (PostgreSQL `integer`), and a longer number
simply matches no route (404). `tests/test_route_fuzzing.py` fails for a route that still uses
the unbounded `int`.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

MAX_DIGITS = 9


class DatabaseIntegerConvertor(Convertor[int]):
    regex = f"[0-9]{{1,{MAX_DIGITS}}}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        value = int(value)
        if not 0 <= value < 10 ** MAX_DIGITS:
            raise ValueError(f"{value} does not fit a path parameter of {MAX_DIGITS} digits")
        return str(value)


def register() -> None:
    """Make `{name:dbint}` known to route patterns; called before any route is built."""
    register_url_convertor("dbint", DatabaseIntegerConvertor())
