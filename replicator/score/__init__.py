"""The visual-diff score: how close a render is to its source screenshot (Design2Code, adapted).

Sub-scores on 0-100: ``block`` (how much text-block area is matched, both ways), ``text``
(character similarity of matched blocks; missing text counts as zero), ``position`` (how far
matched blocks moved), ``color`` (CIEDE2000 of matched text colors), ``typography`` (glyphs of
matched lines: family, weight, size, spacing, case), ``edges`` (borders, dividers and outlines
outside text, at full size), ``graphics`` (icons, images, charts and illustrations found and drawn
alike) and ``visual`` (structure, color grid and layout of the two screenshots with text painted
over). ``overall`` is 100 less what the differences a person would point at cost (overall.py).
Every score comes with a heatmap PNG and a ranked list of those differences in words.
See docs/scoring.md.

    reference = analyze_reference(source_png, ocr=OcrEngine.shared())   # once per source
    score = score_against_source(reference, render)                     # per candidate
"""

from __future__ import annotations

from .reference import ReferenceAnalysis, analyze_reference
from .scorer import score_against_source, score_screenshots

__all__ = [
    "ReferenceAnalysis",
    "analyze_reference",
    "score_against_source",
    "score_screenshots",
]
