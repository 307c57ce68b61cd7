"""Whole-image similarity without a model: structure (SSIM), color on a grid, and layout overlap.

Design2Code compares the two screenshots with CLIP after painting over their text. No model may be
downloaded here, so the same idea is built from three classical terms, all computed on screenshots
shrunk by ``SCALE`` with every text box (either side's) painted in with its surroundings, so that
text, which the block terms already score, does not count twice:

- structure: mean SSIM (scikit-image), which sees edges, panels and images in the right places;
- color: CIEDE2000 between the mean colors of 32 px grid cells, which sees fills and backgrounds;
- layout: intersection over union of the pixels that differ from each page's own background, which
  sees whether content occupies the same regions even when the palette is different.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000
from skimage.metrics import structural_similarity

from ..models import RGB, Box
from .color import lab
from .reference import SCALE

CELL = 8  # grid cell in shrunken pixels (32 source pixels)
WEIGHTS = {"structure": 0.4, "color": 0.4, "layout": 0.2}
_CONTENT_DELTA_E = 12.0  # CIE76 distance from the page background that counts as content


@dataclass(frozen=True)
class VisualResult:
    structure: float  # 0-1
    color: float  # 0-1
    layout: float  # 0-1
    diff: np.ndarray  # (h, w) float32 0-1 at shrunken scale, text included: what the heatmap shows
    cell_diff: np.ndarray  # (rows, cols) mean of ``diff`` per grid cell
    ref_cells: np.ndarray  # (rows, cols, 3) mean source color per cell
    cand_cells: np.ndarray  # (rows, cols, 3) mean candidate color per cell

    @property
    def score(self) -> float:
        return (
            WEIGHTS["structure"] * self.structure
            + WEIGHTS["color"] * self.color
            + WEIGHTS["layout"] * self.layout
        )


def fit_to_canvas(small: np.ndarray, height: int, width: int, fill: RGB) -> np.ndarray:
    """The candidate placed at the source's top-left on a canvas of the source's size.

    A taller render is cut at the source's height (its extra height is charged separately), a
    shorter one is padded with its own background, so missing content shows as a difference.
    """
    if small.shape[:2] == (height, width):  # already the source's size: no copy, and no writes
        view = small.view()
        view.flags.writeable = False
        return view
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = fill
    h, w = min(height, small.shape[0]), min(width, small.shape[1])
    canvas[:h, :w] = small[:h, :w]
    return canvas


def text_mask(shape: tuple[int, int], boxes: Iterable[Box]) -> np.ndarray:
    """Shrunken-scale mask of the given source-coordinate boxes, grown by one pixel."""
    mask = np.zeros(shape, dtype=np.uint8)
    for box in boxes:
        x0, y0 = int(box.x // SCALE) - 1, int(box.y // SCALE) - 1
        x1, y1 = int(np.ceil(box.right / SCALE)) + 1, int(np.ceil(box.bottom / SCALE)) + 1
        mask[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = 1
    return mask.astype(bool)


def paint_over(image: np.ndarray, mask: np.ndarray, fallback: RGB) -> np.ndarray:
    """``image`` with masked pixels replaced by the mean of unmasked pixels around them.

    Normalized box filtering: fast and deterministic; a hole wider than the widest window (a huge
    heading) takes the page background.
    """
    if not mask.any():
        return image
    valid = (~mask).astype(np.float32)
    source = image.astype(np.float32) * valid[:, :, None]
    out = image.astype(np.float32)
    todo = mask.copy()
    for k in (9, 33):
        weight = cv2.blur(valid, (k, k))
        summed = cv2.blur(source, (k, k))
        ready = todo & (weight > 1e-3)
        out[ready] = summed[ready] / weight[ready][:, None]
        todo &= ~ready
        if not todo.any():
            break
    out[todo] = fallback
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def cell_means(image: np.ndarray) -> np.ndarray:
    """Mean of each CELL x CELL block (edge cells cover what is left)."""
    h, w = image.shape[:2]
    rows, cols = -(-h // CELL), -(-w // CELL)
    padded = cv2.copyMakeBorder(
        image.astype(np.float32), 0, rows * CELL - h, 0, cols * CELL - w, cv2.BORDER_REPLICATE
    )
    shape = (rows, CELL, cols, CELL, *image.shape[2:])
    return np.asarray(padded.reshape(shape).mean(axis=(1, 3)))


def compare(
    ref_small: np.ndarray,
    cand_small: np.ndarray,
    boxes: Iterable[Box],
    ref_background: RGB,
    cand_background: RGB,
) -> VisualResult:
    """The three whole-image terms for two same-sized shrunken screenshots."""
    mask = text_mask(ref_small.shape[:2], boxes)
    ref_plain = paint_over(ref_small, mask, ref_background)
    cand_plain = paint_over(cand_small, mask, cand_background)

    ref_gray = cv2.cvtColor(ref_plain, cv2.COLOR_RGB2GRAY).astype(np.float64)
    cand_gray = cv2.cvtColor(cand_plain, cv2.COLOR_RGB2GRAY).astype(np.float64)
    if min(ref_gray.shape) >= 7:
        structure = float(np.clip(structural_similarity(ref_gray, cand_gray, data_range=255.0), 0.0, 1.0))
    else:
        structure = 1.0 - float(np.abs(ref_gray - cand_gray).mean()) / 255.0

    ref_cells = cell_means(ref_plain)
    cand_cells = cell_means(cand_plain)
    cell_de = deltaE_ciede2000(lab(np.rint(ref_cells)), lab(np.rint(cand_cells)))
    color = float(np.clip(1.0 - np.maximum(cell_de - 1.0, 0.0) / 25.0, 0.0, 1.0).mean())

    ref_lab, cand_lab = lab(ref_plain), lab(cand_plain)
    ref_content = (
        np.linalg.norm(ref_lab - lab(np.array(ref_background, dtype=np.uint8)), axis=2) > _CONTENT_DELTA_E
    )
    cand_content = (
        np.linalg.norm(cand_lab - lab(np.array(cand_background, dtype=np.uint8)), axis=2) > _CONTENT_DELTA_E
    )
    union = int((ref_content | cand_content).sum())
    # Two pages that are (nearly) all background agree on layout.
    layout = 1.0 if union < 0.002 * ref_content.size else int((ref_content & cand_content).sum()) / union

    # The heatmap shows every difference, text included, so it uses the unpainted images.
    raw_de = np.linalg.norm(lab(ref_small) - lab(cand_small), axis=2).astype(np.float32)
    diff = np.clip(cv2.GaussianBlur(raw_de, (3, 3), 0) / 30.0, 0.0, 1.0)
    return VisualResult(
        structure=structure,
        color=color,
        layout=layout,
        diff=diff,
        cell_diff=cell_means(diff),
        ref_cells=cell_means(ref_small),
        cand_cells=cell_means(cand_small),
    )
