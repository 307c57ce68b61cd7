"""Chinese text in the local backend: the spaces the recognizer never reads (between Han and digits,
between words set apart), and a sans face unless the ink clearly shows a serif one."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from replicator.backends.local.fonts import FONTS
from replicator.backends.local.text import read_lines
from replicator.models import Box
from replicator.ocr import OcrLine

FACES = {f.family: f for f in FONTS.faces}
pytestmark = pytest.mark.skipif(
    not {"Noto Sans CJK SC", "Noto Serif CJK SC"} <= FACES.keys(),
    reason="fonts-noto-cjk is installed by `make setup`",
)


def read_cjk(family: str, size: int, drawn: str, ocr_text: str, *, outlined: bool = False) -> tuple[str, str]:
    """Draw ``drawn`` in a CJK face (a .ttc: its Simplified Chinese member), optionally inside a
    tag's 1 px outline, and read it back as if OCR had returned ``ocr_text`` for its box (the
    outline inside it, as OCR's boxes around tags have it). Returns the text and the fitted family."""
    face = FACES[family]
    font = ImageFont.truetype(str(face.regular), size, index=face.index)
    image = Image.new("RGB", (40 + int(font.getlength(drawn)) + 40, 3 * size), "white")
    draw = ImageDraw.Draw(image)
    draw.text((40, size), drawn, font=font, fill=(220, 38, 38))
    left, top, right, bottom = draw.textbbox((40, size), drawn, font=font)
    if outlined:
        draw.rectangle((left - 4, top - 3, right + 4, bottom + 3), outline=(220, 38, 38))
    box = Box(left - 5, top - 4, right - left + 10, bottom - top + 8)
    (line,) = read_lines(np.asarray(image), [OcrLine(ocr_text, box, 0.95)])
    assert line.fit is not None and line.fit.face is not None
    return line.text, line.fit.face.family


@pytest.mark.parametrize(
    "drawn",
    [
        "全场满 300 减 50",
        "人体工学椅限时直降 200 元",
        "北欧落地灯 客厅卧室氛围灯",
        "春季焕新 蓝牙耳机 人体工学椅",
    ],
)
def test_spaces_ocr_dropped_in_chinese_text_come_back(drawn: str) -> None:
    # The Chinese recognizer reads no spaces at all, between Han and digits or between words.
    text, family = read_cjk("Noto Sans CJK SC", 16, drawn, drawn.replace(" ", ""))
    assert text == drawn and family == "Noto Sans CJK SC"


def test_chinese_text_set_solid_gets_no_spaces() -> None:
    drawn = "精选家居数码好物叠加会员券更优惠"
    assert read_cjk("Noto Sans CJK SC", 16, drawn, drawn)[0] == drawn


@pytest.mark.parametrize("drawn", ["第二件半价", "包邮", "满300减50", "春节后物流已全面恢复"])
def test_a_sans_tag_whose_outline_spoils_the_fit_stays_sans(drawn: str) -> None:
    # The outline inside the ink fits no face; the serif face's thin strokes used to win by chance.
    assert read_cjk("Noto Sans CJK SC", 12, drawn, drawn, outlined=True)[1] == "Noto Sans CJK SC"


@pytest.mark.parametrize("drawn", ["精选家居数码好物叠加会员券更优惠", "春节后物流已全面恢复", "第二件半价"])
def test_text_clearly_in_the_serif_face_stays_serif(drawn: str) -> None:
    assert read_cjk("Noto Serif CJK SC", 12, drawn, drawn)[1] == "Noto Serif CJK SC"


def test_a_segmented_control_read_as_one_line_is_its_segments_not_its_outline() -> None:
    # OCR reads "本周 | 本月 | 全年" in one outlined group as one line, outline and dividers inside its
    # box: the outline is no ink of the text (it was measured as 24 px tall text set at 25 px).
    face = FACES["Noto Sans CJK SC"]
    font = ImageFont.truetype(str(face.regular), 13, index=face.index)
    image = Image.new("RGB", (260, 60), "white")
    draw = ImageDraw.Draw(image)
    words, x, edges = ["本周", "本月", "全年"], 20, [20]
    for word in words:
        draw.text((x + 12, 22), word, font=font, fill=(13, 110, 253))
        x += 12 + int(font.getlength(word)) + 12
        edges.append(x)
    draw.rounded_rectangle((edges[0], 16, edges[-1], 41), radius=4, outline=(13, 110, 253))
    for edge in edges[1:-1]:
        draw.line((edge, 16, edge, 41), fill=(13, 110, 253))
    lines = read_lines(np.asarray(image), [OcrLine("本周本月全年", Box(24, 13, edges[-1] - 20, 31), 0.95)])
    assert [line.text for line in lines] == words
    assert all(11 <= line.ink.height <= 14 and 12 <= line.fit.size <= 15 for line in lines), [
        (line.ink, line.fit.size) for line in lines
    ]


def test_spaces_around_digits_in_chinese_text_are_not_taken_for_tracking() -> None:
    # The page's fit spread the two spaces around "6" over the line's five gaps as 1.2 px of
    # letter-spacing (cn_dashboard); measured against that, neither gap was wide enough.
    from replicator.backends.local.fonts import FontFit
    from replicator.backends.local.spacing import respace

    drawn = "解放路 6 号店"
    face = FACES["Noto Sans CJK SC"]
    font = ImageFont.truetype(str(face.regular), 14, index=face.index)
    image = Image.new("L", (40 + int(font.getlength(drawn)) + 40, 42), 0)
    ImageDraw.Draw(image).text((40, 14), drawn, font=font, fill=255)
    columns = np.flatnonzero((np.asarray(image) > 60).any(axis=0))
    filled = (np.asarray(image) > 60).any(axis=0)[columns[0] : columns[-1] + 1]
    solid = drawn.replace(" ", "")
    fit = FontFit(face, 400, 14.0, 1.2, FONTS.measure(solid, face, 400), 0.23)
    assert respace(solid, filled, fit)[0] == drawn


@pytest.mark.parametrize("ocr_text", ["家居家装", "口家居家装"])
def test_an_icon_ahead_of_chinese_text_is_not_read_into_it(ocr_text: str) -> None:
    # A category row: an orange house icon 6 px before its grey label. OCR boxes both and either
    # leaves the icon out or reads it as "口"; ideographs stand closer than Latin words, so the
    # icon's gap is narrower than the Latin test for an end cluster asks for.
    face = FACES["Noto Sans CJK SC"]
    font = ImageFont.truetype(str(face.regular), 14, index=face.index)
    image = Image.new("RGB", (200, 48), "white")
    draw = ImageDraw.Draw(image)
    draw.polygon([(20, 24), (27, 17), (34, 24)], fill=(249, 115, 22))
    draw.rectangle((22, 24, 32, 31), fill=(249, 115, 22))
    draw.text((40, 17), "家居家装", font=font, fill=(55, 65, 81))
    _left, top, right, bottom = draw.textbbox((40, 17), "家居家装", font=font)
    box = Box(16, min(top, 17) - 3, right + 4 - 16, bottom - min(top, 17) + 6)
    (line,) = read_lines(np.asarray(image), [OcrLine(ocr_text, box, 0.95)])
    assert line.text == "家居家装"
    assert line.ink.x >= 36  # the icon's ink is no part of the line


def test_a_percent_sign_before_an_icon_stays_with_its_number() -> None:
    """cn_dashboard's "日同比 11% ▼": OCR read the "%" and not the green triangle after it, and
    the triangle (an icon) took the "%" with it as the sign OCR had read for it."""
    from pathlib import Path

    from replicator.backends.local.page import analyze

    reference = Path(__file__).resolve().parent.parent / "fixtures/realpages/references/cn_dashboard.png"
    analysis = analyze(reference.read_bytes())
    texts = [ln.text for block in analysis.blocks for ln in block.lines]
    assert "日同比 11%" in texts, texts
