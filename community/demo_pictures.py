"""Illustrated scenes for the demo's photos, drawn with Pillow alone: a dish,
a loaf or a coffee on a table (``food``), a corner of a living room
(``room``), potted plants (``plants``) and skin-care bottles and jars laid
flat on a coloured ground (``flatlay``).

Each scene is drawn at half the asked size with flat shapes, then shaded
(gradients across each shape, soft shadows under it) and scaled up, which
also softens the edges the way a lens would. Palettes, objects and their
places come from a ``random.Random`` seeded by the caller, so a seed always
gives the same picture. ``community.photos.generate_demo_photo`` adds the
photo's finish (vignette, texture, grain) and encodes it.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Sequence

from PIL import Image, ImageDraw, ImageFilter

RGB = tuple[int, int, int]
Box = tuple[float, float, float, float]

SUBJECTS = ("food", "room", "plants", "flatlay")


def paint_scene(subject: str, rng: random.Random, width: int, height: int) -> Image.Image:
    """An RGB picture of ``subject`` (one of :data:`SUBJECTS`) at ``width`` x
    ``height``."""
    try:
        painter = _PAINTERS[subject]
    except KeyError:
        raise ValueError(f"no demo scene {subject!r}; one of {', '.join(SUBJECTS)}") from None
    sw, sh = max(64, width // 2), max(64, height // 2)
    canvas = _Canvas(sw, sh)
    painter(canvas, rng)
    return canvas.image.convert("RGB").resize((width, height), Image.Resampling.BICUBIC)


# --- colours and shapes ------------------------------------------------------------


def shade(colour: RGB, factor: float) -> RGB:
    """Darker (< 1) or lighter (> 1) the same hue."""
    if factor <= 1:
        r, g, b = (round(c * factor) for c in colour)
    else:
        r, g, b = (round(c + (255 - c) * (factor - 1)) for c in colour)
    return min(255, max(0, r)), min(255, max(0, g)), min(255, max(0, b))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return r, g, bl


def jitter(colour: RGB, rng: random.Random, amount: int = 14) -> RGB:
    r, g, b = (min(255, max(0, c + rng.randint(-amount, amount))) for c in colour)
    return r, g, b


@functools.cache
def _ramp(angle: int) -> Image.Image:
    """A light-to-dark ramp (0 at the top) turned by ``angle`` degrees; made
    once per angle (turning is the dearest step of shading)."""
    ramp = Image.linear_gradient("L")
    if angle % 360 == 0:
        return ramp
    ramp = ramp.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False)
    return ramp.crop((40, 40, 216, 216))


class _Canvas:
    """An RGBA picture with the few drawing moves the scenes need."""

    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        self.image = Image.new("RGBA", (width, height), (0, 0, 0, 255))

    def gradient(self, box: Box, top: RGB, bottom: RGB, *, angle: float = 0) -> None:
        """Fill ``box`` with a vertical (rotated by ``angle`` degrees) gradient."""
        self.shape(box, top, bottom, angle=angle, draw=lambda d, b: d.rectangle(b, fill=255))

    def shape(
        self,
        box: Box,
        light: RGB,
        dark: RGB,
        *,
        angle: float = 0,
        draw: Callable[[ImageDraw.ImageDraw, Box], None],
        alpha: int = 255,
    ) -> None:
        """Draw a shape (``draw`` paints it in white on a mask, in ``box``'s
        coordinates shifted to the box) filled with a gradient from
        ``light`` (top, or the side ``angle`` turns it to) to ``dark``."""
        x0, y0, x1, y1 = (round(v) for v in box)
        w, h = max(1, x1 - x0), max(1, y1 - y0)
        mask = Image.new("L", (w + 2, h + 2), 0)
        draw(ImageDraw.Draw(mask), (0, 0, w, h))
        if alpha < 255:
            mask = mask.point(lambda v: v * alpha // 255)
        ramp = _ramp(round(angle)).resize((w + 2, h + 2), Image.Resampling.BILINEAR)
        fill = Image.composite(
            Image.new("RGBA", (w + 2, h + 2), (*dark, 255)),
            Image.new("RGBA", (w + 2, h + 2), (*light, 255)),
            ramp,
        )
        self.image.paste(fill, (x0, y0), mask)

    def ellipse(
        self, box: Box, light: RGB, dark: RGB, *, angle: float = 0, alpha: int = 255
    ) -> None:
        self.shape(
            box, light, dark, angle=angle, alpha=alpha, draw=lambda d, b: d.ellipse(b, fill=255)
        )

    def rounded(self, box: Box, light: RGB, dark: RGB, *, radius: float, angle: float = 0) -> None:
        self.shape(
            box,
            light,
            dark,
            angle=angle,
            draw=lambda d, b: d.rounded_rectangle(b, radius=max(1, round(radius)), fill=255),
        )

    def polygon(self, points: Sequence[tuple[float, float]], light: RGB, dark: RGB) -> None:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        x0, y0 = min(xs), min(ys)
        shifted = [(x - round(x0), y - round(y0)) for x, y in points]
        self.shape(
            (x0, y0, max(xs), max(ys)),
            light,
            dark,
            draw=lambda d, b: d.polygon(shifted, fill=255),
        )

    def shadow(self, box: Box, *, strength: int = 90, blur: float = 6) -> None:
        """A soft dark ellipse (what an object casts on what it stands on)."""
        self._soft(box, (20, 14, 10), strength, blur)

    def glow(self, centre: tuple[float, float], radius: float, colour: RGB, strength: int) -> None:
        """A soft light (a lamp's, a window's)."""
        cx, cy = centre
        self._soft(
            (cx - radius, cy - radius, cx + radius, cy + radius), colour, strength, radius / 2
        )

    def _soft(self, box: Box, colour: RGB, strength: int, blur: float) -> None:
        """A blurred ellipse of ``colour``; blurred in its own small layer
        (blurring the whole picture for each would cost ten times more)."""
        margin = round(blur * 3) + 2
        x0, y0 = round(box[0]) - margin, round(box[1]) - margin
        w, h = round(box[2] - box[0]) + 2 * margin, round(box[3] - box[1]) + 2 * margin
        layer = Image.new("L", (max(1, w), max(1, h)), 0)
        ImageDraw.Draw(layer).ellipse((margin, margin, w - margin, h - margin), fill=strength)
        layer = layer.filter(ImageFilter.GaussianBlur(blur))
        self.image.paste((*colour, 255), (x0, y0), layer)

    def lines(self, points: Sequence[tuple[float, float]], colour: RGB, width: float) -> None:
        ImageDraw.Draw(self.image).line(
            list(points), fill=(*colour, 255), width=max(1, round(width)), joint="curve"
        )

    def draw(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.image)


# --- food: a dish, a loaf or a coffee on a table -----------------------------------------

_WALLS: tuple[RGB, ...] = (
    (238, 226, 208), (226, 232, 226), (242, 230, 222), (214, 222, 230), (236, 222, 196),
    (246, 240, 230),
)  # fmt: skip
_WOODS: tuple[RGB, ...] = ((176, 124, 82), (140, 96, 64), (196, 156, 112), (112, 78, 54))
_CLOTHS: tuple[RGB, ...] = ((226, 214, 196), (190, 206, 214), (214, 184, 176), (200, 210, 186))
_CERAMICS: tuple[RGB, ...] = (
    (244, 240, 232), (214, 226, 232), (62, 78, 96), (222, 196, 170), (176, 198, 176),
    (232, 212, 204),
)  # fmt: skip


def _table(c: _Canvas, rng: random.Random, horizon: float) -> None:
    wall = jitter(rng.choice(_WALLS), rng, 8)
    c.gradient((0, 0, c.w, horizon), shade(wall, 1.08), shade(wall, 0.9))
    if rng.random() < 0.6:  # a wooden top, planks running away from us
        wood = jitter(rng.choice(_WOODS), rng, 10)
        c.gradient((0, horizon, c.w, c.h), shade(wood, 0.85), shade(wood, 1.1))
        d = c.draw()
        for k in range(1, rng.randint(3, 5)):
            x = c.w * k / 4 + rng.uniform(-8, 8)
            d.line(
                [(c.w / 2 + (x - c.w / 2) * 0.55, horizon), (x, c.h)],
                fill=(*shade(wood, 0.7), 255),
                width=1,
            )
    else:  # a tablecloth
        cloth = jitter(rng.choice(_CLOTHS), rng, 10)
        c.gradient((0, horizon, c.w, c.h), shade(cloth, 0.9), shade(cloth, 1.05))
    c.gradient((0, horizon - 2, c.w, horizon + 3), shade(wall, 0.7), shade(wall, 0.8))


def _bowl(c: _Canvas, rng: random.Random, cx: float, cy: float, r: float) -> None:
    ceramic = rng.choice(_CERAMICS)
    rim_h = r * 0.42
    c.shadow((cx - r * 1.05, cy + r * 0.35, cx + r * 1.15, cy + r * 0.95), blur=r / 6)
    # The body: the lower half of a wide ellipse under the rim.
    c.shape(
        (cx - r, cy - rim_h, cx + r, cy + r * 0.85),
        shade(ceramic, 1.05),
        shade(ceramic, 0.62),
        angle=-20,
        draw=lambda d, b: d.chord(b, 0, 180, fill=255),
    )
    c.ellipse((cx - r, cy - rim_h, cx + r, cy + rim_h), shade(ceramic, 1.1), shade(ceramic, 0.85))
    # The food inside, and what is on top of it.
    food = rng.choice(
        ((236, 196, 120), (214, 120, 64), (196, 82, 56), (232, 220, 190), (150, 170, 86))
    )
    inner = (cx - r * 0.88, cy - rim_h * 0.8, cx + r * 0.88, cy + rim_h * 0.85)
    c.ellipse(inner, shade(food, 1.1), shade(food, 0.75))
    toppings = [
        (90, 150, 60),
        (220, 60, 50),
        (250, 246, 236),
        (250, 200, 60),
        (70, 120, 50),
        (120, 70, 40),
    ]
    for _ in range(rng.randint(7, 14)):
        a, t = rng.uniform(0, 2 * math.pi), math.sqrt(rng.random()) * 0.75
        x, y = cx + math.cos(a) * r * 0.85 * t, cy + math.sin(a) * rim_h * 0.8 * t
        s = r * rng.uniform(0.08, 0.16)
        colour = rng.choice(toppings)
        c.ellipse((x - s, y - s * 0.6, x + s, y + s * 0.6), shade(colour, 1.15), shade(colour, 0.7))
    if rng.random() < 0.5:  # an egg half
        x, y = cx + rng.uniform(-0.3, 0.3) * r, cy
        c.ellipse(
            (x - r * 0.22, y - r * 0.13, x + r * 0.22, y + r * 0.13),
            (255, 252, 244),
            (226, 220, 206),
        )
        c.ellipse(
            (x - r * 0.1, y - r * 0.07, x + r * 0.1, y + r * 0.07), (255, 196, 60), (226, 140, 30)
        )
    # Chopsticks or a spoon resting across.
    x0, y0 = cx + r * 0.2, cy - rim_h * 1.6
    c.lines([(x0, y0), (x0 + r * 1.3, y0 + rim_h * 2.2)], (120, 84, 52), max(2, r / 22))
    c.lines(
        [(x0 + r * 0.12, y0 - 2), (x0 + r * 1.42, y0 + rim_h * 2.0)], (140, 100, 64), max(2, r / 22)
    )


def _loaf(c: _Canvas, rng: random.Random, cx: float, cy: float, r: float) -> None:
    board = rng.choice(_WOODS)
    c.shadow((cx - r * 1.3, cy - r * 0.2, cx + r * 1.4, cy + r * 0.75), blur=r / 6)
    c.rounded(
        (cx - r * 1.3, cy - r * 0.45, cx + r * 1.3, cy + r * 0.55),
        shade(board, 1.2),
        shade(board, 0.8),
        radius=r * 0.25,
    )
    c.rounded(
        (cx - r * 1.3, cy + r * 0.42, cx + r * 1.3, cy + r * 0.6),
        shade(board, 0.7),
        shade(board, 0.55),
        radius=r * 0.08,
    )
    crust = rng.choice(((196, 128, 62), (176, 104, 48), (214, 156, 86), (150, 90, 44)))
    c.shadow((cx - r * 1.0, cy - r * 0.05, cx + r * 1.05, cy + r * 0.45), strength=120, blur=r / 10)
    c.ellipse(
        (cx - r, cy - r * 0.62, cx + r, cy + r * 0.38),
        shade(crust, 1.25),
        shade(crust, 0.6),
        angle=-15,
    )
    # Scores across the top, lighter where the crust opened.
    for k in range(rng.randint(3, 5)):
        x = cx - r * 0.6 + k * r * 0.32
        c.ellipse(
            (x - r * 0.09, cy - r * 0.45, x + r * 0.09, cy - r * 0.02),
            (244, 214, 160),
            (214, 170, 110),
            angle=30,
        )
    # A slice cut off, showing the crumb.
    if rng.random() < 0.6:
        x = cx + r * 1.02
        c.ellipse(
            (x - r * 0.2, cy - r * 0.45, x + r * 0.2, cy + r * 0.35),
            (250, 236, 206),
            (226, 200, 160),
        )
    for _ in range(rng.randint(4, 9)):
        x, y = cx + rng.uniform(-1.2, 1.2) * r, cy + rng.uniform(0.4, 0.52) * r
        s = rng.uniform(1, 2.5)
        c.ellipse((x - s, y - s, x + s, y + s), (236, 206, 160), (200, 160, 110))


def _coffee(c: _Canvas, rng: random.Random, cx: float, cy: float, r: float) -> None:
    cup = rng.choice(_CERAMICS)
    c.shadow((cx - r * 1.2, cy + r * 0.4, cx + r * 1.3, cy + r * 1.05), blur=r / 6)
    c.ellipse(
        (cx - r * 1.15, cy + r * 0.3, cx + r * 1.15, cy + r * 0.95),
        shade(cup, 1.08),
        shade(cup, 0.78),
    )
    c.ellipse(
        (cx - r * 0.8, cy + r * 0.45, cx + r * 0.8, cy + r * 0.82),
        shade(cup, 0.92),
        shade(cup, 0.8),
    )
    # The handle, then the body over it.
    hw = max(3, r / 7)
    c.draw().ellipse(
        (cx + r * 0.5, cy - r * 0.25, cx + r * 1.05, cy + r * 0.35),
        outline=(*shade(cup, 0.8), 255),
        width=round(hw),
    )
    c.shape(
        (cx - r * 0.72, cy - r * 0.45, cx + r * 0.72, cy + r * 0.72),
        shade(cup, 1.1),
        shade(cup, 0.62),
        angle=-70,
        draw=lambda d, b: d.rounded_rectangle(b, radius=round(r * 0.3), fill=255),
    )
    c.ellipse(
        (cx - r * 0.72, cy - r * 0.62, cx + r * 0.72, cy - r * 0.28),
        shade(cup, 1.12),
        shade(cup, 0.9),
    )
    coffee = rng.choice(((110, 62, 34), (150, 94, 56), (84, 48, 28)))
    c.ellipse(
        (cx - r * 0.63, cy - r * 0.57, cx + r * 0.63, cy - r * 0.33),
        shade(coffee, 0.8),
        shade(coffee, 1.1),
    )
    if coffee != (84, 48, 28):  # latte art: a pale heart
        c.ellipse(
            (cx - r * 0.3, cy - r * 0.53, cx + r * 0.05, cy - r * 0.38),
            (240, 220, 190),
            (214, 180, 140),
        )
        c.ellipse(
            (cx - r * 0.05, cy - r * 0.53, cx + r * 0.3, cy - r * 0.38),
            (240, 220, 190),
            (214, 180, 140),
        )
        c.polygon(
            [(cx - r * 0.28, cy - r * 0.43), (cx + r * 0.28, cy - r * 0.43), (cx, cy - r * 0.34)],
            (236, 214, 180),
            (220, 190, 150),
        )
    # Steam.
    steam = Image.new("L", (c.w, c.h), 0)
    d = ImageDraw.Draw(steam)
    for k in (-1, 0, 1):
        x = cx + k * r * 0.25
        points = [(x + math.sin(t / 3) * r * 0.12, cy - r * 0.7 - t * r * 0.09) for t in range(10)]
        d.line(points, fill=70, width=max(2, round(r / 14)))
    c.image.paste((255, 255, 255, 255), (0, 0), steam.filter(ImageFilter.GaussianBlur(r / 18)))
    # A spoon on the saucer.
    c.lines(
        [(cx - r * 1.0, cy + r * 0.7), (cx - r * 0.55, cy + r * 0.62)],
        (190, 190, 196),
        max(2, r / 16),
    )


def _food(c: _Canvas, rng: random.Random) -> None:
    horizon = c.h * rng.uniform(0.3, 0.45)
    _table(c, rng, horizon)
    main = rng.choice((_bowl, _loaf, _coffee))
    r = min(c.w, c.h) * rng.uniform(0.26, 0.32)
    cx = c.w * rng.uniform(0.42, 0.58)
    cy = horizon + (c.h - horizon) * rng.uniform(0.45, 0.55)
    # Something small behind it: a cup, a little bowl, a lemon.
    side = rng.choice((_coffee, _bowl)) if main is _loaf else _side_fruit
    sx = c.w * (0.2 if rng.random() < 0.5 else 0.8)
    side(c, rng, sx, horizon + (c.h - horizon) * 0.16, r * 0.45)
    main(c, rng, cx, cy, r)
    if rng.random() < 0.7:  # a leaf of basil or a sprig
        x, y = c.w * rng.uniform(0.1, 0.9), c.h * rng.uniform(0.85, 0.95)
        _leaf(c, x, y, r * 0.3, rng.uniform(0, 360), (96, 150, 70))


def _side_fruit(c: _Canvas, rng: random.Random, cx: float, cy: float, r: float) -> None:
    colour = rng.choice(((246, 208, 60), (236, 120, 40), (200, 40, 50), (150, 190, 70)))
    c.shadow((cx - r * 0.7, cy + r * 0.1, cx + r * 0.8, cy + r * 0.6), blur=r / 4)
    c.ellipse(
        (cx - r * 0.6, cy - r * 0.5, cx + r * 0.6, cy + r * 0.5),
        shade(colour, 1.3),
        shade(colour, 0.7),
        angle=-30,
    )
    c.ellipse(
        (cx - r * 0.35 + r * 0.5, cy - r * 0.55, cx + r * 0.6, cy - r * 0.3),
        (100, 150, 60),
        (60, 100, 40),
    )


# --- rooms: a living room's corner -------------------------------------------------------

_ROOM_WALLS: tuple[RGB, ...] = (
    (232, 224, 212), (206, 216, 210), (224, 206, 190), (196, 206, 220), (238, 232, 220),
    (214, 200, 214),
)  # fmt: skip
_FABRICS: tuple[RGB, ...] = (
    (70, 96, 120), (176, 120, 90), (120, 140, 110), (200, 186, 164), (150, 70, 70),
    (90, 90, 100), (210, 170, 90),
)  # fmt: skip


def _room(c: _Canvas, rng: random.Random) -> None:
    w, h = c.w, c.h
    floor_y = h * rng.uniform(0.66, 0.74)
    wall = jitter(rng.choice(_ROOM_WALLS), rng, 8)
    c.gradient(
        (0, 0, w, floor_y), shade(wall, 1.06), shade(wall, 0.86), angle=rng.choice((-30, 30))
    )
    wood = jitter(rng.choice(_WOODS), rng, 10)
    c.gradient((0, floor_y, w, h), shade(wood, 0.8), shade(wood, 1.08))
    d = c.draw()
    for k in range(1, 9):
        y = floor_y + (h - floor_y) * (k / 8) ** 1.6
        d.line([(0, y), (w, y)], fill=(*shade(wood, 0.75), 255), width=1)
    c.gradient((0, floor_y - h * 0.02, w, floor_y), (248, 246, 240), (220, 216, 208))
    # The window, its light on the wall and the floor.
    win_left = rng.random() < 0.5
    ww, wh = w * rng.uniform(0.26, 0.34), h * rng.uniform(0.32, 0.4)
    wx = w * (0.08 if win_left else 0.92) - (0 if win_left else ww)
    wy = h * 0.12
    sky = rng.choice(((170, 206, 236), (200, 222, 238), (236, 206, 170)))
    c.glow((wx + ww / 2, floor_y + (h - floor_y) * 0.4), ww * 0.8, (255, 244, 214), 70)
    c.rounded(
        (wx - 6, wy - 6, wx + ww + 6, wy + wh + 6), (250, 250, 246), (214, 212, 206), radius=2
    )
    c.gradient((wx, wy, wx + ww, wy + wh), shade(sky, 1.15), shade(sky, 0.92))
    hill = (wx, wy + wh * 0.7, wx + ww, wy + wh)
    c.gradient(hill, (140, 180, 120), (90, 130, 80))
    d = c.draw()
    d.line([(wx + ww / 2, wy), (wx + ww / 2, wy + wh)], fill=(246, 246, 240, 255), width=4)
    d.line([(wx, wy + wh / 2), (wx + ww, wy + wh / 2)], fill=(246, 246, 240, 255), width=4)
    curtain = jitter(rng.choice(_FABRICS), rng, 10)
    for x0 in (wx - ww * 0.18, wx + ww + ww * 0.02):
        c.shape(
            (x0, wy - 14, x0 + ww * 0.16, floor_y - 6),
            shade(curtain, 1.25),
            shade(curtain, 0.85),
            angle=90,
            draw=lambda dd, b: dd.rectangle(b, fill=255),
            alpha=235,
        )
    # A picture on the wall, over the sofa.
    sofa_w = w * rng.uniform(0.48, 0.56)
    sofa_x = w * (0.36 if win_left else 0.08) + rng.uniform(-8, 8)
    if not win_left and sofa_x + sofa_w > wx - ww * 0.2:
        sofa_x = wx - ww * 0.2 - sofa_w
    if win_left:
        sofa_x = max(sofa_x, wx + ww * 1.2)
        sofa_x = min(sofa_x, w - sofa_w - w * 0.04)
    frame = (sofa_x + sofa_w * 0.28, h * 0.2, sofa_x + sofa_w * 0.72, h * 0.2 + sofa_w * 0.32)
    c.rounded(frame, (60, 50, 44), (40, 34, 30), radius=1)
    art = rng.choice(((220, 170, 120), (120, 160, 190), (200, 120, 110), (150, 180, 140)))
    inner = (frame[0] + 5, frame[1] + 5, frame[2] - 5, frame[3] - 5)
    c.gradient(inner, (244, 238, 226), shade(art, 1.2))
    c.ellipse(
        (
            inner[0] + 6,
            inner[1] + (inner[3] - inner[1]) * 0.35,
            inner[2] - 6,
            inner[3] + (inner[3] - inner[1]) * 0.5,
        ),
        art,
        shade(art, 0.7),
    )
    _sofa(c, rng, sofa_x, floor_y, sofa_w)
    # A floor lamp on one side of the sofa, a plant on the other.
    lamp_x = sofa_x - w * 0.06 if rng.random() < 0.5 else sofa_x + sofa_w + w * 0.06
    plant_x = sofa_x + sofa_w + w * 0.1 if lamp_x < sofa_x else sofa_x - w * 0.1
    plant_x = min(max(plant_x, w * 0.1), w * 0.9)
    lamp_x = min(max(lamp_x, w * 0.06), w * 0.94)
    _lamp(c, rng, lamp_x, floor_y, h)
    _potted(c, rng, plant_x, floor_y + (h - floor_y) * 0.25, min(w, h) * 0.12, tall=True)
    # A rug in front.
    rug = jitter(rng.choice(_FABRICS), rng, 20)
    rug_box = (
        sofa_x - w * 0.04,
        floor_y + (h - floor_y) * 0.45,
        sofa_x + sofa_w + w * 0.04,
        h * 0.99,
    )
    c.ellipse(rug_box, shade(rug, 1.2), shade(rug, 0.9), alpha=230)


def _sofa(c: _Canvas, rng: random.Random, x: float, floor_y: float, width: float) -> None:
    fabric = jitter(rng.choice(_FABRICS), rng, 12)
    h = width * 0.42
    top = floor_y + width * 0.02 - h
    c.shadow(
        (x - width * 0.02, floor_y - h * 0.08, x + width * 1.02, floor_y + h * 0.14),
        blur=width / 30,
    )
    # Back, seat, arms.
    c.rounded(
        (x + width * 0.04, top, x + width * 0.96, top + h * 0.62),
        shade(fabric, 1.12),
        shade(fabric, 0.86),
        radius=width * 0.05,
    )
    c.rounded(
        (x + width * 0.04, top + h * 0.5, x + width * 0.96, top + h * 0.86),
        shade(fabric, 1.2),
        shade(fabric, 0.92),
        radius=width * 0.04,
    )
    for ax in (x, x + width * 0.86):
        c.rounded(
            (ax, top + h * 0.3, ax + width * 0.14, top + h * 0.9),
            shade(fabric, 1.08),
            shade(fabric, 0.74),
            radius=width * 0.05,
        )
    # Cushions.
    colours = [jitter(rng.choice(_FABRICS), rng, 20) for _ in range(2)]
    for k, colour in enumerate(colours):
        cx = x + width * (0.27 + 0.44 * k) + rng.uniform(-4, 4)
        s = width * rng.uniform(0.1, 0.13)
        c.rounded(
            (cx - s, top + h * 0.22, cx + s, top + h * 0.22 + s * 1.7),
            shade(colour, 1.25),
            shade(colour, 0.8),
            radius=s * 0.4,
            angle=rng.uniform(-20, 20),
        )
    # Legs.
    for lx in (x + width * 0.06, x + width * 0.92):
        c.rounded(
            (lx, top + h * 0.88, lx + width * 0.025, floor_y + width * 0.03),
            (90, 62, 40),
            (60, 40, 26),
            radius=1,
        )


def _lamp(c: _Canvas, rng: random.Random, x: float, floor_y: float, h: float) -> None:
    shade_colour = rng.choice(((248, 236, 212), (236, 220, 190), (250, 246, 236)))
    top = floor_y - h * rng.uniform(0.46, 0.54)
    c.glow((x, top + h * 0.04), h * 0.16, (255, 226, 160), 110)
    c.shadow((x - h * 0.06, floor_y - h * 0.01, x + h * 0.06, floor_y + h * 0.02), blur=3)
    c.lines([(x, top + h * 0.06), (x, floor_y)], (60, 54, 50), max(2, h / 160))
    c.ellipse(
        (x - h * 0.05, floor_y - h * 0.012, x + h * 0.05, floor_y + h * 0.008),
        (80, 74, 70),
        (40, 36, 34),
    )
    c.polygon(
        [
            (x - h * 0.05, top),
            (x + h * 0.05, top),
            (x + h * 0.085, top + h * 0.1),
            (x - h * 0.085, top + h * 0.1),
        ],
        shade_colour,
        shade(shade_colour, 0.86),
    )


# --- plants ------------------------------------------------------------------------------

_POTS: tuple[RGB, ...] = (
    (196, 110, 74), (238, 234, 226), (60, 66, 72), (214, 190, 150), (170, 196, 186),
    (230, 196, 176),
)  # fmt: skip
_GREENS: tuple[RGB, ...] = (
    (70, 130, 60),
    (48, 110, 66),
    (96, 150, 70),
    (60, 120, 90),
    (110, 160, 80),
)


def _leaf(c: _Canvas, x: float, y: float, size: float, angle: float, colour: RGB) -> None:
    """A pointed leaf from (x, y) towards ``angle`` degrees, shaded, with its vein."""
    length, breadth = size, size * 0.42
    mask = Image.new("L", (round(length * 2) + 4, round(length * 2) + 4), 0)
    d = ImageDraw.Draw(mask)
    mid = len_mid = length + 2
    points = []
    for k in range(13):
        t = k / 12
        points.append((len_mid + t * length, mid - math.sin(math.pi * t) ** 0.8 * breadth))
    for k in range(12, -1, -1):
        t = k / 12
        points.append((len_mid + t * length, mid + math.sin(math.pi * t) ** 0.8 * breadth))
    d.polygon(points, fill=255)
    mask = mask.rotate(angle, resample=Image.Resampling.BICUBIC)
    light, dark = shade(colour, 1.3), shade(colour, 0.7)
    ramp = _ramp(round(angle + 90)).resize(mask.size)
    fill = Image.composite(
        Image.new("RGBA", mask.size, (*dark, 255)),
        Image.new("RGBA", mask.size, (*light, 255)),
        ramp,
    )
    vein = Image.new("L", mask.size, 0)
    ImageDraw.Draw(vein).line(
        [(len_mid, mid), (len_mid + length * 0.95, mid)], fill=150, width=max(1, round(size / 22))
    )
    vein = vein.rotate(angle, resample=Image.Resampling.BILINEAR)
    fill.paste((*shade(colour, 1.5), 255), (0, 0), vein)
    c.image.paste(fill, (round(x - len_mid), round(y - len_mid)), mask)


def _potted(
    c: _Canvas, rng: random.Random, cx: float, base_y: float, size: float, *, tall: bool = False
) -> None:
    """A pot standing at ``base_y`` with a plant of a random kind in it."""
    pot = jitter(rng.choice(_POTS), rng, 10)
    top_w, bottom_w, pot_h = size * 1.0, size * 0.74, size * 0.95
    top_y = base_y - pot_h
    green = jitter(rng.choice(_GREENS), rng, 12)
    kind = rng.choice(("leafy", "snake", "round", "trailing"))
    c.shadow(
        (cx - size * 0.8, base_y - size * 0.12, cx + size * 0.9, base_y + size * 0.18),
        blur=size / 8,
    )
    # Behind the pot's rim: the plant.
    if kind == "snake":
        for k in range(rng.randint(5, 8)):
            lean = rng.uniform(-0.35, 0.35)
            height = size * rng.uniform(1.6, 2.6) * (1.3 if tall else 1)
            x0 = cx + (k - 3) * size * 0.1
            tip = (x0 + lean * size, top_y - height)
            leaf = jitter(green, rng, 14)
            c.polygon(
                [(x0 - size * 0.09, top_y + 2), (x0 + size * 0.09, top_y + 2), tip],
                shade(leaf, 1.2),
                shade(leaf, 0.7),
            )
            c.lines(
                [(x0 - size * 0.05, top_y), (tip[0] - 1, tip[1] + height * 0.1)], (214, 206, 120), 1
            )
    elif kind == "round":
        for _ in range(rng.randint(9, 14)):
            a = rng.uniform(-math.pi * 0.95, -math.pi * 0.05)
            reach = size * rng.uniform(0.6, 1.5) * (1.3 if tall else 1)
            x, y = cx + math.cos(a) * reach, top_y + math.sin(a) * reach
            c.lines([(cx, top_y + 2), (x, y)], shade(green, 0.8), max(1, size / 30))
            s = size * rng.uniform(0.18, 0.27)
            leaf = jitter(green, rng, 14)
            c.ellipse(
                (x - s, y - s * 0.85, x + s, y + s * 0.85),
                shade(leaf, 1.35),
                shade(leaf, 0.7),
                angle=-30,
            )
    elif kind == "trailing":
        for side in (-1, 1):
            for k in range(rng.randint(5, 8)):
                t = k / 6
                x = cx + side * (top_w * 0.45 + t * size * 0.3)
                y = top_y + t * size * 1.5
                _leaf(
                    c,
                    x,
                    y,
                    size * 0.32,
                    (90 - side * 60) + rng.uniform(-25, 25),
                    jitter(green, rng, 16),
                )
        for _ in range(rng.randint(4, 6)):
            _leaf(
                c,
                cx + rng.uniform(-0.2, 0.2) * size,
                top_y,
                size * rng.uniform(0.4, 0.55),
                rng.uniform(30, 150),
                jitter(green, rng, 16),
            )
    else:  # big pointed leaves fanning out
        for _ in range(rng.randint(6, 10)):
            angle = rng.uniform(20, 160)  # PIL rotates counter-clockwise: up is 90
            length = size * rng.uniform(0.8, 1.3) * (1.3 if tall else 1)
            stem = (
                cx + math.cos(math.radians(angle)) * length * 0.4,
                top_y - math.sin(math.radians(angle)) * length * 0.4,
            )
            c.lines([(cx, top_y + 2), stem], shade(green, 0.7), max(1, size / 28))
            _leaf(c, stem[0], stem[1], length * 0.75, angle, jitter(green, rng, 16))
    # The pot, shaded from the light side, with its rim and soil.
    c.polygon(
        [
            (cx - top_w / 2, top_y),
            (cx + top_w / 2, top_y),
            (cx + bottom_w / 2, base_y),
            (cx - bottom_w / 2, base_y),
        ],
        shade(pot, 1.15),
        shade(pot, 0.72),
    )
    c.shape(
        (cx - top_w / 2, top_y, cx + top_w / 2, base_y),
        shade(pot, 1.2),
        shade(pot, 0.6),
        angle=90,
        alpha=110,
        draw=lambda d, b: d.polygon(
            [
                (0, 0),
                (b[2], 0),
                (b[2] - (top_w - bottom_w) / 2, b[3]),
                ((top_w - bottom_w) / 2, b[3]),
            ],
            fill=255,
        ),
    )
    c.rounded(
        (cx - top_w * 0.54, top_y - size * 0.1, cx + top_w * 0.54, top_y + size * 0.1),
        shade(pot, 1.2),
        shade(pot, 0.85),
        radius=size * 0.04,
    )


def _plants(c: _Canvas, rng: random.Random) -> None:
    w, h = c.w, c.h
    shelf_y = h * rng.uniform(0.7, 0.8)
    wall = jitter(rng.choice((*_ROOM_WALLS, *_WALLS)), rng, 8)
    c.gradient(
        (0, 0, w, shelf_y), shade(wall, 1.08), shade(wall, 0.88), angle=rng.choice((-25, 25))
    )
    c.glow((w * rng.uniform(0.2, 0.8), h * 0.15), w * 0.45, (255, 248, 228), 90)
    top = jitter(rng.choice((*_WOODS, (236, 232, 224))), rng, 10)
    c.gradient((0, shelf_y, w, h), shade(top, 1.05), shade(top, 0.8))
    c.gradient((0, shelf_y - 2, w, shelf_y + 3), shade(top, 1.2), shade(top, 1.0))
    count = rng.choice((1, 2, 3, 3))
    slots = [w * (k + 0.5) / count + rng.uniform(-0.04, 0.04) * w for k in range(count)]
    base = shelf_y + (h - shelf_y) * 0.45
    for k, x in enumerate(slots):
        size = (
            min(w / (count + 0.6), h * 0.3)
            * rng.uniform(0.55, 0.75)
            * (1.15 if k == count // 2 else 1)
        )
        _potted(c, rng, x, base + rng.uniform(-3, 3), size, tall=count == 1)
    if count < 3 and rng.random() < 0.7:  # a fallen leaf, a watering can's spout: something small
        _leaf(
            c,
            w * rng.uniform(0.1, 0.9),
            h * rng.uniform(0.9, 0.96),
            min(w, h) * 0.06,
            rng.uniform(0, 360),
            jitter(rng.choice(_GREENS), rng),
        )


# --- skin-care flat-lays -----------------------------------------------------------------

_GROUNDS: tuple[RGB, ...] = (
    (242, 214, 206), (214, 228, 220), (236, 226, 206), (208, 220, 236), (246, 232, 180),
    (226, 210, 232), (200, 226, 214), (250, 236, 226),
)  # fmt: skip
_PACKS: tuple[RGB, ...] = (
    (250, 250, 246), (236, 226, 212), (246, 206, 196), (206, 222, 210), (120, 150, 170),
    (226, 180, 150), (170, 130, 110), (60, 64, 70), (244, 236, 220),
)  # fmt: skip


def _flatlay(c: _Canvas, rng: random.Random) -> None:
    w, h = c.w, c.h
    ground = jitter(rng.choice(_GROUNDS), rng, 8)
    c.gradient((0, 0, w, h), shade(ground, 1.06), shade(ground, 0.92), angle=rng.uniform(-45, 45))
    # A folded towel under one corner, now and then.
    if rng.random() < 0.5:
        cloth = rng.choice(((250, 250, 246), (236, 230, 220), shade(ground, 0.85)))

        def towel(cc: _Canvas, b: Box) -> None:
            cc.rounded(b, shade(cloth, 1.04), shade(cloth, 0.9), radius=6)
            for k in range(3):
                y = b[1] + (b[3] - b[1]) * (0.12 + 0.05 * k)
                cc.lines([(b[0], y), (b[2], y)], shade(cloth, 0.84), 1)

        corner = (w * rng.choice((0.1, 0.9)), h * rng.choice((0.12, 0.88)))
        _rotated(c, (w * 0.42, h * 0.3), corner, rng.uniform(-25, 25), towel)
    makers = [_bottle, _jar, _tube, _dropper, _jar, _bottle]
    rng.shuffle(makers)
    count = rng.randint(4, 6)
    # Places on a loose grid so nothing sits on anything else.
    cols = 2 if w < h * 0.9 else 3
    rows = math.ceil(count / cols)
    cells = [(col, row) for row in range(rows) for col in range(cols)]
    rng.shuffle(cells)
    cell_w, cell_h = w / cols, h / rows
    for maker, (col, row) in zip(makers[:count], cells, strict=False):
        cx = (col + 0.5) * cell_w + rng.uniform(-0.12, 0.12) * cell_w
        cy = (row + 0.5) * cell_h + rng.uniform(-0.12, 0.12) * cell_h
        size = min(cell_w, cell_h) * rng.uniform(0.95, 1.15)
        maker(c, rng, cx, cy, size)
    # Petals and leaves scattered between.
    petal = rng.choice(((246, 180, 190), (250, 230, 160), (255, 255, 250), (230, 160, 120)))
    for _ in range(rng.randint(3, 7)):
        x, y = rng.uniform(0.05, 0.95) * w, rng.uniform(0.05, 0.95) * h
        if rng.random() < 0.5:
            _leaf(
                c,
                x,
                y,
                min(w, h) * rng.uniform(0.05, 0.09),
                rng.uniform(0, 360),
                jitter(rng.choice(_GREENS), rng),
            )
        else:
            s = min(w, h) * rng.uniform(0.015, 0.025)
            for k in range(5):
                a = k * 2 * math.pi / 5
                px, py = x + math.cos(a) * s, y + math.sin(a) * s
                c.ellipse((px - s, py - s, px + s, py + s), shade(petal, 1.05), shade(petal, 0.85))
            c.ellipse(
                (x - s * 0.5, y - s * 0.5, x + s * 0.5, y + s * 0.5), (250, 200, 80), (220, 160, 40)
            )


def _rotated(
    c: _Canvas,
    size: tuple[float, float],
    centre: tuple[float, float],
    angle: float,
    draw: Callable[[_Canvas, Box], object],
    *,
    cast: bool = True,
) -> None:
    """Draw an object (``draw`` into a box of ``size``) turned by ``angle``
    degrees around ``centre``, with its shadow falling down and right."""
    bw, bh = round(size[0]), round(size[1])
    pad = round(max(bw, bh) * 0.3) + 4
    sub = _Canvas(bw + 2 * pad, bh + 2 * pad)
    sub.image = Image.new("RGBA", sub.image.size, (0, 0, 0, 0))
    draw(sub, (pad, pad, pad + bw, pad + bh))
    turned = sub.image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    x, y = round(centre[0] - turned.width / 2), round(centre[1] - turned.height / 2)
    if cast:
        alpha = turned.getchannel("A").point(lambda v: v * 90 // 255)
        alpha = alpha.filter(ImageFilter.GaussianBlur(max(2, min(bw, bh) / 12)))
        offset = max(2, round(min(bw, bh) / 10))
        c.image.paste((30, 20, 16, 255), (x + offset, y + offset), alpha)
    c.image.alpha_composite(turned, (max(0, x), max(0, y)), (max(0, -x), max(0, -y)))


def _label(cc: _Canvas, box: Box, pack: RGB, rng: random.Random) -> None:
    x0, y0, x1, y1 = box
    ink = (60, 56, 54) if sum(pack) > 420 else (244, 240, 232)
    d = cc.draw()
    lines = rng.randint(2, 3)
    for k in range(lines):
        lw = (x1 - x0) * (0.7 if k == 0 else rng.uniform(0.35, 0.55))
        y = y0 + (y1 - y0) * (0.3 + 0.18 * k)
        d.rectangle(
            (
                x0 + ((x1 - x0) - lw) / 2,
                y,
                x0 + ((x1 - x0) + lw) / 2,
                y + max(1, (y1 - y0) * (0.06 if k == 0 else 0.035)),
            ),
            fill=(*ink, 255),
        )


def _bottle(c: _Canvas, rng: random.Random, cx: float, cy: float, size: float) -> None:
    pack = jitter(rng.choice(_PACKS), rng, 8)
    cap = rng.choice(((220, 220, 224), (40, 40, 44), (200, 170, 120), shade(pack, 0.7)))
    bw, bh = size * 0.36, size * 0.95

    def draw(cc: _Canvas, b: Box) -> None:
        x0, y0, x1, y1 = b
        neck = (x1 - x0) * 0.3
        cc.rounded(
            (x0 + (x1 - x0) / 2 - neck, y0, x0 + (x1 - x0) / 2 + neck, y0 + (y1 - y0) * 0.2),
            shade(cap, 1.3),
            shade(cap, 0.7),
            radius=3,
            angle=90,
        )
        body = (x0, y0 + (y1 - y0) * 0.18, x1, y1)
        cc.rounded(body, shade(pack, 1.12), shade(pack, 0.76), radius=(x1 - x0) * 0.28, angle=90)
        cc.rounded(
            (x0 + (x1 - x0) * 0.12, body[1] + 4, x0 + (x1 - x0) * 0.26, y1 - 6),
            (255, 255, 255),
            shade(pack, 1.1),
            radius=3,
        )
        _label(cc, (x0, body[1] + (y1 - body[1]) * 0.25, x1, y1 - (y1 - body[1]) * 0.2), pack, rng)

    _rotated(c, (bw, bh), (cx, cy), rng.uniform(-40, 40), draw)


def _jar(c: _Canvas, rng: random.Random, cx: float, cy: float, size: float) -> None:
    pack = jitter(rng.choice(_PACKS), rng, 8)
    lid = rng.choice(((230, 230, 232), (40, 40, 44), (206, 176, 120), shade(pack, 0.8)))
    r = size * rng.uniform(0.26, 0.32)
    c.shadow(
        (cx - r + r * 0.15, cy - r + r * 0.2, cx + r + r * 0.2, cy + r + r * 0.25),
        strength=110,
        blur=r / 4,
    )
    c.ellipse((cx - r, cy - r, cx + r, cy + r), shade(pack, 1.05), shade(pack, 0.7), angle=-45)
    c.ellipse(
        (cx - r * 0.82, cy - r * 0.82, cx + r * 0.82, cy + r * 0.82),
        shade(lid, 1.2),
        shade(lid, 0.8),
        angle=-45,
    )
    if rng.random() < 0.5:  # opened: the cream inside, with a swirl
        cream = rng.choice(((252, 248, 240), (250, 230, 220), (236, 244, 230)))
        c.ellipse(
            (cx - r * 0.68, cy - r * 0.68, cx + r * 0.68, cy + r * 0.68),
            cream,
            shade(cream, 0.88),
            angle=45,
        )
        c.draw().arc(
            (cx - r * 0.35, cy - r * 0.35, cx + r * 0.35, cy + r * 0.35),
            200,
            520,
            fill=(*shade(cream, 0.8), 255),
            width=2,
        )
    else:
        c.ellipse(
            (cx - r * 0.25, cy - r * 0.25, cx + r * 0.25, cy + r * 0.25),
            shade(lid, 1.3),
            shade(lid, 1.0),
        )


def _tube(c: _Canvas, rng: random.Random, cx: float, cy: float, size: float) -> None:
    pack = jitter(rng.choice(_PACKS), rng, 8)
    cap = rng.choice(((250, 250, 250), (40, 40, 44), shade(pack, 0.7)))
    tw, th = size * 0.3, size * 0.95

    def draw(cc: _Canvas, b: Box) -> None:
        x0, y0, x1, y1 = b
        crimp = (y1 - y0) * 0.06
        cc.polygon(
            [
                (x0 - 2, y0),
                (x1 + 2, y0),
                (x1 - (x1 - x0) * 0.12, y1 - (y1 - y0) * 0.14),
                (x0 + (x1 - x0) * 0.12, y1 - (y1 - y0) * 0.14),
            ],
            shade(pack, 1.12),
            shade(pack, 0.8),
        )
        cc.rounded(
            (x0 - 2, y0 - crimp, x1 + 2, y0 + crimp * 0.4),
            shade(pack, 0.95),
            shade(pack, 0.75),
            radius=1,
        )
        cc.rounded(
            (x0 + (x1 - x0) * 0.22, y1 - (y1 - y0) * 0.15, x1 - (x1 - x0) * 0.22, y1),
            shade(cap, 1.2),
            shade(cap, 0.75),
            radius=3,
            angle=90,
        )
        _label(cc, (x0, y0 + (y1 - y0) * 0.2, x1, y1 - (y1 - y0) * 0.3), pack, rng)

    _rotated(c, (tw, th), (cx, cy), rng.uniform(-60, 60), draw)


def _dropper(c: _Canvas, rng: random.Random, cx: float, cy: float, size: float) -> None:
    glass = rng.choice(((150, 96, 56), (80, 110, 140), (230, 226, 214), (120, 140, 110)))
    bulb = rng.choice(((40, 40, 44), (236, 236, 236), (200, 170, 120)))
    bw, bh = size * 0.3, size * 0.9

    def draw(cc: _Canvas, b: Box) -> None:
        x0, y0, x1, y1 = b
        mid = (x0 + x1) / 2
        cc.rounded(
            (mid - (x1 - x0) * 0.22, y0, mid + (x1 - x0) * 0.22, y0 + (y1 - y0) * 0.2),
            shade(bulb, 1.3),
            shade(bulb, 0.7),
            radius=(x1 - x0) * 0.2,
            angle=90,
        )
        cc.rounded(
            (
                mid - (x1 - x0) * 0.3,
                y0 + (y1 - y0) * 0.18,
                mid + (x1 - x0) * 0.3,
                y0 + (y1 - y0) * 0.3,
            ),
            (214, 190, 130),
            (170, 140, 80),
            radius=2,
            angle=90,
        )
        body = (x0, y0 + (y1 - y0) * 0.28, x1, y1)
        cc.rounded(body, shade(glass, 1.25), shade(glass, 0.7), radius=(x1 - x0) * 0.18, angle=90)
        cc.rounded(
            (x0 + (x1 - x0) * 0.1, body[1] + 4, x0 + (x1 - x0) * 0.22, y1 - 6),
            shade(glass, 1.6),
            shade(glass, 1.2),
            radius=3,
        )
        _label(
            cc,
            (x0 + 3, body[1] + (y1 - body[1]) * 0.3, x1 - 3, y1 - (y1 - body[1]) * 0.15),
            (244, 240, 232),
            rng,
        )

    _rotated(c, (bw, bh), (cx, cy), rng.uniform(-45, 45), draw)


_PAINTERS: dict[str, Callable[[_Canvas, random.Random], None]] = {
    "food": _food,
    "room": _room,
    "plants": _plants,
    "flatlay": _flatlay,
}
