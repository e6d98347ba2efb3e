"""A real browser against a real server: headless Chromium driven by Playwright, with axe-core.

- `live_server`: the web app (create_app) served by uvicorn on a free loopback port, in a
  background thread, with its own ISSUER_HOME (keys, SQLite) and one issued demo credential of
  each badge family. Its base URL is the issuer's base URL, so credential URLs, the did:web
  identifier and the status lists all point at it.
- `browser`: one Chromium for the session (the system one: no browser is ever downloaded).
- `phone_page`: a fresh page in a fresh context (no cookies), 360×740 like a small phone,
  French browser; `audited_phone_page`, the same with axe-core loaded in every document.
- `axe_violations(page)`: injects axe-core (tests/browser, pinned in package-lock.json and
  installed with `npm ci`) and returns the WCAG 2.1 A/AA violations of the page.

Helpers the browser test modules share (plain names, no fixtures):
- `new_context(browser, viewport)`: a fresh French browser context with axe-core in every page;
  `PHONE_VIEWPORT`, `LAPTOP_VIEWPORT`;
- `PageAudit`: gathers, page after page, what axe-core and the width check find;
- `create_live_account(server, role)` -> `Account`: a workspace account on the live server;
- `become_holder(page, server, credential_id)`: the page's browser spends a one-time holder
  link of that badge (as from the badge e-mail), so the badge page shows the holder's actions;
- `sign_in_link_from_outbox(service, address)`: the link of the latest "Mon espace" sign-in
  e-mail to that address, waited for in the outbox;
- the keyboard probes run in the page: `LABEL_FOCUSABLE_ELEMENTS`, `RECORD_FOCUS`,
  `FOCUSED_ELEMENT`; `overflowing_elements(page)` names what sticks out sideways.

Without Chromium (or Playwright, or npm) the browser tests are skipped, except on CI
(`CI=true`) where a missing browser is an error: the accessibility checks must never silently
stop running there.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest

from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.workspace.accounts import Accounts

BROWSER_DIR: Path = Path(__file__).resolve().parent.parent / "browser"
NODE_MODULES = BROWSER_DIR / "node_modules"
AXE_SCRIPT = NODE_MODULES / "axe-core" / "axe.min.js"
# Written after a successful `npm ci`: the lockfile hash it installed.
_INSTALL_STAMP = NODE_MODULES / ".roubaix-installed-lock.sha256"
_INSTALL_LOCK = Path(tempfile.gettempdir()) / "roubaix-badges-browser-npm-ci.lock"

# RGAA 4.1 is based on WCAG 2.1 AA: every A and AA rule of WCAG 2.0 and 2.1.
WCAG_21_AA_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
PHONE_VIEWPORT = {"width": 360, "height": 740}
LAPTOP_VIEWPORT = {"width": 1280, "height": 800}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# Demo recipients are fictional (domain brief: real residents' names are left out).
MEMBER_NAME = "Camille Exemple"
CLN_MANDATE_START = date(2025, 6, 13)      # the public draw and designation of the members
CLN_ISSUED_AT = datetime(2025, 6, 20, 10, 0, tzinfo=UTC)


class BrowserHarnessError(RuntimeError):
    """The browser harness itself could not be set up (not a failing page, which is a result)."""


def _unavailable(reason: str) -> NoReturn:
    """Skip locally; on CI a missing browser toolchain is a failure, never a silent skip."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_executable() -> str | None:
    """The system Chromium (`CHROMIUM_EXECUTABLE` overrides); never a downloaded one."""
    explicit = os.environ.get("CHROMIUM_EXECUTABLE")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


# -- axe-core ------------------------------------------------------------------------------------
def _lockfile_digest() -> str:
    return hashlib.sha256((BROWSER_DIR / "package-lock.json").read_bytes()).hexdigest()


def _installed() -> bool:
    return (AXE_SCRIPT.is_file() and _INSTALL_STAMP.is_file()
            and _INSTALL_STAMP.read_text().strip() == _lockfile_digest())


def ensure_axe() -> Path:
    """Install tests/browser/node_modules with `npm ci` when missing or stale (else no network);
    return the path of axe.min.js. A file lock keeps parallel workers from racing."""
    if _installed():
        return AXE_SCRIPT
    npm = shutil.which("npm")
    if npm is None:
        raise BrowserHarnessError("npm is not installed: cannot install axe-core (tests/browser)")
    with _INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed():
            return AXE_SCRIPT
        # --ignore-scripts: axe-core is plain JavaScript with no install script.
        completed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=BROWSER_DIR, capture_output=True, text=True, timeout=600, check=False,
        )
        if completed.returncode != 0:
            raise BrowserHarnessError(
                f"npm ci failed in {BROWSER_DIR} ({completed.returncode}):\n"
                f"{completed.stderr[-4000:]}"
            )
        _INSTALL_STAMP.write_text(_lockfile_digest())
    return AXE_SCRIPT


@cache
def _axe_source() -> str:
    return ensure_axe().read_text("utf-8")


def axe_violations(page: Any, tags: tuple[str, ...] = WCAG_21_AA_TAGS) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return its violations, each reduced to
    {"id", "impact", "help", "nodes": [{"target", "summary"}]}.

    `audited_phone_page` has loaded axe-core already; other pages get it here. Either way
    through the DevTools protocol, not a <script> element: the pages' Content-Security-Policy
    forbids inline scripts and must stay on while testing.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {
                runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
            });
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
            }));
        }""",
        list(tags),
    )
    return result


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One line per failing element: rule id, impact, CSS selector, what is wrong."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            summary = " ".join((node.get("summary") or "").split())
            lines.append(f"{violation['id']} ({violation['impact']}) at "
                         f"{' '.join(map(str, node['target']))}: {violation['help']}. {summary}")
    return "\n".join(lines)


# -- checks in the page: the width, the keyboard -------------------------------------------------
def overflowing_elements(page: Any) -> list[str]:
    """The first elements that stick out of the viewport on the right (to name them)."""
    found: list[str] = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5)
        .slice(0, 5).map(e => e.outerHTML.slice(0, 100))""")
    return found


# What has the focus: its probe, whether it is the skip link and on screen, and (for pages
# opened at an anchor) whether it lies inside the anchored element or after it.
FOCUSED_ELEMENT = """() => {
    const e = document.activeElement, r = e.getBoundingClientRect();
    const anchor = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    return {probe: e.dataset?.tabProbe ?? null,
            skipLink: e.matches('a.skip-link[href="#contenu"]'),
            onScreen: r.width > 0 && r.left >= 0 && r.right <= innerWidth && r.top >= 0,
            inside: anchor && anchor.contains(e) ? anchor.id : null,
            follows: anchor && (anchor.compareDocumentPosition(e)
                                & Node.DOCUMENT_POSITION_FOLLOWING) ? anchor.id : null};
}"""


# From now on, the probe of each element that gets the focus (the skip link, focused already,
# first); stops at the first one seen twice (Tab wrapped around) or anything unmarked.
RECORD_FOCUS = """() => {
    const stops = [document.activeElement.dataset.tabProbe];
    let done = false;
    window.__tabStops = stops;
    document.addEventListener('focusin', (event) => {
        const probe = event.target.dataset?.tabProbe;
        if (done || probe === undefined || stops.includes(probe)) { done = true; return; }
        stops.push(probe);
    });
}"""


# Marks every visible link and control with data-tab-probe; returns probe -> description.
LABEL_FOCUSABLE_ELEMENTS = """() => {
    const selector = 'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]),'
        + ' select:not([disabled]), textarea:not([disabled]), summary,'
        + ' [tabindex]:not([tabindex^="-"])';
    const found = {};
    document.querySelectorAll(selector).forEach((element, index) => {
        if (!element.checkVisibility({visibilityProperty: true})) return;
        if (element.matches('input[type=radio]') && !element.checked
            && document.querySelector(`input[type=radio][name="${element.name}"]:checked`)) return;
        element.dataset.tabProbe = String(index);
        found[String(index)] = element.outerHTML.slice(0, 120);
    });
    return found;
}"""


@dataclass
class PageAudit:
    """What axe-core and the width check found, page by page, over a whole pass."""

    lang: str
    width: int
    findings: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    def check(self, page: Any, name: str) -> None:
        self.pages.append(name)
        lang = page.locator("html").get_attribute("lang")
        if lang != self.lang:
            self.findings.append(f"[{name}] {page.url}: html lang={lang!r}, not {self.lang!r}")
        violations = axe_violations(page)
        if violations:
            self.findings.append(f"[{name}] {page.url}:\n{describe_violations(violations)}")
        scroll_width = page.evaluate("() => document.scrollingElement.scrollWidth")
        if scroll_width > self.width:
            self.findings.append(f"[{name}] {page.url}: scrolls sideways ({scroll_width} px > "
                                 f"{self.width} px); widest: {page.evaluate(_WIDEST)}")


# The elements that stick out of the viewport (to name them in a failure).
_WIDEST = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
        (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '') +
        ' (' + Math.round(e.getBoundingClientRect().right) + ' px)')"""


# -- the live server -----------------------------------------------------------------------------
@dataclass
class LiveServer:
    """The running app: where it listens, its issuer, and the demo credentials by family."""

    base_url: str
    service: IssuerService
    app: Any
    credentials: dict[str, IssuedBadge] = field(default_factory=dict)

    def url(self, path: str, **query: str) -> str:
        from urllib.parse import urlencode

        return self.base_url + path + (("?" + urlencode(query)) if query else "")


def demo_requests() -> dict[str, IssueRequest]:
    """One award of each badge family (membership, event, skill)."""
    return {
        "membership": IssueRequest(badge_slug="membre-cln", email="camille.exemple@example.org",
                                   name=MEMBER_NAME, show_name=True, role="conseiller",
                                   sector="Nord", mandate_start=CLN_MANDATE_START,
                                   through_register=True),
        "event": IssueRequest(badge_slug="petit-dejeuner-inclusion-numerique",
                              email="dominique.essai@example.org", name="Dominique Essai",
                              event_number=7, role="participant"),
        "skill": IssueRequest(badge_slug="mediateur-numerique", email="sacha.demo@example.org",
                              name="Sacha Démo", show_name=True),
    }


def _loopback_socket() -> socket.socket:
    # Bound here and handed to uvicorn: no window in which another process takes the port.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import uvicorn

    from issuer.web import create_app

    sock = _loopback_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(home=tmp_path_factory.mktemp("browser-issuer-home"), base_url=base_url,
                        did_method="web", database_url=None, key_passphrase=None,
                        identity_secret=None)
    service = IssuerService(settings)
    service.init()
    credentials = {}
    for family, request in demo_requests().items():
        # The CLN member is issued a week after the designation: issue and mandate start fall
        # in the same month, whichever of the two a page shows.
        now = CLN_ISSUED_AT if family == "membership" else None
        credentials[family] = service.issue(request, actor="tests", now=now)
    app = create_app(settings, service)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="browser-live-server")
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise BrowserHarnessError(f"the live server did not start on {base_url}")
        time.sleep(0.02)
    try:
        yield LiveServer(base_url=base_url, service=service, app=app, credentials=credentials)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


# -- workspace accounts on the live server -------------------------------------------------------
LIVE_ACCOUNT_PASSWORD = "correct horse battery staple"
_accounts = itertools.count(1)


@dataclass(frozen=True)
class Account:
    email: str
    password: str


def create_live_account(server: LiveServer, role: str) -> Account:
    """An account on the live server's own database (people are invited; tests create them
    directly, as `issuer admin create` does). Argon2id with test costs: the hash carries its
    parameters, so the server's own hasher verifies it."""
    # Imported here: tests.plugins.admin is a plugin of its own, loaded after this one (an
    # import at the top would load it first, before pytest can rewrite its asserts).
    from tests.plugins.admin import fast_hasher

    number = next(_accounts)
    email = f"browser-{role}-{number}@ville-roubaix.example"
    Accounts(server.service.database, hasher=fast_hasher()).create_user(
        email, f"{role.title()} {number}", LIVE_ACCOUNT_PASSWORD, role=role)
    return Account(email, LIVE_ACCOUNT_PASSWORD)


def become_holder(page: Any, server: LiveServer, credential_id: str) -> None:
    """Open a one-time holder link of the badge in `page` and press its button, as the holder
    does from the badge e-mail (issuer.wallet.holder_links): the browser then holds the holder
    access for this badge."""
    from issuer.wallet.holder_links import create_holder_link

    with server.service.database.session() as session:
        token, _expires = create_holder_link(session, credential_id)
    page.goto(server.url(f"/portefeuille/lien/{token}"))
    with page.expect_navigation(url=f"**/portefeuille/{credential_id}"):
        page.locator("main form button").first.click()


def sign_in_link_from_outbox(service: IssuerService, address: str, *,
                             wait_seconds: float = 10.0) -> str:
    """The link of the latest "Mon espace" sign-in e-mail to `address`, read from its .eml
    file once it is in the outbox (the e-mail leaves in a background task, after the page has
    answered); the test fails when none comes within `wait_seconds`."""
    from sqlalchemy import select

    from issuer.mail import outbox_message
    from issuer.network import mediators
    from issuer.storage.workspace_models import EmailMessage

    deadline = time.monotonic() + wait_seconds
    while True:
        with service.database.session(read_only=True) as session:
            row = session.scalars(select(EmailMessage).where(
                EmailMessage.kind == mediators.SIGN_IN_MAIL_KIND,
                EmailMessage.to_address == address, EmailMessage.status == "outbox")
                .order_by(EmailMessage.created_at.desc())).first()
        if row is not None:
            break
        assert time.monotonic() < deadline, "no sign-in e-mail in the outbox"
        time.sleep(0.05)
    _row, message = outbox_message(service, row.id)
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    base_url = service.settings.base_url.rstrip("/")
    found = re.findall(re.escape(base_url) + r"/espace/lien/[A-Za-z0-9_\-]+", text)
    assert found, text
    return found[0]


# -- the browser ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_executable()
    if executable is None:
        _unavailable("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    try:
        ensure_axe()
    except BrowserHarnessError as error:
        _unavailable(str(error))
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_context(browser: Any, viewport: dict[str, int]) -> Any:
    """A fresh browser (no cookies), French, with axe-core in every page it opens."""
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    context.set_default_timeout(10_000)
    context.add_init_script(path=str(ensure_axe()))
    return context


def _phone_context(browser: Any, *, with_axe: bool) -> Any:
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="fr-FR", accept_downloads=True)
    context.set_default_timeout(10_000)
    if with_axe:
        # Evaluated by Chromium in every document as it opens (never blocked by the CSP): a
        # little cheaper than sending the 650 kB script with `evaluate` after each load.
        context.add_init_script(path=str(ensure_axe()))
    return context


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    """A small phone with a French browser; fresh cookies every test."""
    context = _phone_context(browser, with_axe=False)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def audited_phone_page(browser: Any) -> Iterator[Any]:
    """`phone_page` with axe-core already loaded in every page it opens."""
    context = _phone_context(browser, with_axe=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def assert_works_with_the_keyboard(page: Any) -> None:
    """WCAG 2.4.1, 2.4.3, 2.1.1, on every public page: the
    skip link is the first Tab stop, on screen, and leads to the content (a page reached at
    an anchor starts the keyboard there instead); no positive tabindex; Tab reaches every
    visible link and control. Run it on a page as it was opened: it moves the focus."""
    expected = page.evaluate(LABEL_FOCUSABLE_ELEMENTS)
    assert next(iter(expected.values()), "").startswith('<a class="skip-link" href="#contenu"'), (
        f"the first focusable element is not the skip link: {list(expected.values())[:1]}")
    assert page.locator("[tabindex]:not([tabindex^='-']):not([tabindex='0'])").count() == 0, (
        "a positive tabindex reorders the keyboard path")
    page.keyboard.press("Tab")
    first_stop = page.evaluate(FOCUSED_ELEMENT)
    anchor = urlsplit(page.url).fragment
    if anchor:
        assert first_stop["follows"] == anchor or first_stop["inside"] == anchor, (
            f"the first Tab stop is not at #{anchor}: {first_stop}")
    else:
        assert first_stop["skipLink"], f"the first Tab stop is not the skip link: {first_stop}"
        assert first_stop["onScreen"], "the skip link is not on screen when it has the focus"

    page.locator(".skip-link").focus()
    page.evaluate(RECORD_FOCUS)
    for _ in range(len(expected) + 3):
        page.keyboard.press("Tab")
    order = page.evaluate("() => window.__tabStops")
    missing = [description for probe, description in expected.items() if probe not in order]
    assert not missing, f"not reachable with Tab on {page.url}: {missing}"

    page.locator(".skip-link").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "contenu"
