"""The visual-diff score: how close a render is to its source screenshot (Design2Code, adapted).

Sub-scores on 0-100: ``block`` (how much text-block area is matched, both ways), ``text``
(character similarity of matched blocks; missing text counts as zero), ``position`` (how far
matched blocks moved), ``color`` (CIEDE2000 of matched text colors), ``typography`` (glyphs of
matched lines: family, weight, size, spacing, case), ``edges`` (borders, dividers and outlines
outside text, at full size) and ``visual`` (structure, color grid and layout of the two screenshots
with text painted over). ``overall`` weighs them equally. Every score comes with a heatmap PNG and a ranked list of discrepancies in words.
See docs/scoring.md.

    reference = analyze_reference(source_png, ocr=OcrEngine.shared())   # once per source
    score = score_against_source(reference, render)                     # per candidate
"""

from __future__ import annotations

from .reference import ReferenceAnalysis, analyze_reference
from .scorer import WEIGHTS, score_against_source, score_screenshots

__all__ = [
    "WEIGHTS",
    "ReferenceAnalysis",
    "analyze_reference",
    "score_against_source",
    "score_screenshots",
]
