"""The seed badge catalogue in badges/ and its loader."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import defusedxml.ElementTree as safe_xml
import jsonschema
import pytest
from PIL import Image

from issuer.issuance.catalogue import Catalogue, default_catalogue_dir, load_catalogue
from issuer.openbadges.badge_definitions import CatalogueError, LocalizedText

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "issuer" / "openbadges" / "schemas" / "ob_v3p0_achievementcredential_schema.json"
SVG = "{http://www.w3.org/2000/svg}"
PETIT_DEJEUNER = "petit-dejeuner-inclusion-numerique"

# Dates of the ten editions, from the programme (domain brief).
EDITION_DATES = {
    1: "2022-09-30", 2: "2023-02-03", 3: "2023-06-06", 4: "2023-10-13", 5: "2024-03-15",
    6: "2024-06-07", 7: "2024-10-11", 8: "2025-03-14", 9: "2025-06-13", 10: "2025-10-10",
}  # fmt: skip


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(REPO / "badges")


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed catalogue, to break on purpose."""
    return Path(shutil.copytree(REPO / "badges", tmp_path / "badges"))


def test_seed_catalogue_holds_the_four_badges(catalogue: Catalogue) -> None:
    assert {badge.slug: badge.family for badge in catalogue.badges} == {
        "membre-cln": "membership",
        "ancien-membre-cln": "membership",
        PETIT_DEJEUNER: "event",
        "mediateur-numerique": "skill",
    }


def test_every_badge_has_french_and_english_texts(catalogue: Catalogue) -> None:
    for badge in catalogue.badges:
        for text in (badge.name, badge.description, badge.criteria):
            assert text.fr.strip() and text.en.strip() and text.fr != text.en


def test_petit_dejeuner_has_the_ten_editions_of_the_programme(catalogue: Catalogue) -> None:
    events = catalogue.badge(PETIT_DEJEUNER).events
    assert {event.number: event.date.isoformat() for event in events} == EDITION_DATES
    assert [event.number for event in events] == list(range(1, 11))
    assert all(event.family_slug == PETIT_DEJEUNER for event in events)


def test_edition_themes_are_in_french_and_english(catalogue: Catalogue) -> None:
    badge = catalogue.badge(PETIT_DEJEUNER)
    assert badge.event(8).theme.fr == "Numérique en santé : un enjeu d'inclusion et de proximité"
    assert badge.event(8).theme.get("en").startswith("Digital health")


def test_only_the_ninth_edition_has_a_known_venue(catalogue: Catalogue) -> None:
    venues = {event.number: event.venue for event in catalogue.badge(PETIT_DEJEUNER).events}
    assert venues.pop(9) == "Archives nationales du monde du travail"
    assert set(venues.values()) == {None}


def test_unknown_edition_is_refused(catalogue: Catalogue) -> None:
    with pytest.raises(CatalogueError) as error:
        catalogue.badge(PETIT_DEJEUNER).event(11)
    assert error.value.code == "catalogue.unknown_event"


@pytest.mark.parametrize(
    ("badge_slug", "label", "role_slug"),
    [
        (PETIT_DEJEUNER, "Intervenante", "intervenant"),
        (PETIT_DEJEUNER, "intervenant", "intervenant"),
        (PETIT_DEJEUNER, "Intervenant·e", "intervenant"),
        (PETIT_DEJEUNER, "intervenant.e", "intervenant"),
        (PETIT_DEJEUNER, "PARTICIPANTE", "participant"),
        (PETIT_DEJEUNER, "Animatrice d'atelier", "animateur"),
        (PETIT_DEJEUNER, "animateur d’atelier", "animateur"),
        (PETIT_DEJEUNER, "Animateur·rice d'atelier", "animateur"),
        ("membre-cln", "Conseillère", "conseiller"),
        ("membre-cln", "conseillere", "conseiller"),
        ("membre-cln", "Conseiller·ère", "conseiller"),
        ("membre-cln", "Co-présidente", "co-presidente"),
        ("membre-cln", "co presidente", "co-presidente"),
        ("membre-cln", "Observatrice associée", "observateur"),
        ("membre-cln", "observateur associe", "observateur"),
        ("membre-cln", "Observateur·rice associé·e", "observateur"),
    ],
)
def test_roles_resolve_from_french_labels(
    catalogue: Catalogue, badge_slug: str, label: str, role_slug: str
) -> None:
    role = catalogue.badge(badge_slug).role(label)
    assert role is not None and role.slug == role_slug


@pytest.mark.parametrize(
    ("label", "role_slug"),
    [("Speaker", "intervenant"), ("workshop facilitator", "animateur"), ("animateur", "animateur")],
)
def test_roles_resolve_from_english_labels_and_slugs(
    catalogue: Catalogue, label: str, role_slug: str
) -> None:
    role = catalogue.badge(PETIT_DEJEUNER).role(label)
    assert role is not None and role.slug == role_slug


def test_unknown_or_missing_role_resolves_to_none(catalogue: Catalogue) -> None:
    badge = catalogue.badge(PETIT_DEJEUNER)
    assert badge.role("Co-présidente") is None
    assert badge.role(None) is None


def test_unknown_badge_message_lists_known_slugs(catalogue: Catalogue) -> None:
    with pytest.raises(CatalogueError) as error:
        catalogue.badge("membre-du-cln")
    assert error.value.code == "catalogue.unknown_badge"
    for badge in catalogue.badges:
        assert badge.slug in error.value.message_fr
        assert badge.slug in error.value.message_en


def test_membership_badge_expires_with_the_two_year_mandate(catalogue: Catalogue) -> None:
    member = catalogue.badge("membre-cln")
    assert (member.achievement_type, member.validity_years) == ("Membership", 2)
    assert member.sectors == ("Centre", "Est", "Ouest", "Nord", "Sud")
    former = catalogue.badge(member.alumni_badge or "")
    assert (former.slug, former.achievement_type, former.validity_years) == (
        "ancien-membre-cln", "Membership", None,
    )  # fmt: skip


def test_every_achievement_type_is_in_the_ob_v3_vocabulary(catalogue: Catalogue) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    achievement_type = schema["$defs"]["Achievement"]["properties"]["achievementType"]
    standard_terms = achievement_type["oneOf"][0]["enum"]
    for badge in catalogue.badges:
        jsonschema.validate(badge.achievement_type, achievement_type)
        # OB 3.0 §B.1.28: non-standard terms must *start* with "ext:"
        # (the schema's pattern is not anchored).
        assert badge.achievement_type in standard_terms or badge.achievement_type.startswith("ext:")


def test_every_svg_is_titled_in_french_and_inert(catalogue: Catalogue) -> None:
    for badge in catalogue.badges:
        path = catalogue.image_path(badge, "svg")
        root = safe_xml.parse(path, forbid_dtd=True).getroot()
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        assert root.get("viewBox") == "0 0 512 512"
        title = root.find(f"{SVG}title")
        assert title is not None and badge.name.fr in (title.text or "")
        assert root.find(f"{SVG}desc") is not None
        tags = {element.tag for element in root.iter()}
        assert f"{SVG}script" not in tags and f"{SVG}foreignObject" not in tags
        assert "http" not in path.read_text(encoding="utf-8").replace(SVG[1:-1], "")


def test_every_png_is_a_small_512_square(catalogue: Catalogue) -> None:
    for badge in catalogue.badges:
        path = catalogue.image_path(badge, "png")
        with Image.open(path) as image:
            assert (image.format, image.size) == ("PNG", (512, 512))
        assert path.stat().st_size < 100_000


def test_image_path_points_into_the_art_folder(catalogue: Catalogue) -> None:
    badge = catalogue.badge("membre-cln")
    assert catalogue.image_path(badge) == REPO / "badges" / "art" / "membre-cln.svg"
    assert catalogue.image_path(badge, "png").name == "membre-cln.png"


def test_catalogue_folder_can_be_set_by_environment(
    monkeypatch: pytest.MonkeyPatch, catalogue_copy: Path
) -> None:
    monkeypatch.delenv("ISSUER_CATALOGUE_DIR", raising=False)
    assert default_catalogue_dir() == REPO / "badges"
    monkeypatch.setenv("ISSUER_CATALOGUE_DIR", str(catalogue_copy))
    assert default_catalogue_dir() == catalogue_copy
    assert load_catalogue().directory == catalogue_copy


def test_localized_text_is_french_unless_english_is_asked() -> None:
    text = LocalizedText(fr="Bonjour", en="Hello")
    assert [text.get(locale) for locale in ("fr", "fr-FR", "en", "en-GB", "de")] == [
        "Bonjour", "Bonjour", "Hello", "Hello", "Bonjour",
    ]  # fmt: skip


# --- a broken catalogue gives an error naming the file and the field ---------------------------


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_broken_yaml_error_names_the_file(catalogue_copy: Path) -> None:
    _edit(catalogue_copy / "membre-cln.yaml", "  - slug: membre-cln", "  - slug: [membre-cln")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(catalogue_copy)
    assert error.value.code == "catalogue.invalid_yaml"
    assert "membre-cln.yaml" in error.value.message_fr
    assert "membre-cln.yaml" in error.value.message_en


def test_missing_english_name_names_file_and_field(catalogue_copy: Path) -> None:
    _edit(catalogue_copy / "mediateur-numerique.yaml", "      en: Digital mediator\n", "")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(catalogue_copy)
    assert error.value.code == "catalogue.invalid_field"
    assert "mediateur-numerique.yaml" in error.value.message_en
    assert "mediateur-numerique.name.en" in error.value.message_en


def test_impossible_edition_date_names_the_field(catalogue_copy: Path) -> None:
    _edit(catalogue_copy / "petit-dejeuner.yaml", "date: 2023-02-03", "date: 2023-02-30")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(catalogue_copy)
    assert f"{PETIT_DEJEUNER}.events[1].date" in error.value.message_fr


def test_editions_out_of_date_order_are_refused(catalogue_copy: Path) -> None:
    _edit(catalogue_copy / "petit-dejeuner.yaml", "date: 2024-10-11", "date: 2023-10-11")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(catalogue_copy)
    assert "edition 7" in error.value.message_en


def test_duplicate_slug_is_refused(catalogue_copy: Path) -> None:
    shutil.copy(catalogue_copy / "mediateur-numerique.yaml", catalogue_copy / "copie.yaml")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(catalogue_copy)
    assert error.value.code == "catalogue.duplicate_slug"
    assert "mediateur-numerique" in error.value.message_fr


def test_unknown_achievement_type_is_refused(catalogue_copy: Path) -> None:
    _edit(
        catalogue_copy / "petit-dejeuner.yaml",
        "achievement_type: Achievement",
        "achievement_type: Participation",
    )
    with pytest.raises(CatalogueError) as error:
        load_catalogue(catalogue_copy)
    assert f"{PETIT_DEJEUNER}.achievement_type" in error.value.message_en


def test_extension_achievement_type_is_accepted(catalogue_copy: Path) -> None:
    _edit(
        catalogue_copy / "petit-dejeuner.yaml",
        "achievement_type: Achievement",
        "achievement_type: ext:Participation",
    )
    badge = load_catalogue(catalogue_copy).badge(PETIT_DEJEUNER)
    assert badge.achievement_type == "ext:Participation"


def test_missing_png_rendering_is_refused(catalogue_copy: Path) -> None:
    (catalogue_copy / "art" / "membre-cln.png").unlink()
    with pytest.raises(CatalogueError) as error:
        load_catalogue(catalogue_copy)
    assert "membre-cln.png" in error.value.message_en
    assert "membre-cln.image" in error.value.message_en


def test_artwork_outside_the_art_folder_is_refused(catalogue_copy: Path) -> None:
    _edit(catalogue_copy / "membre-cln.yaml", "image: membre-cln.svg", "image: ../membre-cln.svg")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(catalogue_copy)
    assert "membre-cln.image" in error.value.message_en


@pytest.mark.parametrize(
    "injected",
    [
        "<script>alert(1)</script>",
        '<image href="https://example.org/x.png" width="1" height="1"/>',
        '<rect width="1" height="1" onclick="alert(1)"/>',
        '<rect width="1" height="1" style="fill: url(https://example.org/p.svg#x)"/>',
    ],
)
def test_svg_with_script_or_external_reference_is_refused(
    catalogue_copy: Path, injected: str
) -> None:
    _edit(catalogue_copy / "art" / "mediateur-numerique.svg", "</svg>", f"{injected}</svg>")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(catalogue_copy)
    assert error.value.code == "catalogue.invalid_art"
    assert "mediateur-numerique.svg" in error.value.message_fr


def test_svg_with_a_doctype_is_refused(catalogue_copy: Path) -> None:
    svg = catalogue_copy / "art" / "mediateur-numerique.svg"
    svg.write_text('<!DOCTYPE svg [<!ENTITY x "y">]>\n' + svg.read_text(encoding="utf-8"))
    with pytest.raises(CatalogueError) as error:
        load_catalogue(catalogue_copy)
    assert error.value.code == "catalogue.invalid_art"


def test_edition_dates_are_real_dates(catalogue: Catalogue) -> None:
    assert catalogue.badge(PETIT_DEJEUNER).event(7).date == datetime.date(2024, 10, 11)


# --- sort order (issuer.openbadges.sort_order): tags the wallets and RDFC-1.0 would sort differently ---


def test_tags_sorted_differently_by_the_wallets_are_refused_at_load(catalogue_copy: Path) -> None:
    # "🎉 fête" against "ﬁ fête": they first differ at U+1F389 against U+FB01, which code points
    # put after and UTF-16 units (a D83C surrogate) before.
    _edit(catalogue_copy / "mediateur-numerique.yaml",
          "tags: [Roubaix, médiation numérique,", "tags: [Roubaix, 🎉 fête, ﬁ fête, médiation numérique,")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(catalogue_copy)
    assert error.value.code == "catalogue.sort_order_ambiguous"
    assert "mediateur-numerique.tags[1]" in error.value.message_fr
    assert "mediateur-numerique.tags[2]" in error.value.message_en
    assert "🎉 fête" in error.value.message_en and "ﬁ fête" in error.value.message_fr


def test_emoji_and_ligature_that_never_meet_in_one_sort_are_accepted(catalogue_copy: Path) -> None:
    # An emoji in one tag and `ﬁ` in another that differ earlier ("f" against "ﬁ") sort alike.
    _edit(catalogue_copy / "mediateur-numerique.yaml",
          "tags: [Roubaix, médiation numérique,", "tags: [Roubaix, fête 🎉, ﬁnale, médiation numérique,")
    badge = load_catalogue(catalogue_copy).badge("mediateur-numerique")
    assert "fête 🎉" in badge.tags and "ﬁnale" in badge.tags
