"""Draw the integration's brand images into custom_components/nuki/brand/.

    .venv/bin/python scripts/brand.py

An original mark drawn here, not taken from anywhere: a padlock whose body is a
rounded square with a keyhole, and two arcs for "local push". Deterministic: the
same Pillow version (pinned in requirements-lock.txt) draws the same bytes; the
wordmark uses Pillow's own bundled font, not one of the system's.

Home Assistant's brand image rules (home-assistant/brands README), which
tests/lib/test_release.py checks: PNG, RGBA with a transparent background,
trimmed; icon.png 256x256 and icon@2x.png 512x512; a logo's shortest side
128-256 px (256-512 for @2x). Since Home Assistant 2026.3 a custom integration
ships these in its own brand/ folder; older versions ignore the folder.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND_DIR = Path(__file__).resolve().parents[1] / "custom_components" / "nuki" / "brand"

SCALE = 4  # drawn at 4x, then reduced: smooth edges without anti-aliasing support
UNIT = 256 * SCALE  # the icon's design canvas

TEAL = (14, 124, 134, 255)
SLATE = (38, 50, 56, 255)
AMBER = (245, 166, 35, 255)
WHITE = (255, 255, 255, 255)
LIGHT = (236, 239, 241, 255)
SILVER = (176, 190, 197, 255)  # the shackle on dark themes


def _u(value: float) -> int:
    """A length on the 256-unit design grid, in canvas pixels."""
    return round(value * SCALE)


def draw_mark(shackle: tuple[int, int, int, int] = SLATE) -> Image.Image:
    """The padlock mark on a transparent canvas, at SCALE x 256 px, not yet trimmed."""
    image = Image.new("RGBA", (UNIT, UNIT), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    # Shackle: a thick arch whose legs go down into the body.
    draw.arc((_u(58), _u(14), _u(174), _u(130)), 180, 360, fill=shackle, width=_u(24))
    draw.rectangle((_u(58), _u(72), _u(82), _u(120)), fill=shackle)
    draw.rectangle((_u(150), _u(72), _u(174), _u(120)), fill=shackle)
    # Body: a rounded square, the smart lock's face.
    draw.rounded_rectangle((_u(30), _u(104), _u(202), _u(246)), radius=_u(34), fill=TEAL)
    # Keyhole: a round head and a tapering slot.
    draw.ellipse((_u(97), _u(136), _u(135), _u(174)), fill=WHITE)
    draw.polygon(
        [(_u(106), _u(164)), (_u(126), _u(164)), (_u(132), _u(218)), (_u(100), _u(218))],
        fill=WHITE,
    )
    # Two arcs at the upper right: state pushed over the local network.
    for radius, width in ((34, 11), (60, 11)):
        centre = (_u(196), _u(62))
        box = (
            centre[0] - _u(radius),
            centre[1] - _u(radius),
            centre[0] + _u(radius),
            centre[1] + _u(radius),
        )
        draw.arc(box, 290, 360 + 70, fill=AMBER, width=_u(width))
    draw.ellipse((_u(188), _u(54), _u(204), _u(70)), fill=AMBER)
    return image


def trim(image: Image.Image) -> Image.Image:
    """``image`` cut to its opaque content (brands: no empty space at the edges)."""
    box = image.getchannel("A").getbbox()
    assert box is not None, "nothing drawn"
    return image.crop(box)


def square(image: Image.Image) -> Image.Image:
    """``image`` centred on the smallest transparent square that holds it."""
    side = max(image.size)
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    canvas.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    return canvas


def icon(size: int, *, dark: bool = False) -> Image.Image:
    mark = draw_mark(SILVER if dark else SLATE)
    return square(trim(mark)).resize((size, size), Image.Resampling.LANCZOS)


def logo(height: int, *, dark: bool = False) -> Image.Image:
    """The mark and the wordmark "nukilocal" side by side, ``height`` px high."""
    text_colour = LIGHT if dark else SLATE
    mark = trim(draw_mark(SILVER if dark else SLATE))
    font = ImageFont.load_default(size=_u(150))
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    stroke = _u(4)  # Pillow's bundled font is a regular weight: a stroke makes it bold
    left, top, right, bottom = probe.textbbox((0, 0), "nukilocal", font=font, stroke_width=stroke)
    gap = _u(36)
    width = mark.width + gap + round(right - left)
    canvas = Image.new("RGBA", (width, mark.height), (0, 0, 0, 0))
    canvas.paste(mark, (0, 0))
    draw = ImageDraw.Draw(canvas)
    # Text centred on the lock's body (the lower part of the mark).
    body_centre = mark.height * 0.7
    y = body_centre - (bottom - top) / 2 - top
    draw.text(
        (mark.width + gap - left, y),
        "nukilocal",
        font=font,
        fill=text_colour,
        stroke_width=stroke,
        stroke_fill=text_colour,
    )
    trimmed = trim(canvas)
    new_width = round(trimmed.width * height / trimmed.height)
    return trimmed.resize((new_width, height), Image.Resampling.LANCZOS)


def main() -> None:
    BRAND_DIR.mkdir(parents=True, exist_ok=True)
    images = {
        "icon.png": icon(256),
        "icon@2x.png": icon(512),
        "logo.png": logo(256),
        # Variants for dark themes: the slate parts turn light.
        "dark_icon.png": icon(256, dark=True),
        "dark_icon@2x.png": icon(512, dark=True),
        "dark_logo.png": logo(256, dark=True),
    }
    for name, image in images.items():
        image.save(BRAND_DIR / name, optimize=True)
        print(f"{BRAND_DIR / name}: {image.width}x{image.height}")


if __name__ == "__main__":
    main()
