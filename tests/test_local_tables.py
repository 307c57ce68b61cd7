"""Tables from screenshots: a data table drawn by Chromium becomes a real <table> (header row, cells,
the right number of rows, thin light borders), next to its search field, page-size select and
pagination; aligned text with nothing drawn between stays text."""

from __future__ import annotations

import re

import html5lib

from replicator.backends.local.page import build_page
from replicator.models import Viewport
from replicator.render import SealedBrowserPool

ROWS = [
    ("Airi Satou", "Accountant", "Tokyo", "33", "$162,700"),
    ("Angelica Ramos", "Chief Executive Officer", "London", "47", "$1,200,000"),
    ("Ashton Cox", "Technical Author", "San Francisco", "66", "$86,000"),
    ("Bradley Greer", "Software Engineer", "London", "41", "$132,000"),
    ("Brenden Wagner", "Software Engineer", "San Francisco", "28", "$206,850"),
]
CARET = (
    "url(\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Cpath "
    "fill='none' stroke='%23343a40' stroke-width='2' d='m2 5 6 6 6-6'/%3E%3C/svg%3E\") no-repeat right 8px center/10px"
)
DATA_TABLE = f"""<!doctype html><html><head><style>
*{{box-sizing:border-box}}
body{{margin:0;padding:32px;background:#fff;font:14px 'DejaVu Sans',sans-serif;color:#212529}}
.bar{{display:flex;justify-content:space-between;align-items:center;margin-bottom:12px;width:900px}}
.bar label{{display:flex;align-items:center;gap:6px}}
select,input{{height:30px;border:1px solid #ced4da;border-radius:4px;background:#fff;font:14px 'DejaVu Sans';
  color:#212529;padding:0 8px}}
select{{appearance:none;width:64px;background:#fff {CARET}}}
input{{width:180px}}
table{{border-collapse:collapse;width:900px}}
th,td{{text-align:left;padding:10px 12px;border-bottom:1px solid #dee2e6}}
th{{font-weight:bold;border-bottom:2px solid #adb5bd}}
tbody tr:nth-child(odd){{background:#f2f2f2}}
.pager{{display:flex;justify-content:flex-end;margin-top:14px;width:900px}}
.pager a{{display:block;padding:7px 12px;border:1px solid #dee2e6;margin-left:-1px;color:#0d6efd;text-decoration:none}}
.pager a.on{{background:#0d6efd;border-color:#0d6efd;color:#fff}}
</style></head><body>
<div class="bar"><label>Show <select><option>10</option></select> entries</label>
<label>Search: <input type="search"></label></div>
<table><thead><tr><th>Name</th><th>Position</th><th>Office</th><th>Age</th><th>Salary</th></tr></thead><tbody>
{"".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in ROWS)}
</tbody></table>
<div class="pager"><a>Previous</a><a class="on">1</a><a>2</a><a>3</a><a>Next</a></div>
</body></html>"""

FOOTER = """<!doctype html><html><head><style>
body{margin:0;padding:40px;font:14px 'DejaVu Sans',sans-serif;color:#4b5563;background:#fff}
.cols{display:grid;grid-template-columns:repeat(4,200px);row-gap:14px}
</style></head><body><div class="cols">
<span>Product</span><span>Company</span><span>Resources</span><span>Legal</span>
<span>Features</span><span>About us</span><span>Guides</span><span>Privacy</span>
<span>Pricing</span><span>Careers</span><span>Blog</span><span>Terms</span>
<span>Changelog</span><span>Press</span><span>Support</span><span>Cookies</span>
</div></body></html>"""


async def test_a_data_table_becomes_a_table_with_its_header_and_rows(browser_pool: SealedBrowserPool) -> None:
    shot = await browser_pool.render(DATA_TABLE, Viewport(980, 520))
    replica = build_page(shot.png)
    document = html5lib.parse(replica, namespaceHTMLElements=False)
    (table,) = list(document.iter("table"))
    rows = list(table.iter("tr"))
    assert len(rows) == 6
    # (Case is OCR's business, tested elsewhere: "Office" may read "office".)
    assert [" ".join((th.text or "").split()).lower() for th in rows[0].iter("th")] == [
        "name",
        "position",
        "office",
        "age",
        "salary",
    ]
    assert [len(list(r.iter("td"))) for r in rows[1:]] == [5] * 5
    cells = [" ".join((td.text or "").split()) for td in rows[1].iter("td")]
    assert cells[0] == "Airi Satou" and cells[3] == "33"
    # The dividers are the thin light lines drawn, not the browser's default borders.
    borders = re.findall(r"border-bottom:(\d+)px solid #([0-9a-f]{6})", replica)
    assert borders and all(int(w) <= 2 and int(c[:2], 16) >= 0xA0 for w, c in borders), borders
    assert len(list(document.iter("select"))) == 1
    assert any(e.get("type") == "search" for e in document.iter("input"))
    pages = [" ".join((e.text or "").split()) for e in document.iter() if e.tag in ("a", "button")]
    assert {"1", "2", "3"} <= set(pages), pages


async def test_aligned_link_columns_with_nothing_drawn_between_stay_text(
    browser_pool: SealedBrowserPool,
) -> None:
    shot = await browser_pool.render(FOOTER, Viewport(980, 260))
    document = html5lib.parse(build_page(shot.png), namespaceHTMLElements=False)
    assert not list(document.iter("table"))


PLANS = """<!doctype html><html><head><style>
body{margin:0;padding:32px;background:#fff;font:15px 'DejaVu Sans',sans-serif;color:#212529}
table{border-collapse:collapse;width:860px}
th,td{padding:12px 16px;border-bottom:1px solid #dee2e6;text-align:center}
th:first-child,td:first-child{text-align:left}
th{font-weight:bold}
</style></head><body><table>
<tr><th>Feature</th><th>Starter</th><th>Pro</th><th>Publisher</th></tr>
<tr><td>Subscribers</td><td>500</td><td>10,000</td><td>Unlimited</td></tr>
<tr><td>Custom domain</td><td>No</td><td>Yes</td><td>Yes</td></tr>
<tr><td>Paid subscriptions</td><td>No</td><td>Yes</td><td>Yes</td></tr>
<tr><td>Support</td><td>Community</td><td>Email</td><td>Dedicated</td></tr>
</table></body></html>"""


async def test_centred_plan_columns_stand_where_the_source_centres_them(
    browser_pool: SealedBrowserPool,
) -> None:
    """Columns sized by their content (auto layout), centred: the replica's columns are placed
    so each value's centre is where the source has it, not 8-30 px off."""
    shot = await browser_pool.render(PLANS, Viewport(940, 320))
    page = build_page(shot.png)
    assert len(list(html5lib.parse(page, namespaceHTMLElements=False).iter("table"))) == 1
    replica = await browser_pool.render(page, Viewport(940, 320))

    def centres(result: object) -> dict[str, float]:
        found = {}
        for t in result.text_boxes:  # type: ignore[attr-defined]
            found.setdefault(" ".join(t.text.split()), t.box.x + t.box.width / 2)
        return found

    source, copy = centres(shot), centres(replica)
    for text in ("Starter", "10,000", "Unlimited", "Community", "Dedicated"):
        assert text in copy, sorted(copy)
        assert abs(copy[text] - source[text]) <= 3, (text, source[text], copy[text])


ISSUE_LIST = """<!doctype html><html><head><style>
*{box-sizing:border-box}
body{margin:0;padding:40px;background:#fff;font:14px 'DejaVu Sans',sans-serif;color:#1f2328}
.box{width:760px;border:1px solid #d0d7de;border-radius:6px}
.head{display:flex;align-items:center;height:48px;padding:0 16px;background:#f6f8fa;border-bottom:1px solid #d0d7de}
.head .tools{margin-left:auto;display:flex;gap:24px;color:#59636e}
.row{display:flex;align-items:center;height:60px;padding:0 16px;border-top:1px solid #d0d7de}
.row:first-of-type{border-top:0}
.row span{margin-left:auto;color:#59636e}
</style></head><body><div class="box">
<div class="head"><b>12 Open</b><span style="margin-left:16px;color:#59636e">40 Closed</span>
<div class="tools"><span>Author</span><span>Label</span><span>Newest</span></div></div>
<div class="rows">
<div class="row"><b>Fix the login redirect loop</b><span>3</span></div>
<div class="row"><b>Cache the avatar thumbnails</b><span>12</span></div>
<div class="row"><b>Retry uploads after a timeout</b><span>7</span></div>
<div class="row"><b>Show the build status in the header</b><span>21</span></div>
</div></div></body></html>"""


async def test_a_framed_list_keeps_its_frame_and_its_header_tools_at_the_far_end(
    browser_pool: SealedBrowserPool,
) -> None:
    # A GitHub-style issue list: an outlined box, a grey header with "12 Open 40 Closed" on the
    # left and its tools pushed right, rows parted by dividers. As a table, only the rows' fills
    # and dividers were drawn: the box's left and right sides were lost. And the header's first
    # cell was an inline box as wide as its words, so the tools pushed to its far end stood glued
    # to "40 Closed".
    viewport = Viewport(900, 420)
    shot = await browser_pool.render(ISSUE_LIST, viewport)
    replica = build_page(shot.png)
    assert "<table" in replica
    async with browser_pool.open(replica, viewport) as live:
        table = await live.page.evaluate(
            "() => { const t = document.querySelector('table'), s = getComputedStyle(t),"
            " r = t.getBoundingClientRect();"
            " return [s.borderLeftWidth, s.borderRightWidth, s.borderLeftColor, r.left, r.right]; }"
        )
        # Where the header's words end and where its tools begin.
        words = await live.page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('th > *, th > * > *')]"
            ".filter(e => /Closed$|^Author$/.test(e.textContent.trim()))"
            ".map(e => [e.textContent.trim().endsWith('Closed') ? 'Closed' : 'Author',"
            " e.getBoundingClientRect().toJSON()]))"
        )
    left, right, color, x0, x1 = table
    assert left == right == "1px" and color == "rgb(208, 215, 222)", table
    assert abs(x0 - 40) <= 2 and abs(x1 - 800) <= 2, table
    assert words["Author"]["left"] - words["Closed"]["right"] >= 150, words
