"""The Open Graph preview of a badge page: a 1200×630 PNG that social networks show when a
member shares the link (LinkedIn, Facebook, X, Bluesky, Mastodon, WhatsApp).

It shows the badge artwork, the badge's name and the issuer, never anything about the person
who holds the badge: a preview is fetched and kept by third parties, so it carries no personal
data (GDPR, data minimisation). That is also why it is not the baked badge image, which embeds
the whole credential.

Pure: bytes in, bytes out (Pillow). The text is drawn with a system TrueType font when one is
found (DejaVu Sans, which WeasyPrint's Debian dependencies bring; Liberation or Noto otherwise),
else with Pillow's own scalable default font.
"""

from __future__ import annotations

import io
from functools import cache, lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

PREVIEW_WIDTH = 1200
PREVIEW_HEIGHT = 630
"""The size LinkedIn, Facebook and X recommend for a large link preview (1.91:1)."""

_BACKGROUND = "#EEF4FA"
_BAND = "#0B2F4F"    # navy of the badge artwork
_TITLE = "#0B2F4F"   # 13.6:1 on the background
_ISSUER = "#0F6B63"  # teal, 5.9:1 on the background
_TAGLINE = "#3B4754"
_ART_SIZE = 470
_MARGIN = 64
_TEXT_LEFT = _MARGIN + _ART_SIZE + 56
_TEXT_WIDTH = PREVIEW_WIDTH - _TEXT_LEFT - _MARGIN
_MAX_TITLE_LINES = 5
_LOGO_HEIGHT = 72
_LOGO_MAX_WIDTH = 200

_FONT_FILES = {
    "bold": ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "NotoSans-Bold.ttf"),
    "regular": ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "NotoSans-Regular.ttf"),
}
_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
              Path("/usr/share/fonts/truetype"), Path("/Library/Fonts"),
              Path("C:/Windows/Fonts"))

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font_file(weight: str) -> Path | None:
    for directory in _FONT_DIRS:
        if not directory.is_dir():
            continue
        for name in _FONT_FILES[weight]:
            found = next(directory.rglob(name), None)
            if found is not None:
                return found
    return None


@cache
def _font(weight: str, size: int) -> Font:
    path = _font_file(weight)
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> list[str]:
    """Greedy word wrap; a word longer than the line is cut where it must be."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while draw.textlength(current, font=font) > width and len(current) > 1:
            cut = len(current)
            while cut > 1 and draw.textlength(current[:cut], font=font) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    return lines


def _fit_title(draw: ImageDraw.ImageDraw, title: str) -> tuple[Font, list[str]]:
    """The largest size (from 60 px down to 34 px) at which the title fits in the text column;
    beyond that, the last line ends with an ellipsis."""
    for size in range(60, 33, -4):
        font = _font("bold", size)
        lines = _wrap(draw, title, font, _TEXT_WIDTH)
        if len(lines) <= _MAX_TITLE_LINES:
            return font, lines
    lines = lines[:_MAX_TITLE_LINES]
    last = lines[-1]
    while last and draw.textlength(last + "…", font=font) > _TEXT_WIDTH:
        last = last[:-1]
    lines[-1] = last.rstrip() + "…"
    return font, lines


def _line_height(font: Font) -> int:
    _left, top, _right, bottom = font.getbbox("ÉgjpqyÀ")
    return int((bottom - top) * 1.25)


def render_preview(artwork_png: bytes, title: str, issuer_name: str, tagline: str,
                   logo_png: bytes | None = None) -> bytes:
    """A 1200×630 PNG: the badge artwork on the left; on the right the badge name (`title`),
    the issuer's logo (`logo_png`, when given) beside its name, and a short tagline (e.g.
    "Badge numérique vérifiable")."""
    return _render(artwork_png, " ".join(title.split()), " ".join(issuer_name.split()),
                   " ".join(tagline.split()), logo_png)


def _logo(logo_png: bytes, height: int) -> Image.Image:
    with Image.open(io.BytesIO(logo_png)) as logo:
        scale = min(height / logo.height, _LOGO_MAX_WIDTH / logo.width)
        size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
        return logo.convert("RGBA").resize(size, Image.Resampling.LANCZOS)


@lru_cache(maxsize=64)
def _render(artwork_png: bytes, title: str, issuer_name: str, tagline: str,
            logo_png: bytes | None) -> bytes:
    # Cached: a preview depends only on the achievement, and networks fetch it again and again.
    canvas = Image.new("RGB", (PREVIEW_WIDTH, PREVIEW_HEIGHT), _BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, PREVIEW_HEIGHT - 18, PREVIEW_WIDTH, PREVIEW_HEIGHT), fill=_BAND)

    with Image.open(io.BytesIO(artwork_png)) as artwork:
        art = artwork.convert("RGBA").resize((_ART_SIZE, _ART_SIZE), Image.Resampling.LANCZOS)
    art_top = (PREVIEW_HEIGHT - 18 - _ART_SIZE) // 2
    canvas.paste(art, (_MARGIN, art_top), art)

    title_font, title_lines = _fit_title(draw, title)
    issuer_font = _font("bold", 40)
    tagline_font = _font("regular", 30)
    logo = _logo(logo_png, _LOGO_HEIGHT) if logo_png else None
    issuer_left = _TEXT_LEFT + (logo.width + 20 if logo else 0)
    issuer_lines = _wrap(draw, issuer_name, issuer_font,
                         PREVIEW_WIDTH - _MARGIN - issuer_left)[:2]
    tagline_lines = _wrap(draw, tagline, tagline_font, _TEXT_WIDTH)[:2]
    title_step, issuer_step, tagline_step = (_line_height(title_font), _line_height(issuer_font),
                                             _line_height(tagline_font))
    issuer_band = max(len(issuer_lines) * issuer_step, logo.height if logo else 0)
    block = (len(title_lines) * title_step + 36 + issuer_band
             + 12 + len(tagline_lines) * tagline_step)
    y = max(_MARGIN // 2, (PREVIEW_HEIGHT - 18 - block) // 2)
    for line in title_lines:
        draw.text((_TEXT_LEFT, y), line, font=title_font, fill=_TITLE)
        y += title_step
    y += 36
    # The logo beside the issuer's name, both centred in one band.
    issuer_top = y + (issuer_band - len(issuer_lines) * issuer_step) // 2
    if logo is not None:
        canvas.paste(logo, (_TEXT_LEFT, y + (issuer_band - logo.height) // 2), logo)
    for line in issuer_lines:
        draw.text((issuer_left, issuer_top), line, font=issuer_font, fill=_ISSUER)
        issuer_top += issuer_step
    y += issuer_band
    y += 12
    for line in tagline_lines:
        draw.text((_TEXT_LEFT, y), line, font=tagline_font, fill=_TAGLINE)
        y += tagline_step

    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()
