"""A line set in two styles (a bold subject, then a regular snippet in gray, as in a mail inbox)
is read as two pieces with their own weights; a sentence ending in a colored link of the same
weight stays one line. The lines are drawn by Chromium, as screenshots of web pages are."""

from __future__ import annotations

from replicator.backends.local.model import TextLine
from replicator.backends.local.page import analyze
from replicator.models import Viewport
from replicator.render import SealedBrowserPool

PAGE = """<body style="margin:40px;font:15px 'DejaVu Sans';background:#fff">{}</body>"""


async def _lines(pool: SealedBrowserPool, body: str) -> list[TextLine]:
    render = await pool.render(PAGE.format(body), Viewport(900, 200))
    analysis = analyze(render.png)
    return sorted((line for block in analysis.blocks for line in block.lines), key=lambda ln: ln.ink.x)


async def test_a_bold_subject_and_a_regular_gray_snippet_get_their_own_weights(
    browser_pool: SealedBrowserPool,
) -> None:
    lines = await _lines(
        browser_pool,
        '<b style="color:#202124">Quarterly planning notes</b> '
        '<span style="color:#5f6368">- Attached are the notes from the meeting</span>',
    )
    assert [line.text for line in lines] == [
        "Quarterly planning notes",
        "- Attached are the notes from the meeting",
    ]
    assert [line.fit.bold for line in lines] == [True, False]
    assert all(line.fit.face is not None and line.fit.face.family == "DejaVu Sans" for line in lines)


async def test_a_sentence_ending_in_a_colored_link_stays_one_line(browser_pool: SealedBrowserPool) -> None:
    (line,) = await _lines(
        browser_pool,
        '<span style="color:#4b5563">Already have an account?</span> <a style="color:#2563eb">Sign in</a>',
    )
    assert line.text == "Already have an account? Sign in"
    assert [text for text, _color in line.runs][-1] == "Sign in"
