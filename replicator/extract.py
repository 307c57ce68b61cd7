"""extract: the HTML document out of a model's answer.

GLM-4.5V writes its answer in several styles (see shared/GLM-4.5V.md): inside
``<|begin_of_box|>``/``<|end_of_box|>`` markers, in a ```html fence or several fences (HTML plus
separate CSS/JS), as raw HTML with prose around it, after a ``<think>`` block, sometimes with the
whole answer escaped as a string literal (``\\n``, ``\\"``), sometimes a fragment, sometimes cut
off. ``extract_html`` turns any of these into one full document and says in ``notes`` what it did.

It is text surgery, not parsing: the document is handed to ``sanitize``, which parses it like a
browser. Pure, fast and deterministic.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .errors import ExtractionError
from .models import Extraction

# GLM's special tokens (<|begin_of_box|>, <|end_of_box|>, <|endoftext|>, ...) can never start an
# HTML tag, so any that leak into the answer are removed.
_SPECIAL_TOKEN = re.compile(r"<\|[a-z_]+\|>")
_BOX = re.compile(r"<\|begin_of_box\|>(.*?)(?:<\|end_of_box\|>|\Z)", re.S)
_THINK_OPEN = re.compile(r"\A\s*<think>", re.I)
_THINK_CLOSE = re.compile(r"</think>", re.I)

_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|[nrtbf\"'\\/])")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\", "/": "/"}
_LITERAL_NEWLINE = re.compile(r"(?<!\\)\\n")
_ESCAPED_ATTR_QUOTE = re.compile(r'=\\"')
_PLAIN_ATTR_QUOTE = re.compile(r'(?<!\\)="')

_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n`]*$")
_HTML_LANGS = {"html", "htm", "xhtml", "html5", "vue", "svelte"}
_CSS_LANGS = {"css"}
_JS_LANGS = {"js", "javascript", "mjs", "ecmascript"}

# Elements a model's page plausibly starts with or contains; used to find HTML in prose and to
# decide whether an answer holds any HTML at all.
_TAGS = (
    "html|head|body|meta|link|title|style|script|div|section|header|footer|main|nav|aside|article|"
    "h[1-6]|p|span|a|ul|ol|li|img|svg|button|form|input|label|table|thead|tbody|tr|td|th|"
    "textarea|select|option|canvas|video|figure|figcaption|blockquote|pre|code|i|b|strong|em|br|hr|"
    "template|dialog|details|summary"
)
_DOC_START = re.compile(r"<!doctype\s+html|<html[\s>]", re.I)
_TAG_START = re.compile(rf"<(?:{_TAGS})[\s>/]", re.I)
_CLOSE_TAG = re.compile(rf"</(?:{_TAGS})\s*>", re.I)
_HTML_CLOSE = re.compile(r"</html\s*>", re.I)
_LOCAL_CSS_LINK = re.compile(
    r"""<link\b[^>]*\bhref\s*=\s*["']?(?!https?:|//|data:)[^"'\s>]+\.css\b[^>]*>""", re.I
)
_LOCAL_JS_SCRIPT = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?(?!https?:|//|data:)[^"'\s>]+\.m?js\b[^>]*>\s*</script\s*>""", re.I
)

_SHELL_HEAD = '<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">'


@dataclass(frozen=True)
class _Block:
    lang: str  # "html", "css", "js" or "" (not used)
    body: str
    closed: bool
    tag: str = ""  # the fence's own language tag, lowercased ("jsx", "vue", "")


def extract_html(answer: str, *, finish_reason: str | None = None) -> Extraction:
    """The HTML document in a model answer, as a full document; ExtractionError if there is none."""
    notes: list[str] = []
    length_cut = finish_reason == "length"
    text = (answer or "").replace("\r\n", "\n")

    text = _strip_thinking(text, notes, length_cut)
    text = _strip_box_markers(text, notes)
    text = _unescape_if_escaped(text, notes)

    blocks, outside = _fenced_blocks(text)
    html_blocks = [b for b in blocks if b.lang == "html"]
    css = [b.body for b in blocks if b.lang == "css" and b.body.strip()]
    js = [b.body for b in blocks if b.lang == "js" and b.body.strip()]
    unclosed_fence = bool(blocks) and not blocks[-1].closed
    if html_blocks:
        notes.append("took the HTML from a fenced code block")
        html = _choose_html(html_blocks, notes)
        if outside.strip():
            notes.append("dropped prose around the code")
    else:
        html = _locate_html(text, keep_tail=length_cut or unclosed_fence, notes=notes)
    if not _looks_like_html(html):
        raise ExtractionError(_no_html_message(answer, length_cut))

    truncated = length_cut or unclosed_fence or _is_unclosed_document(html)
    if truncated:
        html = _repair_truncated(html, notes)

    html = _as_document(html, notes)
    html = _merge_css(html, css, notes)
    html = _merge_js(html, js, notes)
    if truncated:
        notes.append(
            "the answer was cut off (finish_reason=length)" if length_cut else "the document was unclosed"
        )
    return Extraction(html=html.strip() + "\n", truncated=truncated, notes=tuple(notes))


_COMPONENT_NAME = re.compile(
    r"^(?:export\s+)?(?:function\s+([A-Z]\w*)\s*\(|(?:const|let)\s+([A-Z]\w*)\s*=)", re.M
)


def extract_component(
    answer: str, *, framework: str, fences: tuple[str, ...], finish_reason: str | None = None
) -> Extraction:
    """The component in a model answer (``framework`` "react": JSX with a default export; "vue": a
    single-file component), in ``Extraction.html``'s place; ExtractionError if there is none."""
    notes: list[str] = []
    length_cut = finish_reason == "length"
    text = (answer or "").replace("\r\n", "\n")
    text = _strip_thinking(text, notes, length_cut)
    text = _strip_box_markers(text, notes)
    blocks, outside = _fenced_blocks(text)

    def fits(body: str) -> bool:
        if framework == "vue":
            return bool(re.search(r"<template[\s>]|<script[\s>]", body))
        return "export default" in body or bool(_COMPONENT_NAME.search(body))

    chosen = [b for b in blocks if (b.tag in fences or not b.tag) and fits(b.body)]
    if chosen:
        block = max(chosen, key=lambda b: len(b.body))
        code, closed = block.body, block.closed
        notes.append("took the component from a fenced code block")
        if outside.strip() or len(blocks) > 1:
            notes.append("dropped prose and other blocks around the component")
    elif fits(text):
        code, closed = text.strip(), True
    else:
        kind = "Vue single-file component" if framework == "vue" else "React component"
        raise ExtractionError(
            f"The model's answer holds no {kind}"
            + (" (it was cut off: finish_reason=length)." if length_cut else ".")
        )
    if framework == "react" and "export default" not in code:
        names = [a or b for a, b in _COMPONENT_NAME.findall(code)]
        code = code.rstrip() + f"\n\nexport default {names[-1]};\n"
        notes.append(f"exported {names[-1]} as the default")
    truncated = length_cut or not closed
    if truncated:
        notes.append("the answer was cut off" if length_cut else "the code block was unclosed")
    return Extraction(html=code.strip() + "\n", truncated=truncated, notes=tuple(notes))


# --- answer wrappers ------------------------------------------------------------------------------


def _strip_thinking(text: str, notes: list[str], length_cut: bool) -> str:
    close = _THINK_CLOSE.search(text)
    if _THINK_OPEN.match(text) or (close and "<think>" not in text[: close.start()].lower()):
        if close:
            notes.append("removed the <think> block")
            return text[close.end() :]
        if length_cut:
            raise ExtractionError(
                "The model's answer was cut off while it was still thinking (finish_reason=length), so no "
                "HTML arrived. Raise the token limit or turn thinking off, then try again."
            )
        notes.append("removed an unclosed <think> tag")
        return _THINK_OPEN.sub("", text, count=1)
    return text


def _strip_box_markers(text: str, notes: list[str]) -> str:
    boxes = _BOX.findall(text)
    if boxes:
        # The box also marks grounding coordinates; the answer is the box that holds markup.
        with_html = [b for b in boxes if _TAG_START.search(b) or _DOC_START.search(b)]
        if with_html:
            notes.append("took the answer from inside <|begin_of_box|> markers")
            text = max(with_html, key=len)
    stripped = _SPECIAL_TOKEN.sub("", text)
    if stripped != text and not boxes:
        notes.append("removed stray special tokens")
    elif stripped != text:
        notes.append("removed box markers")
    return stripped


def _unescape_if_escaped(text: str, notes: list[str]) -> str:
    """Undo string-literal escaping when the whole answer is escaped, never a legit ``\\n`` in JS."""
    literal = len(_LITERAL_NEWLINE.findall(text))
    real = text.count("\n")
    if literal >= 3 and literal > 2 * real:
        core = text.strip()
        if len(core) > 1 and core[0] == core[-1] == '"':
            try:
                decoded = json.loads(core)
            except ValueError:
                decoded = None
            if isinstance(decoded, str):
                notes.append("decoded an answer written as a JSON string")
                return decoded
        notes.append('un-escaped literal \\n and \\" sequences (the whole answer was escaped)')
        return _ESCAPE.sub(_unescape_one, text)
    escaped_quotes = len(_ESCAPED_ATTR_QUOTE.findall(text))
    if escaped_quotes >= 2 and escaped_quotes > len(_PLAIN_ATTR_QUOTE.findall(text)):
        notes.append('un-escaped \\" in attribute values')
        return re.sub(r'\\(["\\])', r"\1", text)
    return text


def _unescape_one(match: re.Match[str]) -> str:
    code = match.group(1)
    if code[0] == "u":
        return chr(int(code[1:], 16))
    return _ESCAPES[code]


# --- fences ---------------------------------------------------------------------------------------


def _fenced_blocks(text: str) -> tuple[list[_Block], str]:
    """Markdown fenced code blocks (``` or ~~~) with their language (the last may be unclosed), and
    the text outside them."""
    blocks: list[_Block] = []
    outside: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opening = _FENCE_OPEN.match(lines[i])
        if not opening:
            outside.append(lines[i])
            i += 1
            continue
        fence, lang = opening.group(1), opening.group(2).lower()
        body: list[str] = []
        i += 1
        closed = False
        while i < len(lines):
            line = lines[i].strip()
            if line and line[0] == fence[0] and set(line) == {fence[0]} and len(line) >= len(fence):
                closed = True
                i += 1
                break
            body.append(lines[i])
            i += 1
        content = "\n".join(body)
        blocks.append(_Block(_classify(lang, content), content, closed, lang))
    return blocks, "\n".join(outside)


def _classify(lang: str, body: str) -> str:
    if lang in _HTML_LANGS:
        return "html"
    if lang in _CSS_LANGS:
        return "css"
    if lang in _JS_LANGS:
        return "js"
    if lang:
        return ""  # python, bash, json, ...: not part of the page
    stripped = body.lstrip()
    if stripped.startswith("<") and _looks_like_html(stripped):
        return "html"
    if re.match(r"[.#@:\w\[*][^{;]*\{[^}]*:[^}]*\}", stripped, re.S) and "<" not in stripped:
        return "css"
    if re.search(r"\b(function|const|let|var|document\.|addEventListener)\b", stripped):
        return "js"
    return ""


def _choose_html(blocks: list[_Block], notes: list[str]) -> str:
    documents = [b for b in blocks if _DOC_START.search(b.body)]
    if documents:
        chosen = max(documents, key=lambda b: len(b.body))
        if len(blocks) > 1:
            notes.append(f"chose the full document among {len(blocks)} HTML blocks")
        return chosen.body
    if len(blocks) > 1:
        notes.append(f"joined {len(blocks)} HTML fragment blocks")
    return "\n".join(b.body for b in blocks)


def _locate_html(text: str, *, keep_tail: bool, notes: list[str]) -> str:
    """The markup in an answer without fences: from its first tag to ``</html>`` or the last tag."""
    start_match = _DOC_START.search(text) or _TAG_START.search(text)
    if start_match is None:
        return ""
    start = start_match.start()
    end_matches = list(_HTML_CLOSE.finditer(text, start))
    if end_matches:
        end = end_matches[-1].end()
    elif keep_tail:
        end = len(text)
    else:
        end = text.rfind(">") + 1
    if text[:start].strip() or text[end:].strip():
        notes.append("dropped prose around the HTML")
    return text[start:end]


def _looks_like_html(html: str) -> bool:
    if _DOC_START.search(html):
        return True
    tags = len(_TAG_START.findall(html))
    return (tags >= 2 and bool(_CLOSE_TAG.search(html))) or tags >= 3


def _no_html_message(answer: str, length_cut: bool) -> str:
    if not (answer or "").strip():
        if length_cut:
            return (
                "The model's answer is empty: it was cut off (finish_reason=length), probably while "
                "thinking. Raise the token limit or turn thinking off, then try again."
            )
        return "The model's answer is empty; there is no HTML to render."
    preview = re.sub(r"\s+", " ", _SPECIAL_TOKEN.sub("", answer)).strip()[:120]
    return f"The model's answer contains no HTML document. It begins: \u201c{preview}\u201d"


# --- truncation -----------------------------------------------------------------------------------


def _is_unclosed_document(html: str) -> bool:
    return bool(_DOC_START.search(html)) and not _HTML_CLOSE.search(html)


def _repair_truncated(html: str, notes: list[str]) -> str:
    """Cut a cut-off document back to its last complete construct, then close what is open."""
    original = html
    last_open, last_close = html.rfind("<"), html.rfind(">")
    if last_open > last_close:
        html = html[:last_open]  # a tag cut in half: `<div class="he`
    comment = html.rfind("<!--")
    if comment > html.rfind("-->"):
        html = html[:comment]
    script = _last_unclosed(html, "script")
    if script is not None:
        html = html[:script]  # half a script is a syntax error at best
    for tag in ("style", "textarea", "title"):
        if _last_unclosed(html, tag) is not None:
            html += f"</{tag}>"
    if html != original:
        notes.append("cut the document back to its last complete element")
    if re.search(r"<body[\s>]", html, re.I) and not re.search(r"</body\s*>", html, re.I):
        html += "\n</body>"
    if _DOC_START.search(html) and not _HTML_CLOSE.search(html):
        html += "\n</html>"
    return html


def _last_unclosed(html: str, tag: str) -> int | None:
    opens = [m.start() for m in re.finditer(rf"<{tag}[\s>]", html, re.I)]
    closes = [m.start() for m in re.finditer(rf"</{tag}\s*>", html, re.I)]
    if opens and (not closes or opens[-1] > closes[-1]):
        return opens[-1]
    return None


# --- document shape -------------------------------------------------------------------------------


def _as_document(html: str, notes: list[str]) -> str:
    html = html.strip()
    if re.match(r"<html[\s>]", html, re.I):
        notes.append("added <!DOCTYPE html> (standards mode)")
        return "<!DOCTYPE html>\n" + html
    if _DOC_START.match(html):
        return html
    lang = _guess_lang(html)
    if re.search(r"<(head|body)[\s>]", html, re.I):
        notes.append("wrapped the head/body in an <html> element")
        head = re.search(r"<head[^>]*>", html, re.I)
        if head and not re.search(r"<meta[^>]+charset", html, re.I):
            html = html[: head.end()] + "\n" + _SHELL_HEAD + html[head.end() :]
        return f'<!DOCTYPE html>\n<html lang="{lang}">\n{html}\n</html>'
    notes.append("wrapped the fragment in a full document")
    return f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n{_SHELL_HEAD}\n</head>\n<body>\n{html}\n</body>\n</html>'


def _guess_lang(html: str) -> str:
    # Chromium picks CJK glyph variants by the document language; a wrong guess costs fidelity.
    text = re.sub(r"<[^>]*>", "", html)
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\uac00-\ud7af]", text):
        return "ko"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "zh-CN"
    return "en"


def _merge_css(html: str, css: list[str], notes: list[str]) -> str:
    css = [c for c in css if c.strip() not in html]
    if not css:
        return html
    style = "<style>\n" + "\n\n".join(c.strip() for c in css).replace("</style", "<\\/style") + "\n</style>"
    link = _LOCAL_CSS_LINK.search(html)
    if link:
        html = html[: link.start()] + style + html[link.end() :]
    else:
        html = (
            _insert_before(html, r"</head\s*>", style) or _insert_before(html, r"<body[\s>]", style) or html
        )
    notes.append(f"merged {len(css)} CSS block{'s' if len(css) > 1 else ''} into <head>")
    return html


def _merge_js(html: str, js: list[str], notes: list[str]) -> str:
    js = [j for j in js if j.strip() not in html]
    if not js:
        return html
    script = (
        "<script>\n" + "\n\n".join(j.strip() for j in js).replace("</script", "<\\/script") + "\n</script>"
    )
    tag = _LOCAL_JS_SCRIPT.search(html)
    if tag:
        html = html[: tag.start()] + script + html[tag.end() :]
    else:
        html = _insert_before(html, r"</body\s*>", script, last=True) or html + "\n" + script
    notes.append(f"merged {len(js)} JavaScript block{'s' if len(js) > 1 else ''} at the end of <body>")
    return html


def _insert_before(html: str, pattern: str, snippet: str, *, last: bool = False) -> str | None:
    matches = list(re.finditer(pattern, html, re.I))
    if not matches:
        return None
    at = matches[-1 if last else 0].start()
    return html[:at] + snippet + "\n" + html[at:]
