"""Icons of the sets we ship (Font Awesome Free, Bootstrap Icons), found in a screenshot's ink.

``IconIndex.load(node_modules, cache_dir)`` reads (or builds once and caches) the index of every
installed icon; ``index.match(alpha)`` names the icon that draws a crop's ink coverage
(``ink_alpha(crop)``), or None. A match knows its icon's vector body, so the replica draws the
real icon as inline SVG (``match.icon.svg(width, height)``), self-contained and recolourable.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ._index import CONFIDENT, IconIndex, IconMatch
from ._ink import ink_alpha, is_plain, subpixel_bounds, tight, without_neighbours
from ._sets import Icon

__all__ = [
    "CONFIDENT",
    "Icon",
    "IconIndex",
    "IconMatch",
    "icon_index",
    "ink_alpha",
    "is_plain",
    "subpixel_bounds",
    "tight",
    "without_neighbours",
]


def icon_index(settings: Settings | None = None) -> IconIndex:
    """The index of the sets under ``settings.assets_dir``, cached under the data directory (default
    settings, from the environment, when none are given)."""
    settings = settings or Settings(_env_file=None)  # type: ignore[call-arg]
    return IconIndex.load(Path(settings.assets_dir), settings.data_dir / "cache" / "icons")
