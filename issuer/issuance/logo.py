"""The issuer's logo (ISSUER_LOGO_FILE): read and checked once, at start, then shown in the page
header, the favicon, the e-mails, the PDF attestation, the preview images and the issuer
Profile's `image` (OB 3.0 §B.1.18, an `Image` object).

The setting names a PNG, or an SVG with a PNG of the same name beside it (`logo.svg` and
`logo.png`), as the badge artwork does in `badges/art/`. Both are needed because the places a
logo goes do not all read SVG: common mail clients (Gmail, Outlook) show no SVG, Pillow draws
no SVG into the preview images, and wallet apps show a Profile image best as PNG; pages and
the favicon prefer the SVG, which stays sharp at every size. Rasterising the SVG here would
need cairo as a runtime dependency for one file the City has in both formats anyway.

Without the setting, the demo's neutral mark (`art/logo-demo.*`, an original drawing, not the
City's logo) is used. A logo is bounded (file size, pixel size) and an SVG may hold no script,
no event handler and no reference outside itself: it is served from our own origin.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException
from PIL import Image, UnidentifiedImageError

from issuer.errors import InvalidInput

DEMO_LOGO_FILE = Path(__file__).resolve().parent / "art" / "logo-demo.svg"
LOGO_PNG_PATH = "/logo.png"
LOGO_SVG_PATH = "/logo.svg"
FAVICON_PATH = "/favicon.ico"
FAVICON_MEDIA_TYPE = "image/vnd.microsoft.icon"  # the IANA-registered type of .ico files

MAX_LOGO_BYTES = 256 * 1024
MIN_LOGO_PIXELS = 32     # smaller is a blur in the page header and the PDF
MAX_LOGO_PIXELS = 2048   # larger is only weight in every e-mail
_SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_FORBIDDEN_SVG_ELEMENTS = frozenset({"script", "foreignObject", "iframe", "embed", "object",
                                     "audio", "video", "handler", "listener"})
_EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)|@import", re.IGNORECASE)


@dataclass(frozen=True)
class Logo:
    """The logo's bytes: always a PNG, and the SVG when there is one."""

    png: bytes
    svg: bytes | None
    width: int      # of the PNG, in pixels
    height: int
    source: Path

    @property
    def page_path(self) -> str:
        """The address pages show (the SVG when there is one, sharp at every size)."""
        return LOGO_SVG_PATH if self.svg is not None else LOGO_PNG_PATH

    def height_for_width(self, width: int) -> int:
        return max(1, round(width * self.height / self.width))


def logo_png_url(base_url: str) -> str:
    """The public address of the PNG logo: the issuer Profile's `image` when
    ISSUER_PROFILE_IMAGE_URL does not name another one."""
    return f"{base_url.rstrip('/')}{LOGO_PNG_PATH}"


def _refuse(path: Path, french: str, english: str) -> InvalidInput:
    return InvalidInput(f"ISSUER_LOGO_FILE : logo inutilisable ({path}) : {french}",
                        f"ISSUER_LOGO_FILE: unusable logo ({path}): {english}",
                        code="settings.bad_logo")


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_LOGO_BYTES:
            raise _refuse(path, f"le fichier pèse {size // 1024} Kio, au plus "
                                f"{MAX_LOGO_BYTES // 1024} Kio.",
                          f"the file is {size // 1024} KiB, at most {MAX_LOGO_BYTES // 1024} KiB.")
        return path.read_bytes()
    except FileNotFoundError as error:
        raise _refuse(path, "fichier introuvable.", "file not found.") from error
    except OSError as error:
        raise _refuse(path, f"fichier illisible ({error.strerror}).",
                      f"unreadable file ({error.strerror}).") from error


def _check_png(path: Path, content: bytes) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind, (width, height) = image.format, image.size
            if kind == "PNG":
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _refuse(path, "ce n'est pas une image PNG lisible.",
                      "not a readable PNG image.") from error
    if kind != "PNG":
        raise _refuse(path, f"une image PNG est attendue, pas {kind}.",
                      f"a PNG image is expected, not {kind}.")
    if not (min(width, height) >= MIN_LOGO_PIXELS and max(width, height) <= MAX_LOGO_PIXELS):
        raise _refuse(path, f"l'image mesure {width}×{height} pixels ; chaque côté doit faire "
                            f"de {MIN_LOGO_PIXELS} à {MAX_LOGO_PIXELS} pixels.",
                      f"the image is {width}×{height} pixels; each side must be "
                      f"{MIN_LOGO_PIXELS} to {MAX_LOGO_PIXELS} pixels.")
    return width, height


def _check_svg(path: Path, content: bytes) -> None:
    try:
        root = SafeElementTree.fromstring(content)
    except (SafeElementTree.ParseError, DefusedXmlException, ValueError) as error:
        raise _refuse(path, "ce n'est pas un fichier SVG lisible (XML mal formé, DTD ou "
                            "entités refusées).",
                      "not a readable SVG file (malformed XML, DTD or entities refused).") \
            from error
    if root.tag != f"{_SVG_NAMESPACE}svg":
        raise _refuse(path, "l'élément racine doit être <svg> (espace de noms SVG).",
                      "the root element must be <svg> (SVG namespace).")
    for element in root.iter():
        name = str(element.tag).removeprefix(_SVG_NAMESPACE)
        if name in _FORBIDDEN_SVG_ELEMENTS:
            raise _refuse(path, f"l'élément <{name}> est interdit dans un logo.",
                          f"the <{name}> element is not allowed in a logo.")
        if name == "style" and _EXTERNAL_URL.search(element.text or ""):
            raise _refuse(path, "une feuille de style du logo appelle une ressource extérieure.",
                          "a style sheet of the logo calls an outside resource.")
        for attribute, value in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1]
            if local.lower().startswith("on"):
                raise _refuse(path, f"l'attribut {local} (un script) est interdit.",
                              f"the {local} attribute (a script) is not allowed.")
            external_link = attribute in ("href", _XLINK_HREF) and not value.startswith("#")
            if external_link or _EXTERNAL_URL.search(value):
                raise _refuse(path, "le logo appelle une ressource extérieure ; il doit tout "
                                    "contenir lui-même.",
                              "the logo calls an outside resource; it must hold everything "
                              "itself.")
    if "viewBox" not in root.attrib:
        raise _refuse(path, "l'attribut viewBox manque à <svg> : le logo ne pourrait pas "
                            "changer de taille.",
                      "<svg> has no viewBox attribute: the logo could not be resized.")


def load_logo(configured: Path | None) -> Logo:
    """The logo ISSUER_LOGO_FILE names (else the demo's neutral mark), checked; a refusal is
    an InvalidInput naming the setting, the file and the rule, in French and English."""
    path = Path(configured).expanduser() if configured else DEMO_LOGO_FILE
    try:
        stamp = path.stat()
        key = (str(path.resolve()), stamp.st_mtime_ns, stamp.st_size)
    except OSError:
        key = (str(path), 0, 0)
    return _load(*key)


@lru_cache(maxsize=8)
def _load(path_text: str, _mtime: int, _size: int) -> Logo:
    path = Path(path_text)
    suffix = path.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise _refuse(path, "un fichier .svg (avec le .png du même nom à côté) ou .png est "
                            "attendu.",
                      "a .svg file (with the .png of the same name beside it) or a .png is "
                      "expected.")
    svg = None
    png_path = path
    if suffix == ".svg":
        svg = _read(path)
        _check_svg(path, svg)
        png_path = path.with_suffix(".png")
        if not png_path.is_file():
            raise _refuse(path, f"il faut aussi {png_path.name} à côté : les messageries et les "
                                "images d'aperçu n'affichent pas le SVG.",
                          f"{png_path.name} is needed beside it too: mail clients and preview "
                          "images do not show SVG.")
    png = _read(png_path)
    width, height = _check_png(png_path, png)
    return Logo(png=png, svg=svg, width=width, height=height, source=path)


@lru_cache(maxsize=8)
def favicon_ico(png: bytes) -> bytes:
    """The logo as /favicon.ico (16, 32 and 48 pixels), for browsers and tools that ask for it
    without reading the page's <link rel="icon">."""
    with Image.open(io.BytesIO(png)) as image:
        square = image.convert("RGBA")
    side = max(square.size)
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    canvas.paste(square, ((side - square.width) // 2, (side - square.height) // 2))
    out = io.BytesIO()
    canvas.save(out, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()
