"""The mediator network's pages in a real browser (headless Chromium, axe-core), issue #5:

- public: the skills catalogue /competences, a skill at its stable address and as it was in
  a version of the catalogue, the directory /annuaire (with two fictional mediators who opted
  in, and searched by skill, domain and sector through its form), "Mon espace" /espace signed
  out (the form asking for a link) and signed in through a real one-time link read from the
  outbox. On a 360 px phone, in French and in English: no WCAG 2.1 A/AA violation (RGAA 4.1),
  nothing scrolls sideways, the skip link is the first Tab stop and leads to the content, and
  Tab reaches every link and control;
- the workspace: a coordinator adds a skill through the real form, edits it (a new version
  with its change note), retires it and reads the version history; every page passes axe-core
  on a phone (French) and on a laptop (English), and the outcome is checked where a visitor
  sees it: the version number goes up, the public page says the skill is retired;
- peer endorsement: a mediator signed in to their space endorses a colleague's skill badge
  from its page (a too-short text refused first), the coordinator approves it, the badge page
  shows it and its own page verifies it live; axe-core and the width on every step (phone,
  French; laptop for the coordinator; the endorsement's page in English too).

Everything runs on the session's one live server (tests/plugins/browser.py). What this file
adds there is its own: four skill badges (the home page then lists them too; its tests pass in
either order), three directory entries, one endorsement, the skills ACC-07 and ACC-08 (each
pass its own); the tests compare with the catalogue as it is when they run, not with fixed
version numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from issuer.issuance.service import IssuerService
from issuer.network import mediators
from issuer.network.mediators import ProfileDraft
from issuer.network.skill_badges import (
    SkillBadgeError,
    SkillBadgeKind,
    SkillEvidence,
    create_skill_badge,
    issue_skill_badge,
    skill_badge_slug,
)
from issuer.network.skills import service as skills
from issuer.storage.models import IssuedCredential
from tests.plugins.browser import (
    LAPTOP_VIEWPORT,
    PHONE_VIEWPORT,
    Account,
    LiveServer,
    PageAudit,
    assert_works_with_the_keyboard,
    axe_violations,
    create_live_account,
    describe_violations,
    new_context,
    overflowing_elements,
    sign_in_link_from_outbox,
)

pytestmark = pytest.mark.browser

LANGUAGES = ("fr", "en")
COORDINATION = "coordinatrice@ville-roubaix.example"


# -- the network: two fictional mediators in the directory ----------------------------------------

@dataclass(frozen=True)
class Mediator:
    """A fictional mediator (real residents' names are left out), their badge, their entry."""

    email: str
    name: str
    display_name: str
    sector: str
    badge_kind: SkillBadgeKind
    badge_code: str
    skill_shown: str           # a skill their badge recognises (its public page is listed)
    organisation: str
    contact_url: str = ""


ALEX = Mediator("alex.fictif@example.org", "Alex Fictif", "Alex F.", "nord", "skill", "ACC-01",
                "ACC-01", "Centre social du Fictif",
                contact_url="https://centre-social.example.org/contact")
NOOR = Mediator("noor.imaginaire@example.org", "Noor Imaginaire", "Noor I.", "sud", "domain",
                "DEM", "DEM-02", "Médiathèque imaginaire")


@dataclass(frozen=True)
class Network:
    """The mediators listed, and the id of the badge each was issued."""

    credential_ids: dict[str, str]


def ensure_skill_badge(service: IssuerService, kind: SkillBadgeKind, code: str) -> str:
    """The badge of a skill or domain, created as the coordinator does (once per server)."""
    try:
        create_skill_badge(service, kind, code, actor=COORDINATION)
    except SkillBadgeError as error:
        if error.code != "skill_badge.exists":
            raise
    return skill_badge_slug(kind, code)


def recipient_of(service: IssuerService, credential_id: str) -> str:
    with service.database.session(read_only=True) as session:
        recipient_id = session.scalar(select(IssuedCredential.recipient_id).where(
            IssuedCredential.id == credential_id))
    assert recipient_id is not None
    return recipient_id


@pytest.fixture(scope="module")
def network(live_server: LiveServer) -> Network:
    """Alex (skill ACC-01, sector Nord, a contact page) and Noor (domain DEM, sector Sud),
    each issued a skill badge and opted in to the directory."""
    return Network({person.display_name: award_skill_badge(live_server.service, person)
                    for person in (ALEX, NOOR)})


def award_skill_badge(service: IssuerService, person: Mediator, *, listed: bool = True) -> str:
    """Issue the person their skill badge (as the coordinator does) and, if `listed`, put
    them in the directory; the id of the badge."""
    slug = ensure_skill_badge(service, person.badge_kind, person.badge_code)
    issued = issue_skill_badge(service, slug, email=person.email, name=person.name,
                               given=SkillEvidence(narrative="Observé en atelier."),
                               actor=COORDINATION, send_email=False)
    if listed:
        mediators.save_profile(service, recipient_of(service, issued.credential_id), ProfileDraft(
            display_name=person.display_name, sector=person.sector,
            organisation=person.organisation, description="Démarches en ligne, le mardi matin.",
            contact_url=person.contact_url))
    return issued.credential_id


@pytest.fixture(scope="module")
def _phone_browser(browser: Any) -> Iterator[Any]:
    context = new_context(browser, PHONE_VIEWPORT)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def visitor(_phone_browser: Any) -> Any:
    """A 360 px phone with a French browser and axe-core in every page, nothing stored
    (cookies cleared: signed out, no language chosen). One page for the module's public
    tests, which only read: opening a page with axe-core costs more than clearing cookies."""
    _phone_browser.context.clear_cookies()
    return _phone_browser


# -- the checks every public page passes ----------------------------------------------------------

def open_page(page: Any, server: LiveServer, path: str, lang: str, status: int = 200) -> None:
    """As a visitor: a French browser; English through the `?lang=en` switch (kept in a
    cookie for the pages that follow)."""
    url = server.url(path) if lang == "fr" else server.url(path) + (
        "&" if "?" in path else "?") + "lang=en"
    response = page.goto(url)
    assert response is not None and response.status == status, (
        f"{url}: HTTP {response and response.status}")


def assert_passes_the_phone_checks(page: Any, lang: str) -> None:
    """The page as it is now: its language, axe-core, its width, the keyboard."""
    assert page.locator("html").get_attribute("lang") == lang
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url} ({lang}):\n{describe_violations(violations)}"
    scroll_width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert scroll_width <= PHONE_VIEWPORT["width"], (
        f"{page.url} scrolls sideways at 360 px: {scroll_width} px wide; widest elements: "
        f"{overflowing_elements(page)}")
    assert_works_with_the_keyboard(page)


def heading(page: Any) -> str:
    text: str = page.get_by_role("heading", level=1).inner_text()
    return " ".join(text.split())


def directory_entries(page: Any) -> list[str]:
    names: list[str] = page.locator("main .directory-entry h3").all_inner_texts()
    return names


# -- the catalogue and its skills -----------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_lists_every_domain_with_its_skills_and_passes_the_phone_checks(
        visitor: Any, live_server: LiveServer, lang: str) -> None:
    page = visitor
    catalogue = skills.current_catalogue(live_server.service)
    open_page(page, live_server, "/competences", lang)

    assert heading(page) == catalogue.framework.title.text(lang)
    domains = catalogue.active_domains()
    assert page.locator("nav.skills-toc a").count() == len(domains)
    for domain in domains:
        listed = page.locator(f"section[aria-labelledby='domaine-{domain.code}'] .skills-list a")
        assert listed.all_inner_texts() == [
            skill.name.text(lang) for skill in catalogue.skills_of(domain.code)]
    assert_passes_the_phone_checks(page, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_skill_page_shows_its_domain_levels_links_and_stable_address_and_passes_the_phone_checks(
        visitor: Any, live_server: LiveServer, lang: str) -> None:
    page = visitor
    catalogue = skills.current_catalogue(live_server.service)
    skill = catalogue.skill("DEM-01")
    open_page(page, live_server, "/competences/DEM-01", lang)

    assert heading(page) == skill.name.text(lang)
    assert catalogue.domain("DEM").name.text(lang) in page.locator("main .lead").inner_text()
    assert page.locator("main dl.skill-levels dt").count() == len(catalogue.levels_of(skill))
    assert page.locator("main a[rel=external]").count() >= 1   # the ESCO crosswalk
    address = live_server.url("/competences/DEM-01")
    assert page.locator("main code.skill-uri").inner_text() == address
    version_url = live_server.url(f"/competences/versions/{catalogue.version}/DEM-01")
    assert page.locator(f"main a[href='{version_url}']").count() == 1
    assert page.locator(".notice").count() == 0   # neither retired nor an old version
    assert_passes_the_phone_checks(page, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_versioned_skill_page_says_which_catalogue_version_it_shows_and_passes_the_phone_checks(
        visitor: Any, live_server: LiveServer, lang: str) -> None:
    page = visitor
    first = skills.catalogue_version(live_server.service, 1)
    open_page(page, live_server, "/competences/versions/1/DEM-01", lang)

    assert heading(page) == first.skill("DEM-01").name.text(lang)
    note = page.locator("main .notice[role=note]")
    assert ("version 1 du catalogue" if lang == "fr" else "version 1 of the catalogue") in (
        note.inner_text())
    assert note.locator(f"a[href='{live_server.url('/competences/DEM-01')}']").count() == 1
    assert page.locator("link[rel=canonical]").get_attribute("href") == live_server.url(
        "/competences/versions/1/DEM-01")
    assert_passes_the_phone_checks(page, lang)


# -- the directory --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_directory_lists_the_opted_in_mediators_and_passes_the_phone_checks(
        visitor: Any, live_server: LiveServer, network: Network, lang: str) -> None:
    page = visitor
    open_page(page, live_server, "/annuaire", lang)

    assert {ALEX.display_name, NOOR.display_name} <= set(directory_entries(page))
    for person in (ALEX, NOOR):
        entry = page.locator("main .directory-entry", has=page.get_by_role(
            "heading", name=person.display_name, exact=True))
        assert person.organisation in entry.locator(".directory-where").inner_text()
        assert entry.locator(f"a[href='/competences/{person.skill_shown}']").count() == 1
        credential_id = network.credential_ids[person.display_name]
        assert entry.locator(f"a[href='/credentials/{credential_id}']").count() == 1
    alex = page.locator("main .directory-entry", has=page.get_by_role(
        "heading", name=ALEX.display_name, exact=True))
    assert alex.locator(f"a[href='{ALEX.contact_url}']").count() == 1
    text = page.locator("body").inner_text()
    assert ALEX.email not in text and NOOR.email not in text   # never an e-mail address
    assert_passes_the_phone_checks(page, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_directory_search_by_skill_domain_and_sector_shows_only_matching_mediators(
        visitor: Any, live_server: LiveServer, network: Network, lang: str) -> None:
    page = visitor
    open_page(page, live_server, "/annuaire", lang)

    def search(skill: str = "", domain: str = "", sector: str = "") -> list[str]:
        page.locator("#recherche-competence").select_option(skill)
        page.locator("#recherche-domaine").select_option(domain)
        page.locator("#recherche-secteur").select_option(sector)
        with page.expect_navigation():
            page.locator("form[role=search] button[type=submit]").click()
        assert page.locator("html").get_attribute("lang") == lang   # the switch is kept
        return directory_entries(page)

    by_skill = search(skill="ACC-01")
    assert ALEX.display_name in by_skill and NOOR.display_name not in by_skill
    by_domain = search(domain="DEM")
    assert NOOR.display_name in by_domain and ALEX.display_name not in by_domain
    by_sector = search(sector="sud")
    assert NOOR.display_name in by_sector and ALEX.display_name not in by_sector
    assert page.locator("#recherche-secteur").input_value() == "sud"   # the search is kept
    assert_passes_the_phone_checks(page, lang)

    assert search(skill="ACC-01", sector="sud") == []   # nobody matches: said, and accessible
    assert page.locator("main a[href='/annuaire']").count() >= 1   # "show everyone"
    assert_passes_the_phone_checks(page, lang)


# -- "Mon espace" ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_my_space_signed_out_asks_for_a_sign_in_link_and_passes_the_phone_checks(
        visitor: Any, live_server: LiveServer, lang: str) -> None:
    page = visitor
    open_page(page, live_server, "/espace", lang)

    form = page.locator("main form[action='/espace/connexion']")
    assert form.locator("input[type=email]#space-email[required]").count() == 1
    assert page.locator("main form[action='/espace/deconnexion']").count() == 0
    assert page.get_by_label("Votre adresse e-mail" if lang == "fr" else "Your e-mail address",
                             exact=True).count() == 1
    assert_passes_the_phone_checks(page, lang)


@pytest.mark.parametrize(("lang", "person"), [("fr", ALEX), ("en", NOOR)], ids=LANGUAGES)
def test_a_one_time_link_from_the_outbox_opens_my_space_and_every_step_passes_the_phone_checks(
        visitor: Any, live_server: LiveServer, network: Network, lang: str,
        person: Mediator) -> None:
    page = visitor
    open_page(page, live_server, "/espace", lang)
    page.locator("#space-email").fill(person.email)
    with page.expect_navigation(url="**/espace?fait=link-sent"):
        page.locator("main form[action='/espace/connexion'] button[type=submit]").click()
    assert page.locator("main .notice-success[role=status]").count() == 1
    assert_passes_the_phone_checks(page, lang)

    # The link of the e-mail only shows a button; pressing it opens the session.
    link = sign_in_link_from_outbox(live_server.service, person.email)
    page.goto(link)
    assert page.locator("main form button[type=submit]").count() == 1
    assert_passes_the_phone_checks(page, lang)
    page.goto(link)   # the checks moved the focus around: from the top again
    with page.expect_navigation(url=live_server.url("/espace")):
        page.locator("main form button[type=submit]").click()

    assert heading(page) == ("Mon espace" if lang == "fr" else "My space")
    assert page.locator("main form[action='/espace/deconnexion']").count() == 1
    held = page.locator("main section[aria-labelledby='competences']")
    assert held.locator(f"a[href='/competences/{person.skill_shown}']").count() == 1
    badges = page.locator("main section[aria-labelledby='badges']")
    credential_id = network.credential_ids[person.display_name]
    assert badges.locator(f"a[href='/credentials/{credential_id}']").count() == 1
    directory = page.locator("main section[aria-labelledby='annuaire']")
    assert directory.locator("#profil-display_name").input_value() == person.display_name
    assert directory.locator("form[action='/espace/annuaire/retrait']").count() == 1  # listed
    assert_passes_the_phone_checks(page, lang)

    # The link worked once: opened again, it says so (and that page passes too).
    open_page(page, live_server, urlsplit(link).path, lang, status=404)
    assert page.locator("main .form-error[role=alert]").count() == 1
    assert_passes_the_phone_checks(page, lang)


# -- the workspace: the skills catalogue ----------------------------------------------------------

@dataclass(frozen=True)
class CataloguePass:
    """One pass of the catalogue flow: language, screen, and the skill only this pass adds."""

    name: str
    lang: str
    viewport: dict[str, int]
    code: str


CATALOGUE_PASSES = [
    CataloguePass("fr-phone", "fr", PHONE_VIEWPORT, code="ACC-07"),
    CataloguePass("en-laptop", "en", LAPTOP_VIEWPORT, code="ACC-08"),
]

# The words the flow reads, per language (the pages' own wording).
TEXT: dict[str, dict[str, str]] = {
    "fr": {"sign_in": "Se connecter", "catalogue": "Catalogue des compétences",
           "saved": "Enregistré : version {number} du catalogue.", "in_use": "En usage",
           "retired_on": "Retirée le", "retired": "Compétence retirée.",
           "versions": "Historique des versions du catalogue des compétences"},
    "en": {"sign_in": "Sign in", "catalogue": "Skills catalogue",
           "saved": "Saved: version {number} of the catalogue.", "in_use": "In use",
           "retired_on": "Retired on", "retired": "Retired skill.",
           "versions": "Version history of the skills catalogue"},
}


@pytest.mark.parametrize("run", CATALOGUE_PASSES, ids=[run.name for run in CATALOGUE_PASSES])
def test_a_coordinator_adds_edits_and_retires_a_skill_and_every_page_passes_axe(
        browser: Any, live_server: LiveServer, run: CataloguePass) -> None:
    text = TEXT[run.lang]
    audit = PageAudit(run.lang, run.viewport["width"])
    account = create_live_account(live_server, "coordinator")
    base_version = skills.current_catalogue(live_server.service).version
    code = run.code
    names = {"first_fr": f"Tenir une permanence numérique ({code})",
             "first_en": f"Running a digital drop-in ({code})",
             "edited_fr": f"Tenir une permanence sans rendez-vous ({code})",
             "edited_en": f"Running a walk-in session ({code})"}
    context = new_context(browser, run.viewport)
    try:
        page = context.new_page()

        # Signed in through the real form; the catalogue from the workspace menu.
        page.goto(live_server.url("/admin/connexion", **({"lang": "en"} if run.lang == "en"
                                                         else {})))
        page.locator("#email").fill(account.email)
        page.locator("#password").fill(account.password)
        with page.expect_navigation(url=live_server.url("/admin")):
            page.get_by_role("button", name=text["sign_in"]).click()
        with page.expect_navigation():
            page.locator("nav.admin-nav a[href='/admin/competences']").click()
        assert heading(page) == text["catalogue"]
        audit.check(page, "catalogue")

        # Add a skill: a new version of the catalogue.
        with page.expect_navigation():
            page.locator("main a[href='/admin/competences/nouvelle']").click()
        audit.check(page, "skill-new")
        page.locator("#code").fill(code.lower())   # the code is read in capitals
        page.locator("#domain").select_option("ACC")
        page.locator("#name_fr").fill(names["first_fr"])
        page.locator("#name_en").fill(names["first_en"])
        page.locator("#description_fr").fill("Accueillir sans rendez-vous, une fois par semaine.")
        page.locator("#description_en").fill("Welcoming people without appointment, weekly.")
        page.locator("#level1_name_fr").fill("Avec une ou un collègue")
        page.locator("#level1_name_en").fill("With a colleague")
        page.locator("#note").fill(f"Ajout de {code} (demande du réseau)")
        added = submit_and_check_saved(page, live_server, audit, "skills-added", text,
                                       done="ajoutee", code=code, version=base_version + 1)
        row = skill_row(page, code)
        assert row.locator("td").nth(2).inner_text().strip() == text["in_use"]

        with page.expect_navigation():
            page.locator(f"main .notice a[href='/competences/{code}']").click()
        assert heading(page) == names[f"first_{run.lang}"]
        audit.check(page, "public-skill-added")

        # Edit it: another version, with its change note; the form shows what is saved.
        page.goto(live_server.url("/admin/competences"))
        with page.expect_navigation():
            skill_row(page, code).locator(f"a[href='/admin/competences/{code}']").click()
        assert page.locator("#name_fr").input_value() == names["first_fr"]
        assert page.locator("#level1_name_fr").input_value() == "Avec une ou un collègue"
        assert page.locator("#code").count() == 0   # a code never changes
        audit.check(page, "skill-edit")
        page.locator("#name_fr").fill(names["edited_fr"])
        page.locator("#name_en").fill(names["edited_en"])
        page.locator("#note").fill(f"Nom plus clair pour {code}")
        submit_and_check_saved(page, live_server, audit, "skills-edited", text,
                               done="modifiee", code=code, version=added + 1)

        # Retire it, after the confirmation page.
        with page.expect_navigation():
            skill_row(page, code).locator(f"a[href='/admin/competences/{code}/retirer']").click()
        assert code in heading(page)
        audit.check(page, "skill-retire")
        page.locator("#note").fill(f"{code} retirée : fusion avec ACC-01")
        retired = submit_and_check_saved(page, live_server, audit, "skills-retired", text,
                                         done="retirer", code=code, version=added + 2)
        status = skill_row(page, code).locator("td").nth(2).inner_text().strip()
        assert status.startswith(text["retired_on"]), status
        assert skill_row(page, code).locator(
            f"a[href='/admin/competences/{code}/reintegrer']").count() == 1

        assert page.locator(f"main .notice a[href='/competences/{code}']").count() == 1
        check_retired_skill_as_a_visitor(browser, live_server, run, audit, names,
                                         added_version=added)

        # The version history: the three versions, newest first, with notes and author.
        page.goto(live_server.url("/admin/competences"))
        with page.expect_navigation():
            page.locator("main a[href='/admin/competences/versions']").click()
        assert heading(page) == text["versions"]
        audit.check(page, "versions")
        rows = [[" ".join(cell.split()) for cell in row.locator("td").all_inner_texts()]
                for row in page.locator("main table tbody tr").all()[:3]]
        assert [(number, author, note) for number, _date, author, note in rows] == [
            (str(retired), account.email, f"{code} retirée : fusion avec ACC-01"),
            (str(added + 1), account.email, f"Nom plus clair pour {code}"),
            (str(added), account.email, f"Ajout de {code} (demande du réseau)"),
        ]
    finally:
        context.close()
    catalogue = skills.current_catalogue(live_server.service)
    assert catalogue.version == retired and catalogue.skill(code).retired
    assert not audit.findings, (f"{run.name}: {len(audit.findings)} problem(s) on "
                                f"{len(audit.pages)} pages:\n" + "\n".join(audit.findings))


def check_retired_skill_as_a_visitor(browser: Any, server: LiveServer, run: CataloguePass,
                                     audit: PageAudit, names: dict[str, str], *,
                                     added_version: int) -> None:
    """What a visitor sees (their own browser, nothing cached): the public page still
    answers, with the new name, and says the skill is retired; the catalogue lists it among
    the retired skills; the address of the version it was added in shows it as it was."""
    code, lang = run.code, run.lang
    switch = {"lang": "en"} if lang == "en" else {}
    context = new_context(browser, run.viewport)
    try:
        page = context.new_page()
        page.goto(server.url(f"/competences/{code}", **switch))
        assert heading(page) == names[f"edited_{lang}"]
        assert TEXT[lang]["retired"] in page.locator("main .notice-error").inner_text()
        audit.check(page, "public-skill-retired")
        page.goto(server.url("/competences"))
        assert page.locator(f"#retirees ~ ul a[href='/competences/{code}']").count() == 1
        assert page.locator(f".skills-domain a[href='/competences/{code}']").count() == 0
        audit.check(page, "public-catalogue-with-retired")
        page.goto(server.url(f"/competences/versions/{added_version}/{code}"))
        assert heading(page) == names[f"first_{lang}"]
        assert page.locator("main .notice-error").count() == 0   # not retired back then
    finally:
        context.close()


def submit_and_check_saved(page: Any, server: LiveServer, audit: PageAudit, name: str,
                           text: dict[str, str], *, done: str, code: str, version: int) -> int:
    """Submit the form of the page; the catalogue then says which version was saved."""
    with page.expect_navigation():
        page.locator("main form.admin-form button[type=submit]").click()
    assert page.url == server.url("/admin/competences", fait=done, code=code,
                                  version=str(version)), page.url
    notice = page.locator("main .notice-success[role=status]").inner_text()
    assert text["saved"].format(number=version) in " ".join(notice.split())
    audit.check(page, name)
    return version


def skill_row(page: Any, code: str) -> Any:
    return page.locator("main table tbody tr", has=page.locator(
        f"a[href='/admin/competences/{code}']"))


# -- peer endorsement -----------------------------------------------------------------------------

# Lou endorses the skill badge of Inès, whom they find in the directory (sector Est). Lou is
# not listed: holding a valid skill badge is what makes them a peer.
LOU = Mediator("lou.essai@example.org", "Lou Essai", "Lou E.", "centre", "skill", "ACC-02",
               "ACC-02", "Maison de quartier de l'Essai")
INES = Mediator("ines.fictive@example.org", "Inès Fictive", "Inès F.", "est", "skill", "DEM-01",
                "DEM-01", "Espace numérique fictif")
ENDORSEMENT = ("Inès et moi avons animé ensemble l'atelier « Démarches en ligne » de mars : "
               "des explications claires, et beaucoup de patience avec chaque personne.")
TOO_SHORT = "Écrivez au moins 10 caractères : dites ce que vous avez vu la personne faire."

# The accessible description of the focused element: the texts its aria-describedby names.
_DESCRIPTION = """() => (document.activeElement.getAttribute('aria-describedby') || '')
    .split(/\\s+/).filter(Boolean)
    .map(id => (document.getElementById(id)?.textContent || '').trim()).join(' ')"""


def test_a_mediator_endorses_a_peers_badge_the_coordinator_publishes_it_and_every_page_passes(
        browser: Any, live_server: LiveServer, visitor: Any) -> None:
    """The whole flow through the real pages: Lou (360 px phone, French) signs in to their
    space with a one-time link, finds Inès in the directory, opens her badge and follows
    "Recommander ce badge"; a too-short text is refused (said in French, linked to the field);
    the endorsement sent waits in Lou's space and is not on the badge page; the coordinator
    (laptop, French) approves it from /admin/recommandations; the badge page then shows it,
    and its own page verifies it live, in French and in English. Every page: axe-core, the
    width, its language; the phone pages also with the keyboard."""
    service = live_server.service
    award_skill_badge(service, LOU, listed=False)
    badge_id = award_skill_badge(service, INES)
    badge_path = f"/credentials/{badge_id}"
    badge_name = service.credential(badge_id).credential["name"]
    phone = PageAudit("fr", PHONE_VIEWPORT["width"])
    laptop = PageAudit("fr", LAPTOP_VIEWPORT["width"])
    english = PageAudit("en", PHONE_VIEWPORT["width"])
    mediator_context = new_context(browser, PHONE_VIEWPORT)
    coordinator_context = new_context(browser, LAPTOP_VIEWPORT)
    try:
        page = mediator_context.new_page()
        sign_in_to_my_space(page, live_server, LOU.email)

        # The directory, searched by sector; Inès' badge; the link of its endorsements.
        page.goto(live_server.url("/annuaire"))
        page.locator("#recherche-secteur").select_option(INES.sector)
        with page.expect_navigation():
            page.get_by_role("button", name="Rechercher", exact=True).click()
        entry = page.locator("main .directory-entry", has=page.get_by_role(
            "heading", name=INES.display_name, exact=True))
        with page.expect_navigation(url=live_server.url(badge_path)):
            entry.locator(f"a[href='{badge_path}']").click()
        endorsements_section = page.locator("main section[aria-labelledby='endorsements-title']")
        assert endorsements_section.get_by_role(
            "heading", name="Recommandations de pairs").count() == 1
        assert "Aucune recommandation pour l'instant." in endorsements_section.inner_text()
        phone.check(page, "badge-page")
        assert_works_with_the_keyboard(page)
        with page.expect_navigation(url=live_server.url(f"/espace/recommander/{badge_id}")):
            endorsements_section.get_by_role("link", name="Recommander ce badge").click()

        # The form.
        assert heading(page) == "Recommander un badge"
        assert page.locator(f"main .lead a[href='{badge_path}']").inner_text() == badge_name
        comment = page.get_by_label("Votre recommandation", exact=True)
        show_name = page.get_by_label("Afficher mon nom avec la recommandation")
        assert show_name.is_checked()   # shown unless unticked: the name field says which
        phone.check(page, "endorse-form")
        assert_works_with_the_keyboard(page)
        comment.click()
        page.keyboard.type("Bien.")
        page.get_by_label("Nom à afficher", exact=True).fill(LOU.display_name)
        with page.expect_navigation() as sent:
            page.get_by_role("button", name="Envoyer ma recommandation").click()

        # Too short: refused, said in French, the text kept, the message linked to the field.
        assert sent.value.status == 400
        assert page.title().startswith("Erreur — ")   # the title says it too (WCAG 2.4.2)
        alert = page.locator("main .form-error[role=alert]")
        assert alert.get_by_role("heading", level=2).inner_text() == (
            "Votre recommandation n'a pas été envoyée")
        assert TOO_SHORT in alert.inner_text()
        assert comment.input_value() == "Bien." and comment.get_attribute("aria-invalid") == "true"
        phone.check(page, "endorse-form-error")
        assert_works_with_the_keyboard(page)
        alert.focus()   # tabindex=-1: a script or a link may put the focus on the message
        assert page.evaluate("() => document.activeElement.id") == "erreur"
        page.keyboard.press("Tab")   # the message's link, to the field it is about
        assert page.evaluate("() => document.activeElement.getAttribute('href')") == (
            "#endorse-comment")
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "endorse-comment"
        assert TOO_SHORT in page.evaluate(_DESCRIPTION), (
            "the field's description does not say what is wrong with it")
        page.keyboard.press("Control+A")
        page.keyboard.type(ENDORSEMENT)
        assert show_name.is_checked()
        assert page.get_by_label("Nom à afficher", exact=True).input_value() == LOU.display_name
        with page.expect_navigation(url="**/espace?fait=endorsement-sent#recommandations-ecrites"):
            page.get_by_role("button", name="Envoyer ma recommandation").click()

        # Sent: it waits in Lou's space, and is not on the badge page.
        assert "votre recommandation est envoyée" in page.locator(
            "main .notice-success[role=status]").inner_text()
        written = page.locator("main section[aria-labelledby='recommandations-ecrites'] li",
                               has_text=ENDORSEMENT)
        assert "En attente de la coordination" in written.inner_text()
        phone.check(page, "space-endorsement-sent")
        assert_works_with_the_keyboard(page)
        with page.expect_navigation(url=live_server.url(badge_path)):
            written.locator(f"a[href='{badge_path}']").click()
        assert ENDORSEMENT not in page.locator("main").inner_text()

        # The coordinator: one endorsement waiting, approved.
        desk = coordinator_context.new_page()
        sign_in_to_the_workspace(desk, live_server, create_live_account(live_server,
                                                                        "coordinator"))
        with desk.expect_navigation(url=live_server.url("/admin/recommandations")):
            desk.locator("nav.admin-nav").get_by_role(
                "link", name="Recommandations", exact=True).click()
        waiting = desk.locator("main .moderation-item", has_text=ENDORSEMENT)
        assert waiting.count() == 1
        assert "Nom affiché : Lou E." in waiting.inner_text()
        laptop.check(desk, "moderation-waiting")
        with desk.expect_navigation(url=live_server.url("/admin/recommandations",
                                                        fait="approved")):
            waiting.get_by_role("button", name="Approuver et publier").click()
        assert "La recommandation est publiée." in desk.locator(
            "main .notice-success[role=status]").inner_text()
        assert desk.locator("main .moderation-item", has_text=ENDORSEMENT).count() == 0
        laptop.check(desk, "moderation-approved")

        # Published: on the badge page, and on its own page, verified live.
        page.goto(live_server.url(badge_path))
        published = page.locator("main section[aria-labelledby='endorsements-title'] li",
                                 has_text=ENDORSEMENT)
        assert published.count() == 1
        assert "Par Lou E." in published.inner_text()
        phone.check(page, "badge-page-endorsed")
        assert_works_with_the_keyboard(page)
        link = published.get_by_role("link", name="Voir la recommandation signée")
        endorsement_path = link.get_attribute("href") or ""
        assert re.fullmatch(r"/recommandations/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}",
                            endorsement_path), endorsement_path
        with page.expect_navigation(url=live_server.url(endorsement_path)):
            link.click()
        assert heading(page) == f"Recommandation du badge « {badge_name} »"
        assert page.locator("main .verdict.valid .verdict-sentence").inner_text().startswith(
            "Recommandation authentique, délivrée par")
        assert page.locator("main blockquote.endorsement-quote").inner_text() == ENDORSEMENT
        assert "Écrite par Lou E." in page.locator("main").inner_text()
        phone.check(page, "endorsement-page")
        assert_works_with_the_keyboard(page)
    finally:
        mediator_context.close()
        coordinator_context.close()

    # The endorsement's page in English, as anyone reads it (nobody signed in).
    open_page(visitor, live_server, endorsement_path, "en")
    assert heading(visitor) == f"Endorsement of the badge “{badge_name}”"
    assert visitor.locator("main .verdict.valid .verdict-sentence").inner_text().startswith(
        "Authentic endorsement, issued by")
    assert visitor.locator("main blockquote.endorsement-quote").inner_text() == ENDORSEMENT
    english.check(visitor, "endorsement-page-en")
    assert_works_with_the_keyboard(visitor)

    findings = phone.findings + laptop.findings + english.findings
    pages = phone.pages + laptop.pages + english.pages
    assert not findings, (f"{len(findings)} problem(s) on {len(pages)} pages:\n"
                          + "\n".join(findings))


def sign_in_to_my_space(page: Any, server: LiveServer, email: str) -> None:
    """"Mon espace" through a real one-time link, read from the outbox."""
    page.goto(server.url("/espace"))
    page.locator("#space-email").fill(email)
    with page.expect_navigation(url="**/espace?fait=link-sent"):
        page.locator("main form[action='/espace/connexion'] button[type=submit]").click()
    page.goto(sign_in_link_from_outbox(server.service, email))
    with page.expect_navigation(url=server.url("/espace")):
        page.locator("main form button[type=submit]").click()


def sign_in_to_the_workspace(page: Any, server: LiveServer, account: Account) -> None:
    page.goto(server.url("/admin/connexion"))
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    with page.expect_navigation(url=server.url("/admin")):
        page.get_by_role("button", name="Se connecter").click()
