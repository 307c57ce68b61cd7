"""The OCR engine's speed-ups change nothing it reads: recognition lanes and float32 detector input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from replicator.ocr import OcrEngine, _cut_at_bottom

REFERENCES = Path(__file__).resolve().parent.parent / "fixtures" / "references"


@pytest.fixture(scope="module")
def engines() -> tuple[OcrEngine, OcrEngine]:
    one, two = OcrEngine(threads=1), OcrEngine(threads=2)
    assert len(one._recognizers) == 1
    assert len(two._recognizers) == 2
    return one, two


@pytest.mark.parametrize("page", ["dashboard", "chinese"])
def test_two_recognition_lanes_read_what_one_reads(engines: tuple[OcrEngine, OcrEngine], page: str) -> None:
    one, two = engines
    png = (REFERENCES / f"{page}.png").read_bytes()
    single, shared = one.read(png), two.read(png)
    assert len(single) >= 10
    assert [(line.text, line.box) for line in shared] == [(line.text, line.box) for line in single]


def test_batched_second_looks_agree_across_lanes(engines: tuple[OcrEngine, OcrEngine]) -> None:
    one, two = engines
    rgb = np.asarray(Image.open(REFERENCES / "dashboard.png").convert("RGB"))
    lines = one.read(rgb)
    crops = [
        rgb[int(ln.box.y) : int(ln.box.bottom) + 1, int(ln.box.x) : int(ln.box.right) + 1] for ln in lines
    ]
    # Many crops of many shapes: every lane gets whole batches, padded as on one lane.
    assert len(crops) > 16
    single = one.recognize(crops, batch=True)
    shared = two.recognize(crops, batch=True)
    assert [text for text, _ in shared] == [text for text, _ in single]
    assert np.allclose([c for _, c in shared], [c for _, c in single], atol=1e-4)
    assert sum(text == line.text for (text, _), line in zip(shared, lines, strict=True)) >= 0.8 * len(lines)


def test_detector_input_matches_rapidocr_own_to_float32_precision(
    engines: tuple[OcrEngine, OcrEngine],
) -> None:
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

    detector = engines[0]._engine.text_det
    bgr = np.ascontiguousarray(
        np.asarray(Image.open(REFERENCES / "dashboard.png").convert("RGB"))[:, :, ::-1]
    )
    ours = detector.get_preprocess(max(bgr.shape[:2]))
    assert type(ours) is not DetPreProcess  # the float32 path is in place
    theirs = DetPreProcess(ours.limit_side_len, ours.limit_type, ours.mean, ours.std)(bgr)
    mine = ours(bgr)
    assert mine.dtype == np.float32 and mine.shape == theirs.shape
    assert float(np.abs(mine - theirs).max()) < 1e-5


def test_a_batched_second_look_leaves_later_reads_as_they_were(engines: tuple[OcrEngine, OcrEngine]) -> None:
    # dashboard (1280x900) is small enough for RapidOCR's own pipeline, which recognizes with the
    # recognizer's batch size: a batched look in between must not change how the page reads.
    _one, two = engines
    png = (REFERENCES / "dashboard.png").read_bytes()
    two.forget()
    before = [(line.text, line.box, line.confidence) for line in two.read(png)]
    rgb = np.asarray(Image.open(REFERENCES / "login.png").convert("RGB"))
    two.recognize([rgb[20 * i : 20 * i + 30, :400] for i in range(12)], batch=True)
    two.forget()
    assert [(line.text, line.box, line.confidence) for line in two.read(png)] == before


REAL_PAGES = REFERENCES.parent / "realpages"


@pytest.mark.parametrize(
    ("page", "line"),
    [
        ("adminlte_dashboard", "Containers handled per month"),
        ("bs_dashboard", "Revenue over time"),
        ("status_page", "Delayed webhook deliveries in us-east"),
        ("tw_kanban", "Write copy for the trust badges"),
        ("bulma_product", "Built for long days on loose ground."),
    ],
)
def test_small_web_text_is_read_with_its_word_spaces(
    engines: tuple[OcrEngine, OcrEngine], page: str, line: str
) -> None:
    """13-16 px lines of the real-framework pages, cut where the page's DOM says they are: the
    recognizer's bilinear upscaling to 48 px ran "copy for" and "for long" together; bicubic reads
    every space (in both lane set-ups)."""
    truth = json.loads((REAL_PAGES / "truth" / f"{page}.json").read_text())
    (x, y, w, h) = next(t["box"] for t in truth["lines"] if t["text"] == line)
    image = Image.open(REAL_PAGES / "references" / f"{page}.png").convert("RGB")
    crop = np.asarray(image.crop((int(x) - 3, int(y) - 2, int(x + w) + 3, int(y + h) + 2)))
    for engine in engines:
        ((text, _confidence),) = engine.recognize([crop])
        assert text == line


def test_a_line_the_bottom_edge_cuts_is_read_whole(engines: tuple[OcrEngine, OcrEngine]) -> None:
    # blog_article's screenshot ends 19 px into its last line's 23: the detector found only its
    # last three words ("wasnotfne"), and the rest of the line became a picture.
    one, _two = engines
    page = REFERENCES.parent / "realpages" / "references" / "blog_article.png"
    rgb = np.asarray(Image.open(page).convert("RGB"))
    lines = one.read(rgb)
    last = max(lines, key=lambda line: line.box.bottom)
    words = last.text.split()
    assert words[:2] == ["that", "survived"] and words[-3:] == ["was", "not", "the"], last.text
    assert last.box.bottom <= rgb.shape[0] and last.box.x < 310
    assert not any("wasnot" in line.text for line in lines)
    # Cut between two lines, the page has nothing running off its edge: no second reading.
    assert _cut_at_bottom(rgb) and not _cut_at_bottom(rgb[: int(last.box.y) - 2])


def test_a_page_read_at_its_own_size_reads_as_rapidocr_own_pipeline(
    engines: tuple[OcrEngine, OcrEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 1440x900 page is detected at its own size (shrunk, the detector would enlarge it again);
    # its lines are recognized in both lanes instead of on RapidOCR's one thread, and come out as
    # RapidOCR's own pipeline reads them.
    _one, two = engines
    page = REFERENCES.parent / "realpages" / "references" / "mail_inbox.png"
    bgr = np.ascontiguousarray(np.asarray(Image.open(page).convert("RGB"))[:, :, ::-1])
    assert bgr.shape[:2] == (900, 1440)
    own, _elapsed = two._engine(bgr, use_cls=False)
    assert two._helpers is not None
    submitted: list[object] = []
    submit = two._helpers.submit

    def counted(*args: Any, **kwargs: Any) -> Any:
        submitted.append(args)
        return submit(*args, **kwargs)

    monkeypatch.setattr(two._helpers, "submit", counted)
    with two._lock:
        ours = two._detect_and_recognize(bgr)
    ours = [line for line in ours if line[2] >= 0.5]  # RapidOCR's own threshold
    assert len(own) >= 30
    assert [text for _quad, text, _c in ours] == [text for _quad, text, _c in own]
    assert np.allclose([quad for quad, _t, _c in ours], [quad for quad, _t, _c in own], atol=0.01)
    assert submitted  # the second lane recognized a share of the lines
