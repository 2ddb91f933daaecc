"""Product pictures for the demo catalogue, drawn in code with Pillow.

Each picture is a flat garment (tops: t-shirt, long-sleeve, tank, hoodie, shirt, jumper; bottoms:
trousers, shorts, skirt; dresses: a strap dress and a t-shirt dress), centred on pure white with a
wide white margin. That is the input the try-on cloth mask expects: everything that is not
near-white is garment, and the garment is one connected shape.

Drawing happens at `SUPERSAMPLE` times the output size and is scaled down with a Lanczos filter,
which gives anti-aliased edges without any extra dependency.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from shop.models import GarmentType

ART_WIDTH = 600
ART_HEIGHT = 800
SUPERSAMPLE = 3
WHITE = (255, 255, 255)
# The darkest a garment colour may be lightened to and the lightest it may be: the cloth mask
# separates garment from background by "not near-white", so no garment pixel may approach white.
MAX_GARMENT_CHANNEL = 225

Point = tuple[float, float]
Colour = tuple[int, int, int]


class GarmentStyle(StrEnum):
    T_SHIRT = "t_shirt"
    LONG_SLEEVE = "long_sleeve"
    TANK = "tank"
    HOODIE = "hoodie"
    SHIRT = "shirt"
    JUMPER = "jumper"
    TROUSERS = "trousers"
    SHORTS = "shorts"
    SKIRT = "skirt"
    STRAP_DRESS = "strap_dress"
    TEE_DRESS = "tee_dress"

    @property
    def garment_type(self) -> str:
        """The shop's garment type for this style (`shop.models.GarmentType`)."""
        if self in (GarmentStyle.TROUSERS, GarmentStyle.SHORTS, GarmentStyle.SKIRT):
            return GarmentType.LOWER_BODY
        if self in (GarmentStyle.STRAP_DRESS, GarmentStyle.TEE_DRESS):
            return GarmentType.FULL_BODY
        return GarmentType.UPPER_BODY


class GarmentPattern(StrEnum):
    PLAIN = "plain"
    STRIPED = "striped"
    EMBLEM = "emblem"
    TWO_TONE = "two_tone"


@dataclass(frozen=True)
class GarmentDesign:
    """What to draw: a silhouette, a surface pattern, a main colour and an accent colour."""

    style: GarmentStyle
    pattern: GarmentPattern
    colour: Colour
    accent: Colour

    def __post_init__(self) -> None:
        for name in ("colour", "accent"):
            value = getattr(self, name)
            if min(value) > MAX_GARMENT_CHANNEL:
                raise ValueError(
                    f"{name}={value} is too close to white for the cloth mask; keep at least one channel "
                    f"at or below {MAX_GARMENT_CHANNEL}."
                )


# --- Silhouettes, in output pixels (600 × 800), mirrored around the centre line -------------------
CENTRE_X = ART_WIDTH / 2

# Left half of each torso, from the neck down to the hem; the right half is its mirror image.
_TORSO_LEFT: dict[GarmentStyle, list[Point]] = {
    GarmentStyle.T_SHIRT: [(252, 190), (160, 215), (168, 350), (164, 610)],
    GarmentStyle.LONG_SLEEVE: [(252, 190), (162, 215), (170, 350), (166, 610)],
    GarmentStyle.TANK: [(266, 180), (234, 180), (222, 290), (180, 360), (172, 610)],
    GarmentStyle.HOODIE: [(248, 200), (152, 222), (160, 355), (160, 620)],
    GarmentStyle.SHIRT: [(262, 180), (160, 208), (168, 350), (166, 620)],
    GarmentStyle.JUMPER: [(250, 190), (156, 215), (164, 355), (166, 610)],
    # Bottoms, from the middle of the waistband: waistband corner, hip, leg or hem, and for trousers and
    # shorts the inside of the leg back up to the crotch on the centre line.
    GarmentStyle.TROUSERS: [(300, 110), (196, 110), (186, 230), (196, 730), (272, 730), (276, 380), (300, 330)],
    GarmentStyle.SHORTS: [(300, 150), (184, 150), (170, 270), (156, 500), (272, 512), (277, 440), (300, 400)],
    GarmentStyle.SKIRT: [(300, 170), (212, 170), (202, 240), (140, 620), (300, 620)],
    # Dresses: a top down to the waist, then a flared skirt.
    GarmentStyle.STRAP_DRESS: [(262, 70), (216, 80), (204, 200), (214, 360), (140, 760)],
    GarmentStyle.TEE_DRESS: [(252, 80), (168, 100), (174, 230), (190, 360), (150, 760)],
}

# Left sleeve outline (shoulder seam to armpit); None for sleeveless styles.
_SLEEVE_LEFT: dict[GarmentStyle, list[Point] | None] = {
    GarmentStyle.T_SHIRT: [(162, 213), (72, 330), (128, 378), (170, 330)],
    GarmentStyle.LONG_SLEEVE: [(164, 213), (58, 560), (118, 578), (172, 350)],
    GarmentStyle.TANK: None,
    GarmentStyle.HOODIE: [(154, 220), (44, 575), (108, 595), (164, 355)],
    GarmentStyle.SHIRT: [(162, 206), (58, 570), (118, 585), (170, 340)],
    GarmentStyle.JUMPER: [(158, 213), (50, 570), (112, 586), (166, 355)],
    GarmentStyle.TROUSERS: None,
    GarmentStyle.SHORTS: None,
    GarmentStyle.SKIRT: None,
    GarmentStyle.STRAP_DRESS: None,
    GarmentStyle.TEE_DRESS: [(170, 98), (84, 200), (136, 246), (176, 210)],
}
# Bottoms have no neckline and are drawn as their mirrored outline; their waistband is a darker band.
_BOTTOMS = (GarmentStyle.TROUSERS, GarmentStyle.SHORTS, GarmentStyle.SKIRT)
WAISTBAND_DEPTH = 24

EMBLEM_CENTRE: Point = (300, 330)
TWO_TONE_YOKE_BOTTOM = 340


def _mirror(points: list[Point]) -> list[Point]:
    return [(2 * CENTRE_X - x, y) for x, y in points]


def _scaled(points: list[Point]) -> list[Point]:
    return [(x * SUPERSAMPLE, y * SUPERSAMPLE) for x, y in points]


def _box(left: float, top: float, right: float, bottom: float) -> list[float]:
    return [left * SUPERSAMPLE, top * SUPERSAMPLE, right * SUPERSAMPLE, bottom * SUPERSAMPLE]


def _torso_polygon(style: GarmentStyle) -> list[Point]:
    left = _TORSO_LEFT[style]
    if style in _BOTTOMS:
        # The outline runs from the waistband's middle round the left half and back to the centre line;
        # the right half retraces it mirrored, so the crotch stays a notch on the centre line.
        return left + list(reversed(_mirror(left)))[1:-1]
    return left + list(reversed(_mirror(left)))


def _new_mask() -> Image.Image:
    return Image.new("L", (ART_WIDTH * SUPERSAMPLE, ART_HEIGHT * SUPERSAMPLE), 0)


def _torso_mask(style: GarmentStyle) -> Image.Image:
    mask = _new_mask()
    draw = ImageDraw.Draw(mask)
    draw.polygon(_scaled(_torso_polygon(style)), fill=255)
    if style is GarmentStyle.HOODIE:
        # The hood lies flat behind the neck; it touches the torso so the garment stays one piece.
        draw.ellipse(_box(222, 132, 378, 254), fill=255)
    return mask


def _sleeve_mask(style: GarmentStyle) -> Image.Image:
    mask = _new_mask()
    sleeve = _SLEEVE_LEFT[style]
    if sleeve is not None:
        draw = ImageDraw.Draw(mask)
        draw.polygon(_scaled(sleeve), fill=255)
        draw.polygon(_scaled(_mirror(sleeve)), fill=255)
    return mask


def _cut_neckline(mask: Image.Image, style: GarmentStyle) -> None:
    draw = ImageDraw.Draw(mask)
    if style in _BOTTOMS:
        return
    if style is GarmentStyle.STRAP_DRESS:
        draw.ellipse(_box(258, 20, 342, 180), fill=0)
    elif style is GarmentStyle.TEE_DRESS:
        draw.ellipse(_box(252, 50, 348, 118), fill=0)
    elif style is GarmentStyle.TANK:
        draw.ellipse(_box(244, 130, 356, 270), fill=0)
    elif style is GarmentStyle.SHIRT:
        draw.polygon(_scaled([(262, 178), (300, 250), (338, 178)]), fill=0)
    elif style is GarmentStyle.HOODIE:
        return  # the hood's opening is drawn as its darker lining, not cut out
    else:
        draw.ellipse(_box(250, 158, 350, 228), fill=0)


def _shade(colour: Colour, factor: float) -> Colour:
    """Darken (factor < 1) or lighten (factor > 1) a colour, never reaching white."""
    if factor <= 1:
        return tuple(round(channel * factor) for channel in colour)  # type: ignore[return-value]
    return tuple(min(MAX_GARMENT_CHANNEL, round(channel + (255 - channel) * (factor - 1))) for channel in colour)  # type: ignore[return-value]


def _fill_pattern(design: GarmentDesign, region: Image.Image, *, is_sleeve: bool) -> Image.Image:
    """The surface of one region (torso or sleeves) as an RGB image the size of the canvas."""
    size = region.size
    colour = design.colour
    if design.pattern is GarmentPattern.TWO_TONE and is_sleeve:
        colour = design.accent
    surface = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(surface)
    if design.pattern is GarmentPattern.STRIPED:
        stripe = 28 * SUPERSAMPLE
        for top in range(0, size[1], stripe * 2):
            draw.rectangle([0, top, size[0], top + stripe - 1], fill=design.accent)
    if design.pattern is GarmentPattern.TWO_TONE and not is_sleeve and _SLEEVE_LEFT[design.style] is None:
        # Sleeveless: the accent becomes a yoke across the chest.
        draw.rectangle([0, 0, size[0], TWO_TONE_YOKE_BOTTOM * SUPERSAMPLE], fill=design.accent)
    return surface


def _draw_emblem(canvas: Image.Image, design: GarmentDesign) -> None:
    """A round badge with a stylised letter R on the chest."""
    draw = ImageDraw.Draw(canvas)
    centre_x, centre_y = EMBLEM_CENTRE
    outer, inner_radius = 46, 34
    draw.ellipse(_box(centre_x - outer, centre_y - outer, centre_x + outer, centre_y + outer), fill=design.accent)
    ink = design.colour
    draw.ellipse(
        _box(centre_x - inner_radius, centre_y - inner_radius, centre_x + inner_radius, centre_y + inner_radius),
        outline=ink,
        width=4 * SUPERSAMPLE,
    )
    stroke = 9 * SUPERSAMPLE
    stem_x, top, bottom = centre_x - 14, centre_y - 22, centre_y + 24
    draw.line(_scaled([(stem_x, top), (stem_x, bottom)]), fill=ink, width=stroke)
    draw.arc(_box(stem_x - 14, top - 2, centre_x + 18, centre_y + 4), start=-90, end=90, fill=ink, width=stroke)
    draw.line(_scaled([(centre_x - 8, centre_y + 2), (centre_x + 14, bottom)]), fill=ink, width=stroke)


def _draw_details(canvas: Image.Image, design: GarmentDesign) -> None:
    """Seams, ribbing, pockets and buttons, in darker tones of the garment colour."""
    draw = ImageDraw.Draw(canvas)
    seam = _shade(design.colour, 0.72)
    width = 3 * SUPERSAMPLE
    style = design.style
    left = _TORSO_LEFT[style]
    hem_y = left[-1][1]
    if style in (GarmentStyle.T_SHIRT, GarmentStyle.LONG_SLEEVE, GarmentStyle.JUMPER):
        draw.arc(_box(248, 156, 352, 230), start=0, end=180, fill=seam, width=width * 3)
    if style is GarmentStyle.TANK:
        draw.arc(_box(242, 128, 358, 272), start=0, end=180, fill=seam, width=width * 2)
    if style in _BOTTOMS:
        top = left[0][1]
        draw.rectangle(_box(0, top, ART_WIDTH, top + WAISTBAND_DEPTH), fill=seam)
    if style in (GarmentStyle.TROUSERS, GarmentStyle.SHORTS):
        draw.line(_scaled([(300, left[0][1] + WAISTBAND_DEPTH), (300, left[-1][1] - 10)]), fill=seam, width=width)
    if style is GarmentStyle.JUMPER:
        draw.rectangle(_box(left[-1][0] + 2, hem_y - 34, 2 * CENTRE_X - left[-1][0] - 2, hem_y), fill=seam)
    if style is GarmentStyle.HOODIE:
        draw.ellipse(_box(258, 152, 342, 220), fill=_shade(design.colour, 0.6), outline=seam, width=width * 2)
        draw.line(_scaled([(286, 218), (282, 300)]), fill=seam, width=width)
        draw.line(_scaled([(314, 218), (318, 300)]), fill=seam, width=width)
        draw.rounded_rectangle(_box(204, 470, 396, 570), radius=18 * SUPERSAMPLE, outline=seam, width=width)
    if style is GarmentStyle.SHIRT:
        draw.polygon(_scaled([(262, 178), (300, 252), (246, 236)]), fill=_shade(design.colour, 0.85))
        draw.polygon(_scaled([(338, 178), (300, 252), (354, 236)]), fill=_shade(design.colour, 0.85))
        draw.line(_scaled([(300, 252), (300, hem_y - 4)]), fill=seam, width=width)
        for button_y in range(290, int(hem_y) - 30, 70):
            draw.ellipse(_box(306, button_y - 7, 320, button_y + 7), fill=seam)
    sleeve = _SLEEVE_LEFT[style]
    if sleeve is not None:
        for outline in (sleeve, _mirror(sleeve)):
            draw.line(_scaled([outline[0], outline[-1]]), fill=seam, width=width)
            draw.line(_scaled([outline[1], outline[2]]), fill=seam, width=width * 3)


def render_garment(design: GarmentDesign) -> Image.Image:
    """Draw one garment on white: an RGB image of ART_WIDTH × ART_HEIGHT pixels."""
    torso = _torso_mask(design.style)
    sleeves = _sleeve_mask(design.style)
    sleeves = ImageChops.subtract(sleeves, torso)
    _cut_neckline(torso, design.style)
    canvas = Image.new("RGB", torso.size, WHITE)
    canvas.paste(_fill_pattern(design, sleeves, is_sleeve=True), mask=sleeves)
    canvas.paste(_fill_pattern(design, torso, is_sleeve=False), mask=torso)
    if design.pattern is GarmentPattern.EMBLEM:
        _draw_emblem(canvas, design)
    _draw_details(canvas, design)
    # Details must never spill onto the background: clip everything to the garment's outline.
    garment = ImageChops.lighter(torso, sleeves)
    background = Image.new("RGB", canvas.size, WHITE)
    canvas = Image.composite(canvas, background, garment.filter(ImageFilter.MinFilter(3)))
    return canvas.resize((ART_WIDTH, ART_HEIGHT), Image.Resampling.LANCZOS)


def garment_png_bytes(design: GarmentDesign) -> bytes:
    """The garment as PNG file content, ready for a storage backend."""
    buffer = io.BytesIO()
    render_garment(design).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# The gallery's extra pictures: the garment on a tinted backdrop, and a close-up of its chest.
BACKDROP_TINT = 0.78  # share of white mixed into the accent colour for the backdrop
GARMENT_THRESHOLD = 250  # a pixel darker than this in any channel belongs to the garment
DETAIL_BOX = (150, 160, 450, 560)  # 3:4 crop of the chest, enlarged back to ART_WIDTH × ART_HEIGHT


def backdrop_colour(design: GarmentDesign) -> Colour:
    """A pale tint of the garment's accent colour."""
    return tuple(round(channel + (255 - channel) * BACKDROP_TINT) for channel in design.accent)


def render_garment_on_backdrop(design: GarmentDesign) -> Image.Image:
    """The same garment as `render_garment`, on a tinted backdrop with a soft shadow beneath it."""
    garment = render_garment(design)
    mask = Image.eval(garment.convert("L"), lambda value: 255 if value < GARMENT_THRESHOLD else 0)
    canvas = Image.new("RGB", garment.size, backdrop_colour(design))
    shadow = ImageChops.offset(mask, 10, 14).filter(ImageFilter.GaussianBlur(12))
    canvas.paste(_shade(backdrop_colour(design), 0.82), mask=shadow)
    canvas.paste(garment, mask=mask.filter(ImageFilter.MinFilter(3)))
    return canvas


def render_garment_detail(design: GarmentDesign) -> Image.Image:
    """A close-up of the garment's chest: pattern, emblem and neckline at twice the size."""
    return render_garment(design).crop(DETAIL_BOX).resize((ART_WIDTH, ART_HEIGHT), Image.Resampling.LANCZOS)


def image_png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
