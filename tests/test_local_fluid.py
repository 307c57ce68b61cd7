"""Layout code a person would keep: a centred container is centred by its margins up to its
measured width, columns share a row by flex with a gap, and the replica of a 1280 px screenshot
still fits a 1024 px window without scrolling sideways."""

from __future__ import annotations

import re

from replicator.backends.local.page import build_page
from replicator.models import Viewport
from replicator.render import SealedBrowserPool

CENTRED = """<!doctype html><html><head><style>
*{box-sizing:border-box}
body{margin:0;background:#eef2f7;font:15px 'DejaVu Sans',sans-serif;color:#1f2937}
.top{background:#1e293b;color:#fff;height:56px;display:flex;align-items:center;padding:0 24px;font-weight:bold}
.wrap{width:960px;margin:40px auto;background:#fff;border:1px solid #dbe2ea;border-radius:8px;padding:28px}
h1{font-size:26px;margin:0 0 10px}
p{margin:0 0 24px;color:#4b5563}
.cols{display:flex;gap:24px}
.col{flex:1;background:#f8fafc;border:1px solid #e2e8f0;border-radius:6px;padding:18px;height:120px}
.col b{display:block;margin-bottom:8px}
</style></head><body>
<div class="top">Northwind Console</div>
<div class="wrap"><h1>Quarterly report</h1>
<p>Revenue grew in every region this quarter; the details are in the three summaries below.</p>
<div class="cols"><div class="col"><b>Europe</b>Up 12 percent</div><div class="col"><b>Americas</b>Up 9 percent</div>
<div class="col"><b>Asia Pacific</b>Up 15 percent</div></div></div>
</body></html>"""


async def test_a_centred_container_uses_auto_margins_and_fits_a_narrower_window(
    browser_pool: SealedBrowserPool,
) -> None:
    shot = await browser_pool.render(CENTRED, Viewport(1280, 520))
    replica = build_page(shot.png)
    # The 960 px card: auto margins and a max-width, no padding hundreds of pixels wide.
    card = re.search(r'class="[^"]*\bw-full mx-auto (max-w-\d+)[^"]*"', replica)
    assert card is not None, replica[-3000:]
    assert abs(int(card.group(1).split("-")[-1]) - 960) <= 4
    assert ".mx-auto{margin-left:auto;margin-right:auto}" in replica
    assert not [n for n in re.findall(r"\b(?:pl|pr|ml|mr)-(\d+)\b", replica) if int(n) > 200]
    # The three summaries share their row through flex with a gap.
    assert re.search(r'class="row[^"]*\bgap-2[34]\b', replica)
    narrow = await browser_pool.render(replica, Viewport(1024, 700))
    boxes = [b.box for b in narrow.element_boxes] + [b.box for b in narrow.text_boxes]
    assert boxes and max(b.right for b in boxes) <= 1024.5, max(b.right for b in boxes)
    # At the screenshot's own width the replica still lays out as the source does.
    render = await browser_pool.render(replica, Viewport(1280, 520))
    title = next(b for b in render.text_boxes if b.text.strip() == "Quarterly report")
    assert abs(title.box.x - (160 + 1 + 28)) <= 4
