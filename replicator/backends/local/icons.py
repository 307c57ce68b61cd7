"""Icons on the page: graphics, and short OCR "text", that are icons of the sets we ship.

A small graphic whose ink an icon of the index draws confidently becomes that icon (inline SVG,
in its measured colour and size). OCR also reads icons as characters (a bell with its badge as
"3+", a caret as "→", the Google logo as "G"): a line of one or two characters becomes the icon
when the icon explains its ink clearly better than the characters set in any of our faces.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Callable, Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ...icons import (
    CONFIDENT,
    IconIndex,
    IconMatch,
    ink_alpha,
    is_plain,
    subpixel_bounds,
    tight,
    without_neighbours,
)
from ...models import RGB, Box
from ...ocr import OcrLine
from .controls import checked_radio
from .fonts import FONTS, has_cjk
from .graphics import add_region, data_uri
from .model import Graphic, Region, TextLine
from .regions import box_mask, crop_around, edge_pixels, tile_middle
from .spacing import ink_runs, solid_triangle
from .text import IconCheck, symbol_head

# An icon must out-correlate the best rendering of OCR's characters by this much to replace them:
# letter-shaped logos (Facebook's "f", Google's "G") clear it, a real "f" or "G" does not.
TEXT_MARGIN = 0.06
SIGN_MARGIN = 0.2
# An icon partly under a plain badge needs this score (CONFIDENT elsewhere): the badge, a plain
# shape in the other colour, is evidence of its own.
UNDER_BADGE = 0.82


@functools.lru_cache(maxsize=256)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size, index=index)


@functools.lru_cache(maxsize=4096)
def _drawn(text: str, path: str, index: int, size: int) -> np.ndarray:
    """``text`` at ``size`` px: ink coverage cropped to the ink (empty when nothing is drawn)."""
    font = _font(path, index, size)
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    width, height = int(right - left) + 2, int(bottom - top) + 2
    if width < 2 or height < 2:
        return np.zeros((0, 0), dtype=np.float32)
    image = Image.new("L", (width, height), 0)
    ImageDraw.Draw(image).text((1 - left, 1 - top), text, font=font, fill=255, anchor="ls")
    found = tight(np.asarray(image, dtype=np.float32) / 255.0)
    drawn = found[0] if found is not None else np.zeros((0, 0), dtype=np.float32)
    drawn.flags.writeable = False  # cached: shared by every caller
    return drawn


def correlation(ink: np.ndarray, drawn: np.ndarray) -> float:
    """Correlation of a tight ink crop with a drawing scaled to its size, at the best 1 px shift."""
    if drawn.size == 0 or ink.size == 0:
        return 0.0
    h, w = ink.shape
    scaled = cv2.resize(drawn.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    if float(scaled.std()) < 1e-3:
        return 0.0
    scores = cv2.matchTemplate(np.pad(ink.astype(np.float32), 1), scaled, cv2.TM_CCOEFF_NORMED)
    return float(np.nan_to_num(scores).max())


def text_likeness(ink: np.ndarray, text: str, enough: float = 1.0) -> float:
    """How well ``text`` set in the best of our faces (regular or bold) explains a tight ink crop
    (the search stops at a face that explains it ``enough``)."""
    text = text.strip()
    if not text or ink.size == 0:
        return 0.0
    size = max(8, round(ink.shape[0] * 1.4))  # big enough to show the glyph's shape, scaled anyway
    best = 0.0
    for face in FONTS.faces_for(text):
        for path in {face.regular, face.bold or face.regular}:
            drawn = _drawn(text, str(path), face.index, size)
            if drawn.size == 0:
                continue
            aspect = (drawn.shape[1] / drawn.shape[0]) / (ink.shape[1] / ink.shape[0])
            if abs(math.log(aspect)) > 0.35:
                continue  # another width entirely: not this face's rendering of the string
            best = max(best, correlation(ink, drawn))
            if best >= enough:
                return best
    return best


def text_or_icon(
    alpha: np.ndarray, text: str, match: IconMatch | None, margin: float | None = None
) -> IconMatch | None:
    """``match`` when the icon explains the ink of ``alpha`` clearly better than OCR's ``text``:
    by ``margin`` (default: TEXT_MARGIN, or SIGN_MARGIN for punctuation and currency signs)."""
    if match is None or match.score < CONFIDENT:
        return None
    found = tight(without_neighbours(alpha))
    if found is None:
        return None
    # OCR's string (with the spaces respacing put in, or without), or any one of its characters
    # (the cluster may be one letter of it), set in our faces: the icon must beat the best.
    readings = {text.strip(), text.replace(" ", ""), *(ch for ch in text if not ch.isspace())}
    # OCR often gets a letter's case wrong ("summit" for tracked-out SUMMIT): its other case too
    # (Bootstrap Icons' "fonts" is a T, which the "t" OCR read did not explain).
    readings |= {ch.swapcase() for ch in text if ch.isalpha()}
    # Punctuation and currency signs are text far more often than icons that look like them
    # ("(", "！", "¥" beside a price): those need a wider margin. Arrows and stars do not.
    typographic = all(
        unicodedata.category(ch)[0] == "P" or unicodedata.category(ch) == "Sc"
        for ch in text
        if not ch.isspace()
    )
    if margin is None and all(_dingbat(ch) for ch in text if not ch.isspace()):
        return match  # a star, a heart, a check mark: what OCR calls one is the icon drawn there
    if margin is None:
        margin = SIGN_MARGIN if typographic else TEXT_MARGIN
    enough = match.score - margin
    if any(text_likeness(found[0], reading, enough) > enough for reading in readings):
        return None
    return match


def _dingbat(ch: str) -> bool:
    """A pictographic symbol (★ ☆ ♥ ✓ ☰), which pages draw as icons; not ©, ® or ™, which are text."""
    return unicodedata.category(ch) == "So" and ch not in "©®℗™°"


# --- the page's icons ---------------------------------------------------------------------------

# Graphics up to this size (px, longest side) may be icons; bigger ones are pictures.
MAX_ICON = 96
# A small box this close to a graphic may be part of the same icon (a cart's flat basket).
_TOUCH = 6
# One color: this share of an icon's solid ink lies within _SAME of its median color.
_ONE_COLOR = 0.85
_SAME = 48


def _ink_box(alpha: np.ndarray, x0: int, y0: int) -> Box | None:
    found = tight(without_neighbours(alpha))
    if found is None:
        return None
    left, top, right, bottom = subpixel_bounds(alpha, found[1])
    return Box(x0 + left, y0 + top, right - left, bottom - top)


def _one_color(crop: np.ndarray, alpha: np.ndarray) -> RGB | None:
    """The ink's color when it has one (an icon in ``color``), else None (a logo of several)."""
    core = alpha > 0.8
    if core.sum() < 3:
        core = alpha > 0.5
    if not core.any():
        return None
    pixels = crop[core].astype(np.int32)
    median = np.median(pixels, axis=0)
    near = np.abs(pixels - median).max(axis=1) <= _SAME
    if float(near.mean()) < _ONE_COLOR:
        return None
    r, g, b = (round(float(v)) for v in median)
    return (r, g, b)


def _as_icon(rgb: np.ndarray, box: Box, match: IconMatch, background: RGB | None = None) -> Graphic | None:
    """A graphic drawn as ``match``'s icon on its measured ink box (None: no ink there)."""
    crop, x0, y0 = crop_around(rgb, box)
    alpha = ink_alpha(crop, background)
    ink = _ink_box(alpha, x0, y0)
    if ink is None:
        return None
    color = _one_color(crop, alpha)
    if color is None and match.icon.family != "fa-brands":
        return None  # ink of several colors is a picture (an avatar's face), not this glyph
    tight_crop, _x, _y = crop_around(rgb, ink, 0)
    return Graphic(ink, data_uri(tight_crop), icon=match.icon, color=color)


def icon_lines(
    rgb: np.ndarray, lines: list[TextLine], index: IconIndex
) -> tuple[list[TextLine], list[Graphic]]:
    """OCR lines of a few characters that are really icons (a caret read as "→", a logo as "G", a
    card brand's badge as "VISA"), and lines of symbols only (rating stars): those lines leave the
    text and come back as icon graphics; a lone ideograph on a Latin page that no icon explains
    comes back as a picture."""
    # On a page written in a Latin script, a lone CJK character is OCR's reading of an icon (a
    # receipt read as "国"); on a Chinese page it is a word.
    cjk = sum(len(line.text) for line in lines if has_cjk(line.text))
    latin_page = cjk <= 0.1 * max(sum(len(line.text) for line in lines), 1)
    short = [
        k
        for k, line in enumerate(lines)
        if _icon_sized(line)
        and (
            (latin_page and has_cjk(line.text) and len(line.text.strip()) == 1)
            or (not has_cjk(line.text) and not (_in_a_sentence(line, lines) and _shaped_like(rgb, line)))
        )
    ]
    crops = [crop_around(rgb, lines[k].ink)[0] for k in short]
    grounds: list[RGB | None] = [lines[k].background for k in short]
    matches = index.match_crops(crops, grounds) if short else []
    # What the index does not name on the line's ink is looked at again (a card brand's badge,
    # named as it is, stays as it is):
    # - an icon on a tinted tile, on the tile's fill (against the page the tile is ink too); the
    #   tile is a box, and the icon on it is found with the graphics: the line only goes;
    # - a line whose ink lost a part (an icon's bottom bar taken for an underline: a file icon
    #   read "B"), on all the ink joined to it.
    tiles: list[tuple[np.ndarray, RGB] | None] = [None] * len(short)
    # (A lone ideograph on a Latin page has its own way, below.)
    weak = [
        j
        for j, match in enumerate(matches)
        if (match is None or match.score < CONFIDENT) and not has_cjk(lines[short[j]].text)
    ]
    others = [ln.ink for ln in lines]
    for j in weak:
        tiles[j] = tile_middle(crops[j], lines[short[j]].background)
    boxes = {
        j: _whole_ink(rgb, lines[short[j]].ink, [o for o in others if o is not lines[short[j]].ink])
        for j in weak
        if tiles[j] is None
    }
    again = [j for j in weak if tiles[j] is not None or boxes[j] != lines[short[j]].ink]
    retry: list[np.ndarray] = []
    grounds_again: list[RGB | None] = []
    for j in again:
        tile = tiles[j]
        retry.append(tile[0] if tile is not None else crop_around(rgb, boxes[j])[0])
        grounds_again.append(tile[1] if tile is not None else grounds[j])
    for j, crop, ground, match in zip(
        again, retry, grounds_again, index.match_crops(retry, grounds_again) if again else [], strict=True
    ):
        if match is not None and match.score >= CONFIDENT:
            crops[j], grounds[j], matches[j] = crop, ground, match
        else:
            tiles[j] = None
    icons: list[Graphic] = []
    dropped: set[int] = set()
    for k, crop, ground, tile, match in zip(short, crops, grounds, tiles, matches, strict=True):
        line = lines[k]
        decided = text_or_icon(ink_alpha(crop, ground or line.background), line.text, match)
        if decided is not None and tile is not None:
            dropped.add(k)
            continue
        if decided is None:
            if latin_page and has_cjk(line.text):
                # A lone ideograph on a Latin page is an icon of no set we ship (bs_landing_saas'
                # camera read "回"): a picture of it, not a Chinese character in a Chinese face.
                box = _whole_ink(rgb, line.ink, [ln.ink for j, ln in enumerate(lines) if j != k])
                picture, _x, _y = crop_around(rgb, box, 0)
                icons.append(Graphic(box, data_uri(picture.copy())))
                dropped.add(k)
            continue
        graphic = _as_icon(rgb, line.ink, decided, line.background)
        if graphic is not None and graphic.box.area < 0.4 * line.ink.area:
            # The ink box lost a part (a file icon's bottom bar, taken for an underline), and
            # only a corner piece is left whole in it: all the ink joined to it is the icon.
            whole = _whole_ink(rgb, line.ink, [o.ink for o in lines if o is not line])
            graphic = _as_icon(rgb, whole, decided, line.background)
        if graphic is not None:
            icons.append(graphic)
            dropped.add(k)
    for k, line in enumerate(lines):
        if k in dropped or k in short or any(ch.isalnum() for ch in line.text):
            continue
        # A row of symbols ("★★★★☆"): each one an icon, or the line stays text.
        row = _icon_row(rgb, line.ink, index, line.background, len(line.text.replace(" ", "")))
        if row:
            icons.extend(row)
            dropped.add(k)
    return [line for k, line in enumerate(lines) if k not in dropped], icons


def leading_symbols(
    rgb: np.ndarray, lines: list[TextLine], index: IconIndex, reread: Callable[[OcrLine], list[TextLine]]
) -> tuple[list[TextLine], list[Graphic]]:
    """A line that opens with a row of symbols before its words (a rating's "★★★★☆ 4.2 · 318
    reviews"): when the ink of each symbol is an icon, they leave the line as icons and the words
    are a line of their own, measured (by ``reread``) on their own ink. Drawn as text, the stars
    came out in whatever face the words fitted, a size or two smaller than the icon font's, or
    the words in a face fitted to stars and words together (Merriweather for Lato)."""
    out: list[TextLine] = []
    icons: list[Graphic] = []
    for line in lines:
        head = symbol_head(line.text)
        tail = line.text[len(head) :].strip()
        if len(head) < 2 or not any(ch.isalnum() for ch in tail):
            out.append(line)
            continue
        crop, x0, _y0 = crop_around(rgb, line.ink, 0)
        alpha = ink_alpha(crop, line.background)
        for level in (0.2, 0.5):
            # Stars set close touch where their antialiased tips meet (bulma_shop_grid's "★★★★ &
            # up" had two stars as one run): at half coverage they stand apart.
            runs = ink_runs(np.asarray((alpha > level).any(axis=0)))
            widths = [b - a for a, b in runs[: len(head)]]
            if len(runs) > len(head) and max(widths) <= 1.35 * min(widths):
                break
        else:
            out.append(line)
            continue
        # A symbol OCR left out of the row (read four stars of five): the runs that go on at the
        # row's pitch and width are symbols too, not the words' first letters.
        count = len(head)
        pitch = runs[1][0] - runs[0][0]
        while (
            count + 1 < len(runs)
            and abs(runs[count][0] - runs[count - 1][0] - pitch) <= 2
            and max(widths) <= 1.35 * (runs[count][1] - runs[count][0])
            and runs[count][1] - runs[count][0] <= 1.35 * min(widths)
        ):
            count += 1
        symbols = Box(x0 + runs[0][0], line.ink.y, runs[count - 1][1] - runs[0][0], line.ink.height)
        row = _icon_row(rgb, symbols, index, line.background, count)
        start = x0 + runs[count][0]
        words = Box(start - 1, line.ink.y - 1, line.ink.right - start + 2, line.ink.height + 2)
        again = reread(OcrLine(tail, words, 0.9)) if len(row) == count else []
        if len(again) != 1:
            out.append(line)
            continue
        out.extend(again)
        icons.extend(row)
    return out, icons


def _in_a_sentence(line: TextLine, lines: list[TextLine]) -> bool:
    """A short word with letters that continues a line of text beside it, in the same size and
    colour ("in" before "the clouds"): a word, whatever logo spells it (LinkedIn's "in")."""
    if not any(unicodedata.category(ch)[0] == "L" for ch in line.text):
        return False
    box = line.ink
    for other in lines:
        if other is line:
            continue
        o = other.ink
        rows = min(box.bottom, o.bottom) - max(box.y, o.y)
        gap = max(o.x - box.right, box.x - o.right)
        if (
            rows >= 0.6 * min(box.height, o.height)
            and gap <= 1.5 * box.height
            and abs(other.size - line.size) <= 0.15 * line.size
            and max(abs(a - b) for a, b in zip(other.color, line.color, strict=True)) <= 40
        ):
            return True
    return False


def _icon_sized(line: TextLine) -> bool:
    """A reading short enough to be OCR's name for an icon: one or two characters, or three or
    four on ink about as wide as tall (a card brand's badge read "VISA"; words that short are
    wider, pills around them too)."""
    chars = len(line.text.replace(" ", ""))
    box = line.ink
    return (
        0 < chars <= 4
        and max(box.width, box.height) <= MAX_ICON
        and (chars <= 2 or box.width <= 1.6 * box.height)
    )


def _shaped_like(rgb: np.ndarray, line: TextLine) -> bool:
    """Whether OCR's characters, set in some face of ours, have the outline of the line's ink
    (width for height): a card icon read "B" beside "Card" is half again as wide as any "B"."""
    crop = crop_around(rgb, line.ink)[0]
    found = tight(without_neighbours(ink_alpha(crop, line.background)))
    if found is None:
        return True
    return text_likeness(found[0], line.text, 0.5) > 0.3


def _icon_row(
    rgb: np.ndarray, box: Box, index: IconIndex, background: RGB | None = None, count: int = 0
) -> list[Graphic]:
    """The icons of a row of symbols (a line of stars), one per cluster of ink; empty unless every
    one is an icon. ``count``: how many OCR read, for icons set so close that their ink touches."""
    crop, x0, y0 = crop_around(rgb, box)
    alpha = without_neighbours(ink_alpha(crop, background))
    runs = ink_runs(np.asarray((alpha > 0.2).any(axis=0)))
    if not runs:
        return []
    if len(runs) >= 2 and (count == 0 or len(runs) == count):
        boxes = []
        for a, b in runs:
            rows = np.flatnonzero((alpha[:, a:b] > 0.2).any(axis=1))
            boxes.append(Box(x0 + a, y0 + rows[0], b - a, rows[-1] - rows[0] + 1))
        matches = index.match_crops([crop_around(rgb, b)[0] for b in boxes], [background] * len(boxes))
        if all(m is not None and m.score >= CONFIDENT for m in matches):
            found = [_as_icon(rgb, b, m, background) for b, m in zip(boxes, matches, strict=True) if m]
            return [g for g in found if g is not None]
    extent = (int(runs[0][0]), int(runs[-1][1]))
    return _touching_row(rgb, crop, alpha, (x0, y0), extent, index, count)


def _touching_row(
    rgb: np.ndarray,
    crop: np.ndarray,
    alpha: np.ndarray,
    origin: tuple[int, int],
    run: tuple[int, int],
    index: IconIndex,
    count: int = 0,
) -> list[Graphic]:
    """A row of equal icons set so close that their ink touches (rating stars): cut evenly into as
    many as its width holds, each matched on its own; empty unless every one is the same kind."""
    a, b = int(run[0]), int(run[1])
    rows = np.flatnonzero((alpha[:, a:b] > 0.2).any(axis=1))
    if len(rows) == 0:
        return []
    height = rows[-1] - rows[0] + 1
    guesses = (
        [count]
        if count
        else sorted(
            {round((b - a) / height) + d for d in (0, -1, 1)}, key=lambda c: abs(c * height - (b - a))
        )
    )
    for count in guesses:
        if count < 2 or not 0.5 * height <= (b - a) / count <= 2 * height:
            continue
        step = (b - a) / count
        cuts = [(round(a + i * step), round(a + (i + 1) * step)) for i in range(count)]
        parts = [np.pad(alpha[:, c0:c1], 1) for c0, c1 in cuts]
        if any(is_plain(part) for part in parts):
            continue
        matches = index.match_many(parts)
        if any(m is None or m.score < CONFIDENT for m in matches):
            continue
        names = {m.icon.name.split("-")[0] for m in matches if m is not None}
        if len(names) > 1:
            continue  # stars and half stars are one kind; a star and a bell are two drawings
        found = []
        for (c0, c1), part, match in zip(cuts, parts, matches, strict=True):
            assert match is not None
            box = _ink_box(part, origin[0] + c0 - 1, origin[1] - 1)
            if box is None:
                return []
            pixels = crop[:, c0:c1]
            color = _one_color(pixels, alpha[:, c0:c1])
            tight_crop, _x, _y = crop_around(rgb, box, 0)
            found.append(Graphic(box, data_uri(tight_crop), icon=match.icon, color=color))
        return found
    return []


def _layers(
    crop: np.ndarray, background: np.ndarray, ignore: np.ndarray | None = None
) -> list[tuple[RGB, np.ndarray]]:
    """The crop's ink split by color (a grey bell under a red badge): each dominant ink color with
    its own coverage; a pixel belongs to the color whose blend with the background explains it.
    Pixels under ``ignore`` (a badge's count) take no part in finding the colors."""
    pixels = crop.astype(np.float32)
    offset = pixels - background
    distance = np.abs(offset).max(axis=2)
    strong = distance > 40
    if ignore is not None:
        strong &= ~ignore
    if strong.sum() < 12:
        return []
    # Pixels are grouped by their direction from the background, not their color: a thin grey
    # outline's antialiased pixels are many shades of one grey (each too few to count), all on the
    # way from the background to it. A group's color is that of its strongest pixels.
    away = offset[strong]
    norms = np.linalg.norm(away, axis=1)
    quantized = np.round(away / norms[:, None] * 4).astype(np.int32) + 4
    keys = quantized[:, 0] * 81 + quantized[:, 1] * 9 + quantized[:, 2]
    values, counts = np.unique(keys, return_counts=True)
    colors: list[np.ndarray] = []
    for key in values[np.argsort(-counts)]:
        group = keys == key
        if group.sum() < 0.08 * strong.sum():
            break
        members = pixels[strong][group]
        color = np.median(members[norms[group] >= np.percentile(norms[group], 60)], axis=0)
        if all(np.abs(color - c).max() > _SAME for c in colors):
            colors.append(color)
    if len(colors) < 2:
        return []
    # Each pixel on the line from the background to each color: how far along, how far off it.
    fits = []
    for color in colors:
        direction = color - background
        t = np.clip((offset @ direction) / max(float(direction @ direction), 1.0), 0.0, 1.0)
        off = np.linalg.norm(offset - t[..., None] * direction, axis=2)
        fits.append((t, off))
    nearest = np.argmin(np.stack([off for _t, off in fits]), axis=0)
    layers = []
    for k, color in enumerate(colors):
        alpha = np.where(nearest == k, fits[k][0], 0.0).astype(np.float32)
        r, g, b = (round(float(v)) for v in color)
        layers.append(((r, g, b), alpha))
    return layers


def name_icons(
    rgb: np.ndarray,
    graphics: list[Graphic],
    root: Region,
    regions: list[Region],
    text_boxes: list[Box],
    index: IconIndex,
) -> list[Graphic]:
    """Graphics that an icon of the index draws become that icon.

    A small flat box touching a graphic may be part of it (a cart's basket found as a box, its
    wheels as a graphic): they are matched together. A graphic of two colors that matches as a
    whole (a bell under a red badge) is matched color by color: the icon layer becomes the icon,
    and a plain badge left over becomes a box (added to ``regions``) that holds the badge's text.
    """
    small = [
        r
        for r in regions
        if r.visible
        and max(r.box.width, r.box.height) <= MAX_ICON
        and not r.children
        and not any(t.intersection(r.box) > 0.5 * t.area for t in text_boxes)
    ]
    candidates: list[tuple[Box, Graphic, list[Region]]] = []
    for graphic in graphics:
        if graphic.icon is not None or max(graphic.box.width, graphic.box.height) > MAX_ICON:
            continue
        if checked_radio(rgb, graphic.box):
            continue
        box = graphic.box
        joined = []
        for region in small:
            grown = Box(box.x - _TOUCH, box.y - _TOUCH, box.width + 2 * _TOUCH, box.height + 2 * _TOUCH)
            if _holds(region.box, box):
                continue  # the box the icon sits in (an icon button), not a part of the icon
            if grown.intersection(region.box) > 0:
                joined.append(region)
                box = box.union(region.box)
        box = _whole_ink(rgb, box, text_boxes)
        if max(box.width, box.height) <= MAX_ICON:
            candidates.append((box, graphic, joined))
    # A solid part of an icon found as a flat box, the rest of its drawing (thin strokes) found
    # as nothing (daisy_landing's lock: its body a box, its shackle lost): the box's whole ink.
    claimed = {id(r) for _box, _graphic, joined in candidates for r in joined}
    parts: list[tuple[Box, Region]] = []
    for region in small:
        if id(region) in claimed:
            continue
        whole = _whole_ink(rgb, region.box, text_boxes)
        grew = whole.width >= region.box.width + 3 or whole.height >= region.box.height + 3
        if grew and max(whole.width, whole.height) <= MAX_ICON:
            parts.append((whole, region))
    if parts:
        matched = index.match_crops([crop_around(rgb, whole)[0] for whole, _region in parts])
        for (whole, region), match in zip(parts, matched, strict=True):
            icon = _as_icon(rgb, whole, match) if match is not None and match.score >= CONFIDENT else None
            if icon is not None:
                region.visible = False
                graphics = [*graphics, icon]
    if not candidates:
        return graphics
    crops = [crop_around(rgb, box)[0] for box, _g, _r in candidates]
    matches = index.match_crops(crops)
    replaced: dict[int, list[Graphic]] = {}
    for (box, graphic, joined), crop, match in zip(candidates, crops, matches, strict=True):
        named_caret = match is not None and match.score >= CONFIDENT and "caret" in match.icon.name
        caret = None if named_caret else _caret(rgb, box, crop, index)
        if caret is not None:
            replaced[id(graphic)] = [caret]
            continue
        if match is not None and match.score >= CONFIDENT:
            icon = _as_icon(rgb, box, match)
            if icon is not None:
                replaced[id(graphic)] = [icon]
                for region in joined:
                    region.visible = False
            continue
        # A badge's count may be unread yet: what a badge holds is nobody's ink. (A badge is
        # filled in a color of its own; an outlined box, a bell's body, is part of the drawing.)
        ground = np.median(edge_pixels(crop), axis=0)
        inner = [
            Box(r.box.x + 3, r.box.y + 3, r.box.width - 6, r.box.height - 6)
            for r in joined
            if np.abs(np.asarray(r.fill, dtype=np.float64) - ground).max() > 60
        ]
        found = _split_by_color(rgb, box, crop, root, regions, text_boxes, index, inner)
        row = [found] if found is not None else [] if joined else _icon_row(rgb, box, index)
        if row:
            replaced[id(graphic)] = row
            for region in joined:
                region.visible = False
    result: list[Graphic] = []
    for graphic in graphics:
        result.extend(replaced.get(id(graphic), [graphic]))
    return result


def _caret(rgb: np.ndarray, box: Box, crop: np.ndarray, index: IconIndex) -> Graphic | None:
    """A small solid triangle (spacing.solid_triangle) as the set's caret pointing its way: a
    dropdown's "▾", which at 6 px matched Font Awesome's funnel ("filter") and Bootstrap's yield
    sign as well as any caret."""
    if max(box.width, box.height) > 16:
        return None
    found = tight(without_neighbours(ink_alpha(crop)))
    if found is None:
        return None
    alpha = found[0]
    way = solid_triangle(alpha, alpha > 0.5)
    icon = index.get("fa-solid", f"caret-{way}") if way is not None else None
    return _as_icon(rgb, box, IconMatch(icon, 1.0, 0.0)) if icon is not None else None


def _holds(outer: Box, inner: Box, margin: float = 3.0) -> bool:
    return (
        inner.x - outer.x >= margin
        and inner.y - outer.y >= margin
        and outer.right - inner.right >= margin
        and outer.bottom - inner.bottom >= margin
    )


def _split_by_color(
    rgb: np.ndarray,
    box: Box,
    crop: np.ndarray,
    root: Region,
    regions: list[Region],
    text_boxes: list[Box],
    index: IconIndex,
    badges: Sequence[Box] = (),
) -> Graphic | None:
    """The icon in one color layer of a two-color graphic, when the rest is a plain badge (which
    becomes a box, added to ``regions``); None otherwise. ``badges``: the insides of badges
    found as boxes, whose counts are nobody's ink (not yet read as text)."""
    ring = edge_pixels(crop).astype(np.float32)
    background = np.median(ring, axis=0)
    _crop_pixels, x0, y0 = crop_around(rgb, box)
    on_text, unread = box_mask(crop.shape, text_boxes, x0, y0), box_mask(crop.shape, badges, x0, y0)
    # Text on a layer (a badge's count) is part of that layer's plain shape, not a hole in it.
    on_text |= unread
    layers = _layers(crop, background, unread)
    if len(layers) != 2:
        return None
    alphas = [np.where(unread, 0.0, alpha).astype(np.float32) for _c, alpha in layers]
    matches = index.match_many(alphas, hidden=[(alphas[1] > 0.2) | unread, (alphas[0] > 0.2) | unread])
    for k, match in enumerate(matches):
        # Under a badge, an icon shows only in part (a bell's top under its count): a plain badge
        # is evidence enough for a lower score.
        if match is None or match.score < UNDER_BADGE:
            continue
        color, alpha = layers[k][0], alphas[k]
        rest_color, rest = layers[1 - k][0], alphas[1 - k]
        if is_plain(alpha) or is_plain(alpha > 0.25):
            continue  # a disc in a ring (a colour swatch, a radio button): no icon
        if not is_plain((rest > 0.5) | (on_text & (alpha < 0.5))):
            continue
        ink = _ink_box(alpha, x0, y0)
        badge = _ink_box(rest, x0, y0)
        if ink is None or badge is None:
            continue
        square = Box(round(badge.x), round(badge.y), round(badge.width), round(badge.height))
        add_region(square, rest_color, root, regions, radius=min(square.width, square.height) / 2)
        tight_crop, _x, _y = crop_around(rgb, ink, 0)
        return Graphic(ink, data_uri(tight_crop), icon=match.icon, color=color)
    return None


def _whole_ink(rgb: np.ndarray, seed: Box, text_boxes: list[Box]) -> Box:
    """``seed`` grown to all the ink connected to it (an icon's thin handle that box outlines
    cleared away, a bell's top above its found base), up to MAX_ICON; ``seed`` itself when that
    ink runs on further (a border, a picture)."""
    near, _x, _y = crop_around(rgb, seed, 2)
    ring = edge_pixels(near).astype(np.int16)
    background = np.median(ring, axis=0)
    crop, x0, y0 = crop_around(rgb, seed, MAX_ICON // 2)
    distance = np.abs(crop.astype(np.int16) - background).max(axis=2)
    # Ink is what stands out from the background by half the seed's own contrast, up to 40 levels
    # (a faint grey magnifier in a search field, 29 levels darker than the field, whose
    # antialiased circle the found graphic had lost).
    sx0, sy0 = int(seed.x) - x0, int(seed.y) - y0
    sx1, sy1 = math.ceil(seed.right) - x0, math.ceil(seed.bottom) - y0
    contrast = int(distance[sy0:sy1, sx0:sx1].max(initial=0))
    ink = distance > min(40, max(12, contrast // 2))
    for t in text_boxes:
        if t.intersection(seed) <= 0:
            ink[
                max(int(t.y) - y0, 0) : max(math.ceil(t.bottom) - y0, 0),
                max(int(t.x) - x0, 0) : max(math.ceil(t.right) - x0, 0),
            ] = False
    _count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    h, w = ink.shape
    grown = seed
    for label in np.unique(labels[sy0:sy1, sx0:sx1]):
        if label == 0:
            continue
        x, y, cw, ch, _area = (int(v) for v in stats[label])
        if x == 0 or y == 0 or x + cw == w or y + ch == h:
            return seed  # it runs on: not one small drawing
        grown = grown.union(Box(x0 + x, y0 + y, cw, ch))
    return grown if max(grown.width, grown.height) <= MAX_ICON else seed


def icon_check(index: IconIndex) -> IconCheck:
    """For text.read_lines: whether an end cluster of a line that OCR read as ``word`` is an icon
    (Facebook's logo read as "f" before "Continue with Facebook"); ``margin``: see ``text_or_icon``."""
    return _IndexCheck(index)


class _IndexCheck:
    """``icon_check``'s check: a class, not a closure, so that it pickles (to cpu_split's helper)."""

    def __init__(self, index: IconIndex) -> None:
        self.index = index

    def __call__(self, crop: np.ndarray, background: RGB, word: str, margin: float | None = None) -> bool:
        match = self.index.match_crops([crop], [background])[0]
        return text_or_icon(ink_alpha(crop, background), word, match, margin) is not None
