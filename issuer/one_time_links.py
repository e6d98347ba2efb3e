"""One-time links: the addresses whose last path segment is a token that opens something.

Two sorts (issue #10, items 1 and 7):
- **personal** links act as one person: an invitation to the workspace (whoever opens it
  chooses the password of the invited account, an administrator's included) and a sign-in
  link to "Mon espace". Nobody but that person may read them; in outbox mode (no SMTP server)
  an administrator may, to pass one on, and that reading is audited (issuer.workspace.outbox).
- **shared** links are shown to a room: an event's claim address (the QR code on the screen).
  A coordinator may see them, but they still work as a key for their window.

Neither sort belongs in an access log (`loggable_path`), and a personal link is hidden from
whatever a coordinator reads (`hide_personal_links`). The web routes that take a token are
listed here; tests/test_one_time_links.py fails when a route with a `{token}` parameter is
added without being listed. Pure: no web framework, no database.
"""

from __future__ import annotations

import re

#: Path prefixes (up to the token) of personal links: issuer.web.admin.auth (invitations),
#: issuer.network.mediators.sign_in.SIGN_IN_LINK_PATH (sign-in to "Mon espace"), an OpenID4VCI
#: credential offer (issuer.wallet.oid4vci_metadata.OFFER_PATH: it hands over the holder's badge);
#: issuer.wallet: the holder link (in the badge e-mail) and a wallet's exchange addresses.
PERSONAL_LINK_PREFIXES: tuple[str, ...] = ("/admin/invitation/", "/espace/lien/",
                                           "/oid4vci/offers/", "/portefeuille/lien/",
                                           "/portefeuille/echanges/",
                                           "/portefeuille/interaction/")
#: Path prefixes of shared links: issuer.workspace.claims.CLAIM_PATH;
#: issuer.wallet.presentation_requests (an employer's request, shown as a QR code).
SHARED_LINK_PREFIXES: tuple[str, ...] = ("/reclamer/", "/verifier/presentations/",
                                         "/exchanges/presentations/")
TOKEN_PLACEHOLDER = "{token}"  # noqa: S105 - a template placeholder
HIDDEN_LINK = "[lien personnel masqué / personal link hidden]"

# A token is URL-safe base64, possibly percent-encoded; it ends at whatever cannot be part of
# a path segment in running text or markup (space, quote, angle bracket, slash, query, an
# `&` starting the next parameter or an HTML entity...).
_TOKEN = r"[^\s/?#&;\"'<>()\[\]{}|\\^`]+"  # noqa: S105 - a pattern


def _prefixes_pattern(prefixes: tuple[str, ...]) -> str:
    return "|".join(re.escape(prefix) for prefix in prefixes)


# Anywhere in the logged text, not only at its start: behind a proxy's root path, or inside a
# query string (`?suivant=/espace/lien/…`), a token is still a token.
_LOGGED = re.compile(rf"({_prefixes_pattern(PERSONAL_LINK_PREFIXES + SHARED_LINK_PREFIXES)})"
                     rf"({_TOKEN})")
# In text: the scheme and host are optional (absolute links in e-mails, relative ones in
# pages); matching the path prefix alone is enough and catches both.
_PERSONAL_IN_TEXT = re.compile(rf"(?:https?://[^\s/\"'<>]+)?"
                               rf"(?:{_prefixes_pattern(PERSONAL_LINK_PREFIXES)}){_TOKEN}")


def loggable_path(path: str) -> str:
    """`path` with the token of a one-time link replaced by `{token}` (the route, not the key):
    `/espace/lien/Ab3…` → `/espace/lien/{token}`; any other path is returned as it is."""
    return _LOGGED.sub(lambda match: match.group(1) + TOKEN_PLACEHOLDER, path)


def has_personal_link(text: str) -> bool:
    return _PERSONAL_IN_TEXT.search(text) is not None


def hide_personal_links(text: str) -> str:
    """`text` with every personal link (absolute or relative) replaced by `HIDDEN_LINK`."""
    return _PERSONAL_IN_TEXT.sub(HIDDEN_LINK, text)
