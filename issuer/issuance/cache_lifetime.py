"""How long a cache may serve a response without asking its host again (RFC 9111 §4.2.1), for
`issuer check-deployment` (`issuer.issuance.deployment_check`): a host that keeps a status
list for a day hides a revocation for a day.

One number per response: the longest any cache, shared (a CDN, a proxy) or private (a
verifier's HTTP client), may keep it fresh. Written here rather than taken from a library: no
dependency of the project parses Cache-Control (httpx does not), and what is needed is that
one number, not a cache.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

# RFC 9110 §5.6.2 token, optionally `=` token or quoted-string (RFC 9111 §5.2).
_DIRECTIVE = re.compile(r"""([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,\s]*))?""")
# RFC 9111 §1.2.2: a delta-seconds too large for a cache is taken as 2^31.
_LARGEST_DELTA = 2**31


def cache_directives(cache_control: str) -> dict[str, str | None]:
    """Directive name (lower case) -> its value (quotes removed), first occurrence kept
    (RFC 9111 §4.2.1 lets a cache use the first of duplicates)."""
    directives: dict[str, str | None] = {}
    for match in _DIRECTIVE.finditer(cache_control):
        name, value = match.group(1).lower(), match.group(2)
        if value is not None and value.startswith('"'):
            value = value[1:-1]
        directives.setdefault(name, value)
    return directives


def _delta_seconds(value: str | None) -> int | None:
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return min(int(value), _LARGEST_DELTA)


def freshness_lifetime(headers: Mapping[str, str], now: datetime) -> int | None:
    """Seconds a cache may serve this response without revalidating it (`headers`: lower-case
    names). 0 with `no-store` or an unqualified `no-cache`; else the larger of `s-maxage`
    (shared caches) and `max-age`; else `Expires` minus `Date` (or `now`), an invalid
    `Expires` being already expired (RFC 9111 §5.3). None when the response sets none of
    these: a cache may then keep it as long as it guesses (heuristic freshness, §4.2.2)."""
    directives = cache_directives(headers.get("cache-control", ""))
    if "no-store" in directives or ("no-cache" in directives
                                    and not directives["no-cache"]):
        return 0
    ages = [seconds for name in ("s-maxage", "max-age")
            if (seconds := _delta_seconds(directives.get(name))) is not None]
    if ages:
        return max(ages)
    expires = headers.get("expires")
    if expires is None:
        return None
    try:
        until = parsedate_to_datetime(expires)
        served = parsedate_to_datetime(headers["date"]) if "date" in headers else now
        remaining = (until - served).total_seconds()
    except (TypeError, ValueError, IndexError):
        return 0
    return max(0, min(int(remaining), _LARGEST_DELTA))


def duration_text(seconds: int, locale: str) -> str:
    """`60 s`, `5 min`, `1 h`, `1 jour` / `1 day`, `plus de 2 jours` / `more than 2 days`: in
    seconds below two minutes, else in the largest unit it reaches, said to be more when it is
    not a whole number of them."""
    if seconds < 120:
        return f"{seconds} s"
    days_word = ("day", "days") if locale == "en" else ("jour", "jours")
    units = ((86_400, days_word), (3600, ("h", "h")), (60, ("min", "min")))
    size, (one, many) = next((size, words) for size, words in units if seconds >= size)
    count = seconds // size
    text = f"{count} {one if count == 1 else many}"
    if seconds % size:
        return f"more than {text}" if locale == "en" else f"plus de {text}"
    return text
