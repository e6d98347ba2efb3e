"""The Open Graph preview image: 1200×630, the badge artwork, name and issuer."""

from __future__ import annotations

import io

from PIL import Image

from issuer.issuance.catalogue import load_catalogue
from issuer.presentation.preview import PREVIEW_HEIGHT, PREVIEW_WIDTH, render_preview

_CATALOGUE = load_catalogue()
ARTWORK = {badge.slug: _CATALOGUE.image_path(badge, "png") for badge in _CATALOGUE.badges}


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_preview_is_a_1200_by_630_png() -> None:
    data = render_preview(ARTWORK["membre-cln"].read_bytes(),
                          "Membre du Conseil local du numérique", "Ville de Roubaix",
                          "Badge numérique vérifiable")
    image = _image(data)
    assert (image.format, image.size) == ("PNG", (PREVIEW_WIDTH, PREVIEW_HEIGHT))
    assert (PREVIEW_WIDTH, PREVIEW_HEIGHT) == (1200, 630)


def test_artwork_and_text_are_drawn() -> None:
    data = render_preview(ARTWORK["petit-dejeuner-inclusion-numerique"].read_bytes(),
                          "Petit-déjeuner de l'inclusion numérique nº 7 (11 octobre 2024)",
                          "Ville de Roubaix", "Badge numérique vérifiable")
    image = _image(data).convert("RGB")
    background = image.getpixel((PREVIEW_WIDTH - 5, 5))
    artwork_area = image.crop((64, 60, 534, 530))
    text_area = image.crop((590, 60, 1136, 560))
    # Both halves hold many pixels of another colour than the background.
    for area in (artwork_area, text_area):
        colours = area.getcolors(maxcolors=1_000_000) or []
        other = sum(count for count, colour in colours if colour != background)
        assert other > 0.05 * area.width * area.height


def test_very_long_names_still_fit_the_image() -> None:
    title = " ".join(["Anticonstitutionnellement"] * 40)
    data = render_preview(ARTWORK["mediateur-numerique"].read_bytes(), title,
                          "Ville de Roubaix", "Badge numérique vérifiable")
    assert _image(data).size == (1200, 630)


def test_same_badge_gives_the_same_bytes() -> None:
    artwork = ARTWORK["membre-cln"].read_bytes()
    first = render_preview(artwork, "Membre", "Ville de Roubaix", "Badge")
    second = render_preview(artwork, "Membre", "Ville de Roubaix", "Badge")
    assert first == second
