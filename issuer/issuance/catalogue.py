"""The City's badge catalogue: badge definitions (YAML) and their artwork, in `badges/`.

Each `badges/*.yaml` file holds a `badges:` list; each badge names its SVG artwork in
`badges/art/`, next to which a 512×512 PNG rendering of the same name is expected (baked PNG
badges need a PNG source). Loading checks everything a coordinator could get wrong and says
which file and which field, in French and English: the catalogue is edited by hand.

Texts that one credential carries side by side as values of one property (the `tags`) must
not sort differently in the wallets' UTF-16 order and in RDFC-1.0's code point order
(`issuer.openbadges.sort_order`): the signer would refuse every credential of that badge, so the catalogue
is refused at load, naming the two tags. Other texts of a badge never meet in one sort.

Artwork is served to browsers and copied into baked badges, so an SVG must be inert: no DTD or
entities (VERIFICATION.md R17), no script, event handler, foreign object or external reference.
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast, get_args
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as safe_xml
import yaml
from defusedxml import DefusedXmlException
from PIL import Image, UnidentifiedImageError

from issuer.openbadges import sort_order
from issuer.openbadges.badge_definitions import (
    BadgeDefinition,
    CatalogueError,
    Event,
    Family,
    LocalizedText,
    Role,
    role_keys,
)

ImageKind = Literal["svg", "png"]

SKILLS_CATALOGUE_FILE = "skills.yaml"
"""The seed of the skills catalogue (issuer.network.skills), kept next to the badge files."""
ART_SIZE = 512
"""Width and height of every badge image, in pixels (SVG viewBox and PNG rendering)."""

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# OB 3.0 §B.1.28: the AchievementType vocabulary "can be extended with new, proprietary terms.
# The new terms must start with the substring 'ext:'"; the characters are the JSON Schema's.
_EXTENSION_ACHIEVEMENT_TYPE = re.compile(r"ext:[A-Za-z0-9.\-_]+")
# VERIFICATION.md R8: C0 controls (except tab, LF, CR) and DEL are refused in signed text fields.
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SVG_NAMESPACE = "http://www.w3.org/2000/svg"
_FORBIDDEN_SVG_ELEMENTS = {"script", "foreignObject", "iframe", "object", "embed"}
# CSS can reach outside too (fill="url(https://…)", @import in <style>); only url(#local) is inert.
_EXTERNAL_URL = re.compile(r"url\(\s*['\"]?(?!#)|@import", re.IGNORECASE)


@dataclass(frozen=True)
class Catalogue:
    """The loaded catalogue; `directory` is the folder it was read from (holds `art/`)."""

    badges: tuple[BadgeDefinition, ...]
    directory: Path = field(default_factory=lambda: default_catalogue_dir())

    def badge(self, slug: str) -> BadgeDefinition:
        for badge in self.badges:
            if badge.slug == slug:
                return badge
        known = ", ".join(badge.slug for badge in self.badges)
        raise CatalogueError(
            f"Badge inconnu : « {slug} ». Badges connus : {known}.",
            f"Unknown badge: '{slug}'. Known badges: {known}.",
            code="catalogue.unknown_badge",
        )

    def image_path(self, badge: BadgeDefinition, kind: ImageKind = "svg") -> Path:
        return self.directory / "art" / f"{Path(badge.image).stem}.{kind}"


def default_catalogue_dir() -> Path:
    """The checkout's `badges/` folder, or the folder named by ISSUER_CATALOGUE_DIR."""
    # Imported here: the settings module imports the credential model, which imports this one.
    from issuer.settings import environment_values

    configured = environment_values("catalogue_dir")
    if configured:
        return Path(configured[0]).expanduser()
    return Path(__file__).resolve().parents[2] / "badges"


def load_catalogue(directory: Path | None = None) -> Catalogue:
    """Read and check every `*.yaml` file of the catalogue folder (default: see
    `default_catalogue_dir`). Raises CatalogueError naming the file and the field at fault."""
    directory = directory if directory is not None else default_catalogue_dir()
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    # badges/skills.yaml is the skills catalogue (issuer.network.skills), not a badge file.
    files = [path for path in files if path.name != SKILLS_CATALOGUE_FILE]
    if not files:
        raise CatalogueError(
            f"Aucun fichier de badges (*.yaml) dans le dossier {directory}.",
            f"No badge file (*.yaml) in folder {directory}.",
            code="catalogue.not_found",
        )
    badges: list[BadgeDefinition] = []
    first_seen: dict[str, Path] = {}
    for path in files:
        for badge in _read_badge_file(path):
            if badge.slug in first_seen:
                raise CatalogueError(
                    f"{path} : le badge « {badge.slug} » est déjà défini dans "
                    f"{first_seen[badge.slug]}.",
                    f"{path}: badge '{badge.slug}' is already defined in {first_seen[badge.slug]}.",
                    code="catalogue.duplicate_slug",
                )
            first_seen[badge.slug] = path
            _check_artwork(directory, badge, path)
            badges.append(badge)
    for badge in badges:
        if badge.alumni_badge is not None and badge.alumni_badge not in first_seen:
            raise _Location(first_seen[badge.slug], f"{badge.slug}.alumni_badge").error(
                f"aucun badge « {badge.alumni_badge} » dans le catalogue",
                f"no badge '{badge.alumni_badge}' in the catalogue",
            )
    return Catalogue(badges=tuple(badges), directory=directory)


# --- reading the YAML files -------------------------------------------------------------------


class _CatalogueYamlLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so an impossible date (2023-02-30) is reported
    with its field instead of failing the whole file inside PyYAML."""


_CatalogueYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class _Location:
    """Where a value sits (file + dotted field), to name both in error messages."""

    file: Path
    field: str

    def child(self, name: str | int) -> _Location:
        if isinstance(name, int):
            return _Location(self.file, f"{self.field}[{name}]")
        return _Location(self.file, f"{self.field}.{name}" if self.field else name)

    def error(self, problem_fr: str, problem_en: str) -> CatalogueError:
        return CatalogueError(
            f"{self.file} : champ « {self.field} » : {problem_fr}.",
            f"{self.file}: field '{self.field}': {problem_en}.",
            code="catalogue.invalid_field",
        )


_BADGE_KEYS = {
    "slug", "family", "achievement_type", "name", "description", "criteria", "image", "tags",
    "validity_years", "roles", "events", "sectors", "alumni_badge",
}  # fmt: skip
_REQUIRED_BADGE_KEYS = _BADGE_KEYS - {"tags", "roles", "events", "sectors", "alumni_badge"}


def _read_badge_file(path: Path) -> Iterator[BadgeDefinition]:
    try:
        # S506: _CatalogueYamlLoader is a SafeLoader (minus the timestamp resolver).
        document = yaml.load(path.read_text(encoding="utf-8"),
                             Loader=_CatalogueYamlLoader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogueError(
            f"{path} : fichier illisible ou YAML invalide ({exc}).",
            f"{path}: unreadable file or invalid YAML ({exc}).",
            code="catalogue.invalid_yaml",
        ) from exc
    root = _Location(path, "")
    entries = _mapping(document, _Location(path, "(racine / root)"), {"badges"}, {"badges"})
    for index, entry in enumerate(_list(entries["badges"], root.child("badges"))):
        yield _parse_badge(entry, root.child("badges").child(index))


def _parse_badge(raw: Any, where: _Location) -> BadgeDefinition:
    entry = _mapping(raw, where, _BADGE_KEYS, _REQUIRED_BADGE_KEYS)
    slug = _slug(entry["slug"], where.child("slug"))
    where = _Location(where.file, slug)  # name the badge by its slug from here on
    family = _family(entry["family"], where.child("family"))
    achievement_type = _text(entry["achievement_type"], where.child("achievement_type"))
    if not is_achievement_type(achievement_type):
        raise where.child("achievement_type").error(
            f"« {achievement_type} » n'est pas un AchievementType d'Open Badges 3.0 "
            "(ni une extension « ext:… »)",
            f"'{achievement_type}' is not an Open Badges 3.0 AchievementType "
            "(nor an 'ext:…' extension)",
        )
    events = tuple(
        _parse_event(item, slug, where.child("events").child(index))
        for index, item in enumerate(_list(entry.get("events", []), where.child("events")))
    )
    if events and family != "event":
        raise where.child("events").error(
            "seuls les badges de la famille « event » ont des éditions",
            "only badges of family 'event' have editions",
        )
    roles = tuple(
        _parse_role(item, where.child("roles").child(index))
        for index, item in enumerate(_list(entry.get("roles", []), where.child("roles")))
    )
    _check_roles_are_distinct(roles, where.child("roles"))
    tags = _texts(entry.get("tags", []), where.child("tags"))
    _check_one_sort_order(tags, where.child("tags"))
    return BadgeDefinition(
        slug=slug,
        family=family,
        achievement_type=achievement_type,
        name=_localized(entry["name"], where.child("name")),
        description=_localized(entry["description"], where.child("description")),
        criteria=_localized(entry["criteria"], where.child("criteria")),
        image=_image_name(entry["image"], where.child("image")),
        tags=tags,
        validity_years=_validity(entry["validity_years"], where.child("validity_years")),
        roles=roles,
        events=_in_edition_order(events, where.child("events")),
        sectors=_texts(entry.get("sectors", []), where.child("sectors")),
        alumni_badge=(
            None
            if entry.get("alumni_badge") is None
            else _slug(entry["alumni_badge"], where.child("alumni_badge"))
        ),
    )


def _parse_role(raw: Any, where: _Location) -> Role:
    entry = _mapping(raw, where, {"slug", "name", "aliases"}, {"slug", "name"})
    return Role(
        slug=_slug(entry["slug"], where.child("slug")),
        name=_localized(entry["name"], where.child("name")),
        aliases=_texts(entry.get("aliases", []), where.child("aliases")),
    )


def _parse_event(raw: Any, family_slug: str, where: _Location) -> Event:
    entry = _mapping(raw, where, {"number", "date", "theme", "venue"}, {"number", "date", "theme"})
    number = entry["number"]
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise where.child("number").error(
            "un nombre entier positif est attendu", "a positive whole number is expected"
        )
    try:
        date = datetime.date.fromisoformat(_text(entry["date"], where.child("date")))
    except ValueError as exc:
        raise where.child("date").error(
            f"date invalide, format attendu AAAA-MM-JJ ({exc})",
            f"invalid date, expected YYYY-MM-DD ({exc})",
        ) from exc
    venue = entry.get("venue")
    return Event(
        family_slug=family_slug,
        number=number,
        date=date,
        theme=_localized(entry["theme"], where.child("theme")),
        venue=None if venue is None else _text(venue, where.child("venue")),
    )


def _in_edition_order(events: tuple[Event, ...], where: _Location) -> tuple[Event, ...]:
    ordered = tuple(sorted(events, key=lambda event: event.number))
    for before, after in itertools.pairwise(ordered):
        if before.number == after.number:
            raise where.error(
                f"l'édition n° {after.number} apparaît deux fois",
                f"edition number {after.number} appears twice",
            )
        # Editions are numbered in the order they were held: a later number with an earlier
        # date is a typo in one of the two.
        if after.date <= before.date:
            raise where.error(
                f"l'édition n° {after.number} ({after.date}) n'est pas après "
                f"l'édition n° {before.number} ({before.date})",
                f"edition {after.number} ({after.date}) is not after "
                f"edition {before.number} ({before.date})",
            )
    return ordered


def _check_roles_are_distinct(roles: tuple[Role, ...], where: _Location) -> None:
    owner: dict[str, str] = {}
    for role in roles:
        for key in role_keys(role):
            if owner.setdefault(key, role.slug) != role.slug:
                raise where.error(
                    f"les rôles « {owner[key]} » et « {role.slug} » ont un même nom ou alias",
                    f"roles '{owner[key]}' and '{role.slug}' share a name or alias",
                )


def _check_one_sort_order(texts: tuple[str, ...], where: _Location) -> None:
    """Sibling values of one property are written as N-Quads lines that differ only in the text:
    two that compare differently by code point and by UTF-16 unit make every credential
    carrying both unverifiable in one kind of verifier (`issuer.openbadges.sort_order`)."""
    for first, second in itertools.combinations(range(len(texts)), 2):
        if sort_order.compare_differently(texts[first], texts[second]):
            raise CatalogueError(
                f"{where.file} : champs « {where.child(first).field} » et "
                f"« {where.child(second).field} » (« {texts[first]} », « {texts[second]} ») : "
                "ces deux textes seraient classés dans un ordre différent par les portefeuilles et "
                "par la norme RDFC-1.0, et la signature du badge serait refusée par les uns ou les "
                "autres. Retirez l'emoji, ou le caractère spécial (ligature comme « ﬁ », zone à "
                "usage privé, forme pleine chasse), de l'un des deux.",
                f"{where.file}: fields '{where.child(first).field}' and "
                f"'{where.child(second).field}' ('{texts[first]}', '{texts[second]}'): these two "
                "texts would be sorted in a different order by the wallets and by the RDFC-1.0 "
                "standard, so one or the other would reject the badge's signature. Remove the "
                "emoji, or the special character (a ligature such as 'ﬁ', private use, full-width "
                "form), from one of them.",
                code="catalogue.sort_order_ambiguous",
            )


# --- field readers: each checks one value and says where it is wrong --------------------------


def _mapping(
    raw: Any, where: _Location, allowed: set[str], required: set[str]
) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise where.error("un dictionnaire (clé: valeur) est attendu", "a mapping is expected")
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise where.error(
            f"clé(s) inconnue(s) : {', '.join(unknown)}", f"unknown key(s): {', '.join(unknown)}"
        )
    missing = sorted(required - raw.keys())
    if missing:
        raise where.child(missing[0]).error("champ obligatoire manquant", "required field missing")
    return raw


def _list(raw: Any, where: _Location) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise where.error("une liste est attendue", "a list is expected")
    return raw


def _text(raw: Any, where: _Location) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise where.error("un texte non vide est attendu", "a non-empty text is expected")
    if _CONTROL_CHARACTER.search(raw):
        raise where.error("caractère de contrôle interdit", "forbidden control character")
    return raw.strip()


def _texts(raw: Any, where: _Location) -> tuple[str, ...]:
    return tuple(_text(item, where.child(index)) for index, item in enumerate(_list(raw, where)))


def _localized(raw: Any, where: _Location) -> LocalizedText:
    entry = _mapping(raw, where, {"fr", "en"}, {"fr", "en"})
    return LocalizedText(
        fr=_text(entry["fr"], where.child("fr")), en=_text(entry["en"], where.child("en"))
    )


def _slug(raw: Any, where: _Location) -> str:
    value = _text(raw, where)
    if not _SLUG.fullmatch(value):
        raise where.error(
            f"« {value} » : lettres minuscules sans accent, chiffres et tirets seulement",
            f"'{value}': lowercase ASCII letters, digits and hyphens only",
        )
    return value


def _family(raw: Any, where: _Location) -> Family:
    families: tuple[str, ...] = get_args(Family)
    if raw not in families:
        listed = ", ".join(families)
        raise where.error(f"valeur attendue parmi : {listed}", f"expected one of: {listed}")
    return cast(Family, raw)


def _validity(raw: Any, where: _Location) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
        raise where.error(
            "un nombre d'années (entier positif) ou null est attendu",
            "a number of years (positive whole number) or null is expected",
        )
    return raw


def _image_name(raw: Any, where: _Location) -> str:
    value = _text(raw, where)
    # A bare file name: artwork never comes from outside badges/art/.
    if Path(value).name != value or value.startswith(".") or not value.endswith(".svg"):
        raise where.error(
            "un nom de fichier SVG sans dossier est attendu (ex. : mon-badge.svg)",
            "an SVG file name without folder is expected (e.g. my-badge.svg)",
        )
    return value


# --- OB 3.0 AchievementType -------------------------------------------------------------------


@cache
def _standard_achievement_types() -> frozenset[str]:
    """The AchievementType enumeration of the shipped 1EdTech JSON Schema (single source)."""
    schema_file = (
        resources.files("issuer.openbadges.schemas") / "ob_v3p0_achievementcredential_schema.json"
    )
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    choices = schema["$defs"]["Achievement"]["properties"]["achievementType"]["oneOf"]
    return frozenset(term for choice in choices for term in choice.get("enum", ()))


def is_achievement_type(value: str) -> bool:
    """True for a term of the OB 3.0 AchievementType vocabulary or an `ext:` extension."""
    return value in _standard_achievement_types() or bool(
        _EXTENSION_ACHIEVEMENT_TYPE.fullmatch(value)
    )


# --- artwork ----------------------------------------------------------------------------------


def _check_artwork(directory: Path, badge: BadgeDefinition, source: Path) -> None:
    where = _Location(source, f"{badge.slug}.image")
    art = directory / "art"
    svg_path, png_path = art / badge.image, art / f"{Path(badge.image).stem}.png"
    for path in (svg_path, png_path):
        if not path.is_file():
            raise where.error(f"image introuvable : {path}", f"image not found: {path}")
    problem = _svg_problem(svg_path) or _png_problem(png_path)
    if problem:
        raise CatalogueError(
            f"{source} : champ « {where.field} » : {problem[0]}.",
            f"{source}: field '{where.field}': {problem[1]}.",
            code="catalogue.invalid_art",
        )


def _svg_problem(path: Path) -> tuple[str, str] | None:
    try:
        root = safe_xml.parse(path, forbid_dtd=True).getroot()
    except (ParseError, DefusedXmlException) as exc:
        return (
            f"{path.name} n'est pas un SVG sûr et valide ({exc})",
            f"{path.name} is not a safe, well-formed SVG ({exc})",
        )
    if root is None or root.tag != f"{{{_SVG_NAMESPACE}}}svg":
        return f"{path.name} n'est pas une image SVG", f"{path.name} is not an SVG image"
    title = root.find(f"{{{_SVG_NAMESPACE}}}title")
    if title is None or not (title.text or "").strip():
        # RGAA 1.1 / WCAG 1.1.1: the image needs a text alternative.
        return f"{path.name} n'a pas de <title>", f"{path.name} has no <title>"
    if root.get("viewBox", "").split() != ["0", "0", str(ART_SIZE), str(ART_SIZE)]:
        return (
            f"{path.name} : viewBox « 0 0 {ART_SIZE} {ART_SIZE} » attendu",
            f"{path.name}: viewBox '0 0 {ART_SIZE} {ART_SIZE}' expected",
        )
    for element in root.iter():
        local_name = _local(str(element.tag))
        active = (
            local_name in _FORBIDDEN_SVG_ELEMENTS
            or bool(_EXTERNAL_URL.search(element.text or ""))
            or any(
                _local(name).lower().startswith("on")
                or (_local(name) == "href" and not value.startswith("#"))
                or _EXTERNAL_URL.search(value)
                for name, value in element.attrib.items()
            )
        )
        if active:
            return (
                f"{path.name} contient un script ou une référence externe (<{local_name}>)",
                f"{path.name} holds a script or an external reference (<{local_name}>)",
            )
    return None


def _png_problem(path: Path) -> tuple[str, str] | None:
    try:
        with Image.open(path) as image:  # reads the header only
            kind, size = image.format, image.size
    except (OSError, UnidentifiedImageError):
        kind, size = None, (0, 0)
    if kind != "PNG" or size != (ART_SIZE, ART_SIZE):
        return (
            f"{path.name} doit être une image PNG de {ART_SIZE}×{ART_SIZE} pixels",
            f"{path.name} must be a {ART_SIZE}×{ART_SIZE} PNG image",
        )
    return None


def _local(name: str) -> str:
    return name.rpartition("}")[2]
