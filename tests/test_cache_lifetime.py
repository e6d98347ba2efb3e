"""How long a host lets caches keep a document (RFC 9111 §4.2.1), as `issuer check-deployment`
reads it (issuer.issuance.cache_lifetime)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from issuer.issuance.cache_lifetime import cache_directives, duration_text, freshness_lifetime

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
DATE = "Mon, 07 Dec 2026 06:00:00 GMT"


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"cache-control": "public, max-age=60"}, 60),
    ({"cache-control": "Public, MAX-AGE=60"}, 60),
    # A CDN obeys s-maxage: the longest any cache may keep it counts.
    ({"cache-control": "public, max-age=60, s-maxage=86400"}, 86_400),
    ({"cache-control": "max-age=600, s-maxage=60"}, 600),
    ({"cache-control": "max-age=\"120\""}, 120),
    # Duplicates: the first one (RFC 9111 §4.2.1).
    ({"cache-control": "max-age=60, max-age=86400"}, 60),
    ({"cache-control": "no-store, max-age=86400"}, 0),
    ({"cache-control": "no-cache"}, 0),
    ({"cache-control": "max-age=86400, no-cache"}, 0),
    # no-cache naming fields only concerns those fields.
    ({"cache-control": 'no-cache="set-cookie", max-age=300'}, 300),
    ({"cache-control": "max-age=99999999999"}, 2**31),
    # Expires counts from the response's Date, or from now without one.
    ({"expires": "Tue, 08 Dec 2026 06:00:00 GMT", "date": DATE}, 86_400),
    ({"expires": "Mon, 07 Dec 2026 06:05:00 GMT"}, 300),
    ({"expires": "Sun, 06 Dec 2026 06:00:00 GMT", "date": DATE}, 0),
    # An invalid Expires (e.g. "0") means already expired (RFC 9111 §5.3).
    ({"expires": "0", "date": DATE}, 0),
    # max-age wins over Expires.
    ({"cache-control": "max-age=60", "expires": "Tue, 08 Dec 2026 06:00:00 GMT"}, 60),
    # An unreadable max-age is no lifetime: Expires, then nothing.
    ({"cache-control": "max-age=soon", "expires": "Mon, 07 Dec 2026 06:01:00 GMT",
      "date": DATE}, 60),
])
def test_freshness_lifetime(headers: dict[str, str], seconds: int) -> None:
    assert freshness_lifetime(headers, NOW) == seconds


@pytest.mark.parametrize("headers", [{}, {"cache-control": "public"},
                                     {"cache-control": "max-age=soon"},
                                     {"last-modified": DATE}])
def test_no_lifetime_set_lets_caches_guess(headers: dict[str, str]) -> None:
    assert freshness_lifetime(headers, NOW) is None


def test_directives_keep_quoted_commas_together() -> None:
    assert cache_directives('no-cache="set-cookie, x-a", max-age=5') == {
        "no-cache": "set-cookie, x-a", "max-age": "5"}


@pytest.mark.parametrize(("seconds", "french", "english"), [
    (60, "60 s", "60 s"), (90, "90 s", "90 s"), (300, "5 min", "5 min"),
    (3600, "1 h", "1 h"), (86_400, "1 jour", "1 day"), (172_800, "2 jours", "2 days"),
    (173_099, "plus de 2 jours", "more than 2 days"), (7_500, "plus de 2 h", "more than 2 h"),
])
def test_durations_are_said_in_the_largest_unit(seconds: int, french: str, english: str) -> None:
    assert (duration_text(seconds, "fr"), duration_text(seconds, "en")) == (french, english)
