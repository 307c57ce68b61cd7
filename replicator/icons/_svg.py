"""SVG icon geometry: path data and basic shapes -> flattened outlines -> an antialiased mask.

Pillow cannot read SVG, and the icon sets we ship draw with a small part of it: ``<path>`` (every
command, arcs included), ``<circle>``, ``<rect>`` (rounded) and a ``matrix`` transform. Outlines
are flattened to polygons once; a mask at any size is then a few ``cv2.fillPoly`` calls on a
supersampled canvas, with the path's fill rule (nonzero or evenodd) honoured.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from dataclasses import dataclass

import cv2
import numpy as np

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TOKEN = re.compile(r"[MmLlHhVvCcSsQqTtAaZz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_SEPARATORS = re.compile(r"[\s,]*")
_ARITY = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7, "Z": 0}
_SUPERSAMPLE = 4

Point = tuple[float, float]


@dataclass(frozen=True)
class Outline:
    """Closed polygons (viewBox units) and how they fill: ``evenodd`` or ``nonzero``."""

    polygons: tuple[np.ndarray, ...]
    evenodd: bool = False

    def bounds(self) -> tuple[float, float, float, float] | None:
        """Ink bounds (x0, y0, x1, y1) in viewBox units, or None for an empty outline."""
        if not self.polygons:
            return None
        points = np.concatenate(self.polygons)
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


class SvgError(ValueError):
    """Path data this reader does not understand (never raised for the shipped icon sets)."""


def _tokens(data: str) -> list[str]:
    tokens = _TOKEN.findall(data)
    if _SEPARATORS.fullmatch(_TOKEN.sub("", data)) is None:
        raise SvgError(f"unexpected characters in path data {data[:20]!r}...")
    return tokens


def _arc_flag_split(tokens: list[str]) -> list[str]:
    """Arc flags are one digit and may run into the next number ("a1 1 0 011.99 0")."""
    if not any(t in "Aa" for t in tokens if len(t) == 1):
        return tokens
    out: list[str] = []
    pending = list(reversed(tokens))
    command = ""
    arg = 0
    while pending:
        token = pending.pop()
        if token[0].isalpha():
            command = token.upper()
            arg = 0
            out.append(token)
            continue
        if command == "A" and arg % 7 in (3, 4) and len(token) > 1 and token[0] in "01":
            # The flag is the first digit; the rest of the token is the next argument.
            out.append(token[0])
            pending.append(token[1:])
        else:
            out.append(token)
        arg += 1
    return out


@functools.lru_cache(maxsize=128)
def _basis(order: int, steps: int) -> np.ndarray:
    """Bernstein weights (steps, order + 1) at t = 1/steps .. 1."""
    t = np.linspace(0.0, 1.0, steps + 1)[1:, None]
    u = 1.0 - t
    if order == 2:
        return np.hstack([u * u, 2 * u * t, t * t])
    return np.hstack([u**3, 3 * u * u * t, 3 * u * t * t, t**3])


def _curve(points: list[Point], scale: float) -> list[Point]:
    """A quadratic (3 points) or cubic (4 points) Bézier as a polyline, its start left out."""
    length = sum(math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(points))
    steps = int(min(max(math.ceil(length / scale * 48), 2), 64))
    flat = _basis(len(points) - 1, steps) @ np.array(points)
    return [(float(x), float(y)) for x, y in flat]


def _arc(
    start: Point, radii: Point, angle: float, large: bool, sweep: bool, end: Point, scale: float
) -> list[Point]:
    """Points along an SVG elliptical arc (endpoint form converted to centre form, SVG 1.1 F.6.5)."""
    rx, ry = abs(radii[0]), abs(radii[1])
    if rx == 0 or ry == 0 or (abs(start[0] - end[0]) < 1e-9 and abs(start[1] - end[1]) < 1e-9):
        return [end]
    phi = math.radians(angle)
    cos_phi, sin_phi = math.cos(phi), math.sin(phi)
    dx, dy = (start[0] - end[0]) / 2, (start[1] - end[1]) / 2
    x1 = cos_phi * dx + sin_phi * dy
    y1 = -sin_phi * dx + cos_phi * dy
    grow = x1 * x1 / (rx * rx) + y1 * y1 / (ry * ry)
    if grow > 1:
        rx, ry = rx * math.sqrt(grow), ry * math.sqrt(grow)
    numerator = rx * rx * ry * ry - rx * rx * y1 * y1 - ry * ry * x1 * x1
    denominator = rx * rx * y1 * y1 + ry * ry * x1 * x1
    factor = math.sqrt(max(numerator, 0.0) / denominator) if denominator else 0.0
    if large == sweep:
        factor = -factor
    cx1, cy1 = factor * rx * y1 / ry, -factor * ry * x1 / rx
    cx = cos_phi * cx1 - sin_phi * cy1 + (start[0] + end[0]) / 2
    cy = sin_phi * cx1 + cos_phi * cy1 + (start[1] + end[1]) / 2
    theta = math.atan2((y1 - cy1) / ry, (x1 - cx1) / rx)
    delta = math.atan2((-y1 - cy1) / ry, (-x1 - cx1) / rx) - theta
    if sweep and delta < 0:
        delta += 2 * math.pi
    elif not sweep and delta > 0:
        delta -= 2 * math.pi
    steps = int(min(max(math.ceil(abs(delta) * max(rx, ry) / scale * 48), 2), 96))
    points = []
    for k in range(1, steps):
        t = theta + delta * k / steps
        ex, ey = rx * math.cos(t), ry * math.sin(t)
        points.append((cx + ex * cos_phi - ey * sin_phi, cy + ex * sin_phi + ey * cos_phi))
    points.append(end)
    return points


def parse_path(data: str, scale: float = 16.0) -> list[np.ndarray]:
    """Path data -> closed polygons (one per subpath). ``scale``: the viewBox's size, for flattening."""
    tokens = _arc_flag_split(_tokens(data))
    polygons: list[np.ndarray] = []
    current: list[Point] = []
    x = y = 0.0
    start: Point = (0.0, 0.0)
    # The last curve's final control point and kind ("C" or "Q"): S and T reflect it.
    control: tuple[float, float, str] | None = None
    index = 0
    command = ""

    def close() -> None:
        nonlocal current
        if len(current) >= 3:
            polygons.append(np.array(current, dtype=np.float64))
        current = []

    while index < len(tokens):
        token = tokens[index]
        if token[0].isalpha():
            command = token
            index += 1
            if command in "Zz":
                close()
                x, y = start
                control = None
                continue
        elif not command or command in "Zz":
            raise SvgError("path data starts with a number")
        upper = command.upper()
        arity = _ARITY[upper]
        if index + arity > len(tokens) or any(t[0].isalpha() for t in tokens[index : index + arity]):
            raise SvgError(f"too few numbers after {command!r}")
        a = [float(t) for t in tokens[index : index + arity]]
        index += arity
        ox, oy = (x, y) if command.islower() else (0.0, 0.0)
        if upper == "M":
            close()
            x, y = ox + a[0], oy + a[1]
            start = (x, y)
            current = [start]
            command = "l" if command.islower() else "L"  # further pairs are implicit line-tos
            control = None
            continue
        if not current:
            current = [(x, y)]
        if upper == "L":
            x, y = ox + a[0], oy + a[1]
            current.append((x, y))
            control = None
        elif upper == "H":
            x = ox + a[0]
            current.append((x, y))
            control = None
        elif upper == "V":
            y = oy + a[0]
            current.append((x, y))
            control = None
        elif upper in "CS":
            if upper == "C":
                c1 = (ox + a[0], oy + a[1])
                rest = a[2:]
            else:
                c1 = (2 * x - control[0], 2 * y - control[1]) if control and control[2] == "C" else (x, y)
                rest = a
            c2, end = (ox + rest[0], oy + rest[1]), (ox + rest[2], oy + rest[3])
            current.extend(_curve([(x, y), c1, c2, end], scale))
            control = (c2[0], c2[1], "C")
            x, y = end
            continue
        elif upper in "QT":
            if upper == "Q":
                c1 = (ox + a[0], oy + a[1])
                end = (ox + a[2], oy + a[3])
            else:
                c1 = (2 * x - control[0], 2 * y - control[1]) if control and control[2] == "Q" else (x, y)
                end = (ox + a[0], oy + a[1])
            current.extend(_curve([(x, y), c1, end], scale))
            control = (c1[0], c1[1], "Q")
            x, y = end
            continue
        else:  # A
            end = (ox + a[5], oy + a[6])
            current.extend(_arc((x, y), (a[0], a[1]), a[2], bool(a[3]), bool(a[4]), end, scale))
            x, y = end
            control = None
    close()
    return polygons


def _ellipse(cx: float, cy: float, rx: float, ry: float, scale: float) -> np.ndarray:
    steps = int(min(max(math.ceil(2 * math.pi * max(rx, ry) / scale * 48), 12), 128))
    t = np.linspace(0.0, 2 * math.pi, steps, endpoint=False)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _rounded_rect(x: float, y: float, w: float, h: float, rx: float, ry: float, scale: float) -> np.ndarray:
    rx, ry = min(rx, w / 2), min(ry, h / 2)
    if rx <= 0 or ry <= 0:
        return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float64)
    corners = []
    for cx, cy, start in (
        (x + w - rx, y + ry, -math.pi / 2),
        (x + w - rx, y + h - ry, 0.0),
        (x + rx, y + h - ry, math.pi / 2),
        (x + rx, y + ry, math.pi),
    ):
        t = start + np.linspace(0.0, math.pi / 2, 9)
        corners.append(np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1))
    return np.concatenate(corners)


def _matrix(transform: str | None) -> np.ndarray | None:
    if not transform:
        return None
    match = re.fullmatch(r"\s*matrix\(([^)]*)\)\s*", transform)
    if match is None:
        raise SvgError(f"unsupported transform {transform!r}")
    a, b, c, d, e, f = (float(v) for v in _NUMBER.findall(match.group(1)))
    return np.array([[a, c, e], [b, d, f]], dtype=np.float64)


def element_outline(tag: str, attrs: dict[str, str], scale: float) -> list[np.ndarray]:
    """Polygons of one SVG shape element (``path``, ``circle``, ``ellipse``, ``rect``)."""

    def num(name: str, default: float = 0.0) -> float:
        value = attrs.get(name)
        return float(value) if value not in (None, "") else default

    if tag == "path":
        polygons = parse_path(attrs.get("d", ""), scale)
    elif tag == "circle":
        polygons = [_ellipse(num("cx"), num("cy"), num("r"), num("r"), scale)]
    elif tag == "ellipse":
        polygons = [_ellipse(num("cx"), num("cy"), num("rx"), num("ry"), scale)]
    elif tag == "rect":
        rx = attrs.get("rx") or attrs.get("ry") or "0"
        ry = attrs.get("ry") or rx
        polygons = [
            _rounded_rect(num("x"), num("y"), num("width"), num("height"), float(rx), float(ry), scale)
        ]
    else:
        raise SvgError(f"unsupported element <{tag}>")
    matrix = _matrix(attrs.get("transform"))
    if matrix is not None:
        polygons = [p @ matrix[:, :2].T + matrix[:, 2] for p in polygons]
    return polygons


def rasterize(
    outlines: list[Outline], box: tuple[float, float, float, float], size: tuple[int, int]
) -> np.ndarray:
    """Coverage (float32, 0..1) of ``outlines`` with the viewBox rectangle ``box`` (x0, y0, x1, y1)
    stretched onto a canvas of ``size`` (width, height) pixels."""
    width, height = size
    x0, y0, x1, y1 = box
    sx = width / max(x1 - x0, 1e-9) * _SUPERSAMPLE
    sy = height / max(y1 - y0, 1e-9) * _SUPERSAMPLE
    total = np.zeros((height * _SUPERSAMPLE, width * _SUPERSAMPLE), dtype=np.float32)
    shift = 4  # fillPoly's fixed-point bits: a sixteenth of a supersampled pixel
    for outline in outlines:
        winding = np.zeros(total.shape, dtype=np.int16)
        for polygon in outline.polygons:
            points = (polygon - (x0, y0)) * (sx, sy)
            # Outlines are designed on a nonzero rule: a hole runs the other way round, so it
            # counts -1 where the shape around it counts +1.
            nxt = np.roll(points, -1, axis=0)
            area = float((points[:, 0] * nxt[:, 1] - points[:, 1] * nxt[:, 0]).sum())
            layer = np.zeros(total.shape, dtype=np.uint8)
            cv2.fillPoly(layer, [np.round(points * (1 << shift)).astype(np.int32)], 1, cv2.LINE_8, shift)
            if outline.evenodd:
                winding += layer
            else:
                winding += layer.astype(np.int16) if area >= 0 else -layer.astype(np.int16)
        filled = (winding % 2 == 1) if outline.evenodd else (winding != 0)
        total = np.maximum(total, filled.astype(np.float32))
    return cv2.resize(total, (width, height), interpolation=cv2.INTER_AREA)
