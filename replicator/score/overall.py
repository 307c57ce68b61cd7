"""The overall score: 100 less what the differences a person would point at cost.

Every difference in the discrepancy list costs points by its kind and salience (discrepancies.py);
the overall score is ``100 * exp(-points / 100)``: near the top, 100 minus the points (a missing icon
about 5, a wrong letter in a heading about 6, a missing chart 16), and it never goes below 0 however
much differs (two unrelated pages: near 0). The sub-scores (Design2Code's block, text, position,
color and visual terms, with typography, edges and graphics) say which aspect is off and by how
much of the page; the overall says whether a reviewer would accept the page. Averaging sub-scores
could not be both: a missing icon is 1% of the graphics on a dashboard and would cost a tenth of a
point, where a reviewer rejects the page for it. Calibrated in bench/sensitivity.py (docs/scoring.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..models import Discrepancy

_SCALE = 100.0


def combine(found: Iterable[Discrepancy]) -> float:
    """The overall score (0-1) of the differences found (all of them, not only those reported)."""
    points = sum(max(d.weight, 0.0) for d in found)
    return math.exp(-points / _SCALE)
