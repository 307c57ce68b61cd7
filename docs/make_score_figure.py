"""The picture in docs/scoring.md: a real-framework page against a copy with three regressions.

Renders fixtures/realpages/pages/bs_dashboard.html (Bootstrap, Bootstrap Icons, Chart.js, Inter) as
the design and again with its donut chart hidden, one stat-card icon hidden and a one-letter typo
in its heading, scores the copy against the design as a design check does, and writes
docs/images/score-example.png: the design, the copy and the heatmap side by side, each shrunk to a
third, over the list of differences with the points each costs.

    .venv/bin/python docs/make_score_figure.py
"""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.realpages.make import page_viewport, with_tailwind  # noqa: E402
from replicator.config import Settings  # noqa: E402
from replicator.models import RenderResult, Viewport  # noqa: E402
from replicator.ocr import OcrEngine  # noqa: E402
from replicator.render import SealedBrowserPool  # noqa: E402
from replicator.score import analyze_reference, score_against_source  # noqa: E402

PAGE = ROOT / "fixtures" / "realpages" / "pages" / "bs_dashboard.html"
OUT = ROOT / "docs" / "images" / "score-example.png"
REGRESS = """() => {
  const big = [...document.querySelectorAll('canvas')].sort((a, b) => b.width * b.height - a.width * a.height);
  big[big.length - 1].style.visibility = 'hidden';
  const icon = document.querySelector('main i.bi, main i[class*="bi-"]');
  if (icon) icon.style.visibility = 'hidden';
  const h = document.querySelector('h1, h2');
  const walker = document.createTreeWalker(h, NodeFilter.SHOW_TEXT);
  const node = walker.nextNode();
  node.data = node.data.replace('morning', 'mornnig');
}"""


async def _render(pool: SealedBrowserPool, html: str, viewport: Viewport, js: str = "") -> RenderResult:
    async with pool.open(html, viewport, base_dir=ROOT) as live:
        await live.settle(quiet_ms=300, max_ms=5000)
        if js:
            await live.page.evaluate(js)
            await live.settle(quiet_ms=200, max_ms=3000)
        return await live.capture()


async def main() -> None:
    html = with_tailwind(PAGE.read_text(encoding="utf-8"))
    viewport = Viewport(*page_viewport(html))
    settings = Settings(_env_file=None, render_max_height=1600)  # type: ignore[call-arg]
    async with SealedBrowserPool(settings) as pool:
        design = await _render(pool, html, viewport)
        copy = await _render(pool, html, viewport, REGRESS)
    reference = analyze_reference(design.png, ocr=OcrEngine.shared())
    score = score_against_source(reference, copy)
    panels = [Image.open(io.BytesIO(png)).convert("RGB") for png in (design.png, copy.png, score.heatmap_png)]
    third = [p.resize((p.width // 3, p.height // 3), Image.Resampling.LANCZOS) for p in panels]
    lines = [f"overall {score.overall:.1f}  (" + ", ".join(f"{k} {v:.1f}" for k, v in score.breakdown().items() if k != "overall") + ")"]
    lines += [f"{d.weight:5.1f}  {d.kind:12s} {d.message}" for d in score.discrepancies[:6]]
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 13)
    gap, text_h = 12, 22 * len(lines) + 40
    width = sum(p.width for p in third) + gap * 4
    height = max(p.height for p in third) + text_h + gap * 2 + 20
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    x = gap
    for panel, title in zip(third, ("design", "implementation (3 regressions)", "heatmap"), strict=True):
        draw.text((x, gap), title, fill="#111827", font=font)
        canvas.paste(panel, (x, gap + 20))
        x += panel.width + gap
    y = gap + 20 + max(p.height for p in third) + gap
    for line in lines:
        draw.text((gap, y), line, fill="#111827", font=font)
        y += 22
    OUT.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(OUT, optimize=True)
    print(f"{OUT.relative_to(ROOT)}: overall {score.overall:.1f}")
    for d in score.discrepancies:
        print(f"  {d.weight:5.2f} {d.kind} {d.message}")


if __name__ == "__main__":
    asyncio.run(main())
