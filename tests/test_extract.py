"""extract: every answer style GLM-4.5V writes becomes one full document (fixtures/answers/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import html5lib
import pytest

from replicator.errors import ExtractionError
from replicator.extract import extract_html
from tests.golden import check_golden_json

ANSWERS = Path(__file__).resolve().parent.parent / "fixtures" / "answers"
EXPECTED = ANSWERS / "expected"
# Answers the model ended with finish_reason=length; every other fixture ended with "stop".
CUT_OFF = {"truncated", "truncated_mid_tag", "thinking_only_cut"}


def answer(name: str) -> str:
    return (ANSWERS / f"{name}.txt").read_text(encoding="utf-8")


def finish_reason(name: str) -> str:
    return "length" if name in CUT_OFF else "stop"


def body_text(html: str) -> str:
    doc = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    body = doc.find("body")
    assert body is not None
    return " ".join(" ".join(part.strip() for part in body.itertext() if part.strip()).split())


def outcome(name: str) -> dict[str, Any]:
    try:
        result = extract_html(answer(name), finish_reason=finish_reason(name))
    except ExtractionError as exc:
        return {"error": exc.code, "message": exc.message}
    return {"html": result.html, "truncated": result.truncated, "notes": list(result.notes)}


@pytest.mark.parametrize("name", sorted(p.stem for p in ANSWERS.glob("*.txt")))
def test_answer_fixture_matches_its_golden_extraction(name: str) -> None:
    check_golden_json(EXPECTED / f"{name}.json", outcome(name))


def test_box_markers_are_stripped_and_fence_inside_is_unwrapped() -> None:
    result = extract_html(answer("box_fenced"))
    assert "<|" not in result.html and "```" not in result.html
    assert result.html.startswith("<!DOCTYPE html>")
    assert "Welcome back" in body_text(result.html)
    assert any("begin_of_box" in note for note in result.notes)


def test_raw_html_inside_box_markers_is_taken_whole() -> None:
    result = extract_html(answer("box_raw"))
    assert result.html.rstrip().endswith("</html>")
    assert "$29 / month" in body_text(result.html)


def test_grounding_box_without_markup_does_not_hide_the_html_answer() -> None:
    text = "The logo is at <|begin_of_box|>[[12,30,140,80]]<|end_of_box|>.\n<div><p>Logo</p><p>Menu</p></div>"
    result = extract_html(text)
    assert "<|" not in result.html and "[[12,30" not in result.html
    assert body_text(result.html) == "Logo Menu"


def test_html_fence_drops_the_prose_before_and_after() -> None:
    result = extract_html(answer("html_fence"))
    assert "Here is the HTML" not in result.html
    assert "centered flex layout" not in result.html
    assert "Sign in" in body_text(result.html)


def test_separate_css_and_js_fences_are_merged_into_the_document() -> None:
    result = extract_html(answer("several_fences"))
    doc = html5lib.parse(result.html, treebuilder="etree", namespaceHTMLElements=False)
    head_styles = [s.text or "" for s in doc.findall("head/style")]
    assert any(".tab.active" in s for s in head_styles)
    # The model's link to its own styles.css and script tag for script.js are replaced in place.
    assert 'href="styles.css"' not in result.html and 'src="script.js"' not in result.html
    scripts = doc.findall("body/script")
    assert scripts and "addEventListener" in (scripts[-1].text or "")
    assert "Open index.html" not in result.html


def test_css_block_goes_into_head_when_there_is_no_stylesheet_link() -> None:
    result = extract_html(answer("multiple_html_blocks"))
    doc = html5lib.parse(result.html, treebuilder="etree", namespaceHTMLElements=False)
    assert ".navbar" in (doc.find("head/style").text or "")  # type: ignore[union-attr]
    assert body_text(result.html) == "Brand Home Docs Fast and simple Everything you need."


def test_answer_without_fence_is_taken_as_is() -> None:
    text = answer("no_fence")
    result = extract_html(text)
    assert result.html == text.strip() + "\n"
    assert result.notes == ()


def test_prose_around_an_unfenced_document_is_dropped() -> None:
    result = extract_html(answer("prose_around"))
    assert result.html.startswith("<!DOCTYPE html>")
    assert result.html.rstrip().endswith("</html>")
    assert "Based on the screenshot" not in result.html and "navy background" not in result.html


def test_leading_think_block_is_removed_even_when_it_mentions_tags() -> None:
    result = extract_html(answer("think_block"))
    assert "<think>" not in result.html and "I should use a flex row" not in result.html
    assert body_text(result.html).startswith("Logo")


def test_reasoning_without_opening_think_tag_is_removed() -> None:
    # Self-hosted chat templates open <think> in the prompt, so only the closing tag arrives.
    result = extract_html("The page has a <div> header.</think>\n<div><h1>Hi</h1><p>there</p></div>")
    assert body_text(result.html) == "Hi there"


def test_escaped_answer_is_unescaped_but_escapes_inside_js_strings_survive() -> None:
    result = extract_html(answer("escaped"))
    assert '<div class="count" id="n">0</div>' in result.html
    assert "\\n<" not in result.html and '\\"' not in result.html
    # The model's own JS string `"line one\nline two"` keeps its backslash escape.
    assert 'console.log("line one\\nline two");' in result.html


def test_answer_given_as_a_json_string_is_decoded() -> None:
    result = extract_html(answer("escaped_json_string"))
    assert "Saved \u2713" in result.html
    assert "C:\\Users\\demo" in result.html


def test_legit_backslash_n_in_a_normal_answer_is_left_alone() -> None:
    text = '<!DOCTYPE html>\n<html><body>\n<p id="x">a</p>\n<script>\nalert("1\\n2");\nx = "\\n";\n</script>\n</body></html>'
    assert extract_html(text).html == text + "\n"


def test_fragment_is_wrapped_in_a_full_document_with_charset_and_viewport() -> None:
    result = extract_html(answer("fragment"))
    doc = html5lib.parse(result.html, treebuilder="etree", namespaceHTMLElements=False)
    metas = doc.findall("head/meta")
    assert any(m.get("charset", "").lower() == "utf-8" for m in metas)
    assert any(m.get("name") == "viewport" for m in metas)
    assert result.html.startswith("<!DOCTYPE html>")
    assert doc.find("body/div") is not None
    assert "订阅我们的新闻" in body_text(result.html)
    assert '<html lang="zh-CN">' in result.html  # Chromium picks CJK glyphs by the document language


def test_document_missing_doctype_gets_one() -> None:
    result = extract_html("<html><head><title>t</title></head><body><p>x</p><p>y</p></body></html>")
    assert result.html.startswith("<!DOCTYPE html>\n<html>")


def test_answer_cut_off_by_length_is_flagged_and_kept() -> None:
    result = extract_html(answer("truncated"), finish_reason="length")
    assert result.truncated
    assert "Chair" in body_text(result.html) and "Desk" in body_text(result.html)
    assert result.html.rstrip().endswith("</html>")


def test_cut_off_mid_tag_and_mid_script_drops_the_broken_tail() -> None:
    result = extract_html(answer("truncated_mid_tag"), finish_reason="length")
    assert result.truncated
    assert "<script" not in result.html  # half a script would be a syntax error
    assert "Welcome to the docs." in body_text(result.html)


def test_unclosed_document_is_flagged_truncated_even_without_finish_reason() -> None:
    result = extract_html('<!DOCTYPE html><html><body><div class="a"><p>one</p><p>tw', finish_reason="stop")
    assert result.truncated
    assert "one" in body_text(result.html)


def test_unclosed_style_is_closed_so_the_body_survives() -> None:
    result = extract_html("<!DOCTYPE html><html><head><style>.a{color:red}.b{col", finish_reason="length")
    doc = html5lib.parse(result.html, treebuilder="etree", namespaceHTMLElements=False)
    assert ".a{color:red}" in (doc.find("head/style").text or "")  # type: ignore[union-attr]
    assert "</html>" not in (doc.find("head/style").text or "")  # type: ignore[union-attr]


def test_answer_with_no_html_raises_a_clear_error() -> None:
    with pytest.raises(ExtractionError) as info:
        extract_html(answer("no_html"))
    assert "no HTML" in info.value.message
    assert "I'm sorry" in info.value.message  # shows the user what the model said instead


def test_empty_answer_cut_off_by_length_names_the_cause() -> None:
    with pytest.raises(ExtractionError) as info:
        extract_html("", finish_reason="length")
    assert "cut off" in info.value.message


def test_thinking_cut_off_before_any_html_names_the_cause() -> None:
    with pytest.raises(ExtractionError) as info:
        extract_html(answer("thinking_only_cut"), finish_reason="length")
    assert "still thinking" in info.value.message


def test_prose_mentioning_a_single_tag_is_not_taken_for_html() -> None:
    with pytest.raises(ExtractionError):
        extract_html("You could wrap the header in a <div> to fix the layout.")


def test_extraction_is_deterministic() -> None:
    text = answer("several_fences")
    assert extract_html(text) == extract_html(text)
