"""One screenshot -> one HTML page: OCR, regions, text, graphics, layout, classes, markup."""

from __future__ import annotations

import copy
import io
import logging
import math

import numpy as np
from PIL import Image

from ...errors import CorruptInput
from ...icons import IconIndex, icon_index
from ...models import Box
from ...ocr import OcrEngine
from .classify import classify
from .controls import (
    consumed,
    find_controls,
    find_ellipses,
    frame_boxes,
    read_badges,
    read_big_glyphs,
    read_free_numbers,
    read_glyphs,
    read_words,
    rejoin_letters,
    remeasure_on_fills,
    reread_glyphs,
    split_discs,
    split_inline_controls,
    split_labels,
)
from .dashes import find_dashes
from .emit import Emitter
from .fonts import FONTS
from .graphics import data_uri, find_figures, find_graphics, find_shapes
from .icons import icon_check, icon_lines, leading_symbols, name_icons
from .layout import Node, build_tree
from .model import Analysis, Graphic, TextLine
from .paragraphs import fit_cut_lines, group_blocks, harmonize, join_split_lines
from .refine import Corrections, adjust_text
from .refine import apply as apply_corrections
from .regions import find_regions, find_rules, segment, thin_runs
from .tables import find_tables
from .text import read_lines
from .trace import trace_marks

log = logging.getLogger(__name__)


def decode(png: bytes) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(png)) as image:
            return np.ascontiguousarray(np.asarray(image.convert("RGB")))
    except (OSError, ValueError) as exc:
        raise CorruptInput("The screenshot could not be decoded as an image.") from exc


def _small_picture(box: Box) -> bool:
    return box.width <= 30 and box.height <= 30


def warm() -> None:
    """Load what the analysis loads on first use: the icon index and the faces (a worker's helper
    takes work only after this, cpu_split)."""
    icon_index()
    FONTS.faces  # noqa: B018 - discovers the faces (and converts the web fonts) once


def analyze(png: bytes, *, ocr: OcrEngine | None = None, icons: IconIndex | None = None) -> Analysis:
    """Find text, boxes, dividers, graphics and icons in a screenshot."""
    rgb = decode(png)
    height, width = rgb.shape[:2]
    engine = ocr or OcrEngine.shared()
    index = icons or icon_index()
    # OCR reads icons as characters too (a caret as "→"): those lines become icons.
    is_icon = icon_check(index)
    lines = read_lines(rgb, engine.read(rgb), icon_check=is_icon, recognize=engine.recognize)
    # The page's faces, as its own lines chose them: what later stages read alone is fitted among them.
    faces = tuple(dict.fromkeys(ln.fit.face for ln in lines if ln.fit.face is not None)) or None
    lines, icon_marks = icon_lines(rgb, lines, index)
    lines, rating = leading_symbols(rgb, lines, index, lambda line: read_lines(rgb, [line]))
    icon_marks += rating
    harmonize(lines)
    fit_cut_lines(lines, height)
    text_mask = np.zeros((height, width), dtype=bool)
    for box in [line.ink for line in lines] + [g.box for g in icon_marks]:
        _paint(text_mask, box, 1)
    surfaces = segment(rgb)
    # A table cell's lone "—", which OCR does not read, is text in its row's face. (Thin
    # horizontal runs are the rules' and the dashes' both: found once, from the segmentation's
    # steps between neighbours.)
    runs = thin_runs(surfaces, text_mask)
    dashes = find_dashes(rgb, runs, lines)
    for dash in dashes:
        _paint(text_mask, dash.ink, 1)
    lines += dashes
    root, regions, by_label = find_regions(rgb, surfaces, text_mask, [line.ink for line in lines])
    # Text measured with a badge's pill as its ink is measured again on the pill.
    lines = remeasure_on_fills(rgb, lines, regions, is_icon, root)
    frame_boxes(rgb, lines, root, regions)
    rules = [r for r in find_rules(rgb, text_mask, surfaces, runs) if not _is_region_edge(r.box, regions)]
    text_boxes = [line.ink for line in lines]
    shapes = find_shapes(rgb, surfaces, root, regions, by_label, text_mask)
    graphics = find_graphics(
        rgb, surfaces, root, regions, by_label, text_boxes + [g.box for g in icon_marks], rules, shapes
    )
    graphics = name_icons(rgb, icon_marks + graphics, root, regions, text_boxes, index)
    # A chart drawn as boxes, grid lines and tick labels is one picture, not a pile of boxes.
    graphics, rules, lines = find_figures(rgb, root, regions, rules, graphics, lines)
    # Regions inside a graphic are part of the picture; dividers inside one too.
    kept = []
    for region in regions:
        if any(_within(region.box, g.box) for g in graphics if not g.behind_text):
            region.visible = False
        kept.append(region)
    rules = [r for r in rules if not any(_within(r.box, g.box) for g in graphics)]
    # Page numbers and counters alone in their boxes, which OCR's detector passed over.
    glyphs, graphics = read_glyphs(rgb, graphics, kept, engine, root, faces)
    lines = reread_glyphs(rgb, lines, kept, engine, faces)
    # A glyph OCR did read (the digit) in a picture that is its holder (the disc): read once.
    lines += [g for g in glyphs if not any(g.ink.intersection(ln.ink) > 0.5 * g.ink.area for ln in lines)]
    # Counts on badges and beside icons, which OCR's detector passed over.
    badges, graphics = read_badges(rgb, lines, graphics, kept, engine, root, faces)
    lines, left_out = split_discs(rgb, lines + badges, kept, root)
    if left_out:
        marks = [
            Graphic(
                box,
                data_uri(rgb[int(box.y) : math.ceil(box.bottom), int(box.x) : math.ceil(box.right)].copy()),
            )
            for box in left_out
        ]
        graphics += name_icons(rgb, marks, root, kept, [ln.ink for ln in lines], index)
    # Words the detector passed over, which became pictures.
    words, graphics = read_words(rgb, graphics, engine, faces)
    lines += words
    # A big price the detector passed over, whose "0" became a box and its sign a picture.
    prices, graphics = read_big_glyphs(rgb, lines, graphics, kept, engine, faces)
    lines += prices
    # Letters the detector left out of a line, which became pictures beside or on it.
    lines, graphics = rejoin_letters(rgb, lines, graphics, engine)
    lines += find_ellipses(rgb, lines, graphics)
    # Checkboxes, radios and switches: their pictures, boxes and tick "letters" become controls.
    lines = split_inline_controls(rgb, lines, [g.box for g in graphics if _small_picture(g.box)])
    controls = find_controls(rgb, lines, kept, graphics)
    for control in controls:
        graphics = [g for g in graphics if not consumed(control, g.box)]
        lines = [ln for ln in lines if len(ln.text.strip()) > 2 or not consumed(control, ln.ink)]
        for region in kept:
            if consumed(control, region.box):
                region.visible = False
    # Unknown one-color marks are drawn as traced vectors in their color, not as pictures.
    trace_marks(rgb, graphics)
    # Numbers standing alone (a ranking's, a calendar's) that were traced as marks are text.
    numbers, graphics = read_free_numbers(rgb, graphics, engine, faces)
    lines += numbers
    lines = join_split_lines(lines, _containers(lines, regions))
    blocks = split_labels(group_blocks(lines, _containers(lines, regions)), controls)
    # A speech bubble's tail is a triangle beside its box, drawn with the shapes.
    tails = [r.pointer for r in kept if r.pointer is not None and r.visible]
    return Analysis(
        width, height, root, kept, blocks, rules, graphics, [*shapes.values(), *tails], controls=controls
    )


def build_page(png: bytes, *, ocr: OcrEngine | None = None, title: str = "Page") -> str:
    """The HTML document that reproduces the screenshot ``png``."""
    analysis = analyze(png, ocr=ocr)
    return render_analysis(analysis, title=title)


def render_analysis(
    analysis: Analysis, *, title: str = "Page", corrections: Corrections | None = None, variant: int = 0
) -> str:
    """HTML for an analysis, with refinement corrections applied when given; ``variant`` (0-3)
    groups grids another way (another candidate of the same page)."""
    from .layout import COLUMN_BIAS, VARIANT_BIASES

    token = COLUMN_BIAS.set(VARIANT_BIASES[variant % len(VARIANT_BIASES)])
    try:
        return _render(analysis, title, corrections)
    finally:
        COLUMN_BIAS.reset(token)


def _render(analysis: Analysis, title: str, corrections: Corrections | None) -> str:
    if corrections is not None and not corrections.empty:
        # Corrections edit fonts; work on a copy so the cached analysis stays as measured.
        analysis = copy.deepcopy(analysis)
        adjust_text(analysis, corrections)
        tree = layout_tree(analysis)
        apply_corrections(analysis, tree, corrections)
    else:
        tree = layout_tree(analysis)
    return Emitter(analysis, title).document(tree)


def layout_tree(analysis: Analysis) -> Node:
    tree = build_tree(analysis)
    find_tables(tree)
    classify(tree, analysis.blocks, analysis.width, analysis.height, analysis.controls)
    return tree


def _paint(mask: np.ndarray, box: Box, pad: int) -> None:
    h, w = mask.shape
    mask[
        max(int(box.y) - pad, 0) : min(math.ceil(box.bottom) + pad, h),
        max(int(box.x) - pad, 0) : min(math.ceil(box.right) + pad, w),
    ] = True


def _within(inner: Box, outer: Box) -> bool:
    return outer.contains(inner, slack=1)


def _is_region_edge(box: Box, regions: list) -> bool:  # type: ignore[type-arg]
    """A line that is one side of a region's outline (its border or fill edge), not a divider."""
    for region in regions:
        b = region.box
        if box.height <= box.width:  # horizontal
            if (
                (
                    min(abs(box.y - b.y), abs(box.bottom - b.bottom)) <= 2
                    and box.x >= b.x - 3
                    and box.right <= b.right + 3
                )
                and box.width >= 0.6 * b.width
                and region.visible
            ):
                return True
        elif (
            (
                min(abs(box.x - b.x), abs(box.right - b.right)) <= 2
                and box.y >= b.y - 3
                and box.bottom <= b.bottom + 3
            )
            and box.height >= 0.6 * b.height
            and region.visible
        ):
            return True
    return False


def _containers(lines: list[TextLine], regions: list) -> dict[int, int]:  # type: ignore[type-arg]
    """Line index -> id of the innermost visible region holding it (-1: the page)."""
    result: dict[int, int] = {}
    visible = [r for r in regions if r.visible]
    for index, line in enumerate(lines):
        best = None
        for region in visible:
            if _within(line.ink, region.box) and (best is None or region.box.area < best.box.area):
                best = region
        result[index] = id(best) if best is not None else -1
    return result
