"""sanitize: the output policy. Generated HTML is hostile; what leaves here is self-contained.

The page is parsed the way a browser parses it (html5lib implements the WHATWG algorithm, so
``<svg><style><img onerror>`` breaks out of the SVG here exactly as in Chromium), the policy is
applied to the tree, and the tree is written back with a serializer that quotes and escapes so
that a browser re-parses it to the same tree. The policy (DESIGN.md, "Output policy"):

- nothing may load from the network or the app's origin: external scripts, stylesheets, fonts,
  images (replaced by a grey placeholder), media, frames, objects, ``<base>``, refresh, prefetch
  hints, remote CSS ``url()``/``@import``; forms post nowhere; no ``javascript:`` URLs;
- well-known CDN assets are replaced by inline local copies (``assets.AssetLibrary``);
- ``static`` mode removes every script and ``on*`` handler; ``interactive`` keeps inline ones;
- a strict Content-Security-Policy is the first element of ``<head>`` (``Page.csp``, which the
  service also sends as a header).

A page that nests elements deeper than Chromium's parser does (512 levels) is refused with
``InputTooLarge``: Chromium would flatten it into another tree than the one checked here, and the
parse stops at the first element too deep, so 30,000 levels cost no more than 512.
"""

from __future__ import annotations

import logging
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import html5lib

from .assets import AssetLibrary
from .css_policy import (
    Removed,
    describe,
    is_local_url,
    placeholder_image,
    sanitize_declarations,
    sanitize_stylesheet,
)
from .errors import InputTooLarge
from .html_writer import SVG_NS, local_name, serialize_document
from .inline_assets import AssetInliner, PolicyPass, plugins_in, remove_element
from .models import Page
from .tailwind_config import read_tailwind_config

if TYPE_CHECKING:
    from .config import Settings

log = logging.getLogger(__name__)

Mode = Literal["static", "interactive"]

_CSP_COMMON = (
    "default-src 'none'",
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-src 'none'",
    "child-src 'none'",
    "worker-src 'none'",
    "manifest-src 'none'",
    "object-src 'none'",
    "img-src data: blob:",
    "media-src data: blob:",
    "font-src data:",
    "style-src 'unsafe-inline'",
)


def csp_for(mode: Mode) -> str:
    """The Content-Security-Policy of a delivered page in ``mode``."""
    script = "script-src 'unsafe-inline'" if mode == "interactive" else "script-src 'none'"
    return "; ".join((*_CSP_COMMON, script))


# Elements that embed another document or plugin: replaced by a grey box of the same size.
_EMBEDS = {"iframe", "frame", "object", "embed", "applet", "portal", "fencedframe"}
# Elements dropped with their content: nothing a browser with scripting on would show, or a
# parser-differential hazard (noscript is raw text to a browser with scripting on).
_DROPPED = {"base", "noscript", "noembed", "noframes", "frameset", "param", "track", "bgsound", "template"}
_URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "background", "lowsrc", "dynsrc"}
_ALWAYS_DROP_ATTRS = {"srcdoc", "ping", "manifest", "longdesc", "codebase", "archive", "integrity", "nonce"}
_SCRIPTY_SCHEMES = ("javascript:", "vbscript:", "livescript:")
_SVG_ANIMATION = {"animate", "set", "animatemotion", "animatetransform", "animatecolor"}
_META_DROPPED = {
    "refresh",
    "set-cookie",
    "content-security-policy",
    "content-security-policy-report-only",
    "link",
}
_SIZE_IN_URL = re.compile(r"(?<!\d)(\d{2,4})[x\u00d7/](\d{2,4})(?!\d)")
_PLACEHOLDER_CSS = (
    "[data-replicator-placeholder]{display:inline-block;width:300px;height:150px;"
    "max-width:100%;background:#e5e7eb}"
)
# Chromium's HTML parser nests elements at most this deep, <html> included (deeper ones become
# siblings at that depth: Blink's kMaximumHTMLParserDOMTreeDepth).
MAX_NESTING_DEPTH = 512


class Sanitizer:
    """Applies the output policy; holds the local asset library (and its caches)."""

    def __init__(self, assets_dir: Path, *, cache_dir: Path | None = None, node: str | None = None) -> None:
        self.assets = AssetLibrary(Path(assets_dir), cache_dir=cache_dir, node=node)
        self.inliner = AssetInliner(self.assets)
        if not self.assets.tailwind_available:
            log.warning(
                "Tailwind pages cannot be styled offline: Node.js or %s/tailwindcss is missing "
                "(run `make setup`); such pages will render with the browser's default styles",
                assets_dir,
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> Sanitizer:
        return cls(settings.assets_dir, cache_dir=settings.data_dir / "cache" / "assets")

    def sanitize(self, html: str, mode: Mode) -> Page:
        """The page with the output policy applied, self-contained, with its CSP embedded."""
        started = time.perf_counter()
        doc = parse_like_chromium(html)
        state = PolicyPass(mode)
        head = _head_and_body(doc)
        config = read_tailwind_config(doc, state.removed)
        self._walk(doc, state, in_svg=False)
        self.inliner.fill(doc, state, config)
        _finish_head(head, state, csp_for(mode))
        out = serialize_document(doc)
        log.debug("sanitized %d bytes in %.1f ms", len(html), (time.perf_counter() - started) * 1000)
        return Page(html=out, mode=mode, csp=csp_for(mode), removed=summarize(state.removed))

    # --- the tree walk ----------------------------------------------------------------------------

    def _walk(self, root: ET.Element, state: PolicyPass, *, in_svg: bool) -> None:
        """Every element below ``root``, in document order, with a stack of its own (not Python's)."""
        stack = [(root, iter(list(root)), in_svg)]
        while stack:
            parent, children, parent_in_svg = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                continue
            if not isinstance(child.tag, str):  # comments, processing instructions
                remove_element(parent, child)
                continue
            name = local_name(child.tag)
            child_in_svg = parent_in_svg or child.tag.startswith(SVG_NS)
            replacement = self._element(child, name, state, child_in_svg)
            if replacement is None:
                remove_element(parent, child)
                continue
            if replacement is not child:
                _replace(parent, child, replacement)
                continue
            self._attributes(child, name, state)
            # ``child`` is len(stack) + 1 deep, <html> being 1. The parse stopped deeper ones already;
            # this holds for what the tree builder's moves of misnested tags make (the serializer
            # recurses once per level).
            if len(stack) >= MAX_NESTING_DEPTH:
                raise _too_deep()
            stack.append((child, iter(list(child)), child_in_svg))

    def _element(self, el: ET.Element, name: str, state: PolicyPass, in_svg: bool) -> ET.Element | None:
        """The element to keep (itself), a replacement, or None to remove it."""
        lname = name.lower()
        if lname in _DROPPED and not (lname == "template" and state.mode == "interactive"):
            if lname != "noscript":
                state.removed.append((f"<{lname}> element", ""))
            return None
        if lname in _EMBEDS:
            url = _embed_url(el)
            state.removed.append((f"<{lname}> (grey placeholder)", describe(url)))
            return self._placeholder(el, lname, state)
        if lname == "script":
            return self._script(el, state, in_svg)
        if lname == "link":
            return self._link(el, state)
        if lname == "style":
            if el.get("type", "").lower() == "text/tailwindcss":
                state.tailwind_css.append(el.text or "")
                return None
            el.text = sanitize_stylesheet(
                el.text or "", state.removed, on_import=lambda url: self.inliner.css_import(url, state)
            )
            return el
        if lname == "meta":
            equiv = el.get("http-equiv", "").strip().lower()
            if equiv in _META_DROPPED:
                state.removed.append((f'<meta http-equiv="{equiv}">', ""))
                return None
            if el.get("charset") is not None or equiv == "content-type":
                return None  # replaced by our own UTF-8 declaration
            return el
        if lname == "plaintext":  # swallows the rest of the document when re-parsed
            el.tag = "pre"
            return el
        if in_svg and lname in _SVG_ANIMATION and _animates_url(el):
            state.removed.append((f"SVG <{name}> that rewrites a link", ""))
            return None
        return el

    def _attributes(self, el: ET.Element, name: str, state: PolicyPass) -> None:
        lname = name.lower()
        for attr in list(el.attrib):
            key = local_name(attr).lower()
            value = el.attrib[attr]
            if key.startswith("on"):
                if state.mode == "static":
                    del el.attrib[attr]
                    state.removed.append(("inline event handler (static mode)", f"{key} on <{lname}>"))
                continue
            if key in _ALWAYS_DROP_ATTRS:
                del el.attrib[attr]
                state.removed.append((f"{key} attribute", f"on <{lname}>"))
            elif key == "style":
                el.attrib[attr] = sanitize_declarations(value, state.removed)
            elif key in ("srcset", "imagesrcset"):
                if not all(is_local_url(c.strip().split(" ")[0]) for c in value.split(",") if c.strip()):
                    del el.attrib[attr]
                    state.removed.append((f"remote {key}", f"on <{lname}>"))
            elif key in _URL_ATTRS or attr.endswith("}href"):
                self._url_attribute(el, lname, attr, key, value, state)
            elif "url(" in value.lower() or ("\\" in value and "(" in value):
                el.attrib[attr] = sanitize_declarations(value, state.removed)  # SVG fill="url(...)", ...
        if lname == "template" and el.get("shadowrootmode", "").strip().lower() == "closed":
            # A closed root hides its links from the live preview's guard (a click's composedPath
            # stops at the host); open, it renders the same.
            el.set("shadowrootmode", "open")
        if lname == "form" and el.get("action") is not None:
            del el.attrib["action"]
        if lname in ("a", "area") and el.get("target", "").lower() not in (
            "",
            "_self",
            "_top",
            "_parent",
            "_blank",
        ):
            del el.attrib["target"]  # a named target would open a new browsing context

    def _url_attribute(
        self, el: ET.Element, lname: str, attr: str, key: str, value: str, state: PolicyPass
    ) -> None:
        cleaned = "".join(ch for ch in value if ch > " ").lower()
        if cleaned.startswith(_SCRIPTY_SCHEMES) or cleaned.startswith("data:text/html"):
            state.removed.append((f"{cleaned.split(':')[0]}: URL", f"in {key} on <{lname}>"))
            if lname in ("a", "area") and key == "href":
                el.attrib[attr] = "#"  # keeps the link's look; clicking it does nothing
            else:
                del el.attrib[attr]
            return
        if key in ("action", "formaction"):
            del el.attrib[attr]
            state.removed.append((f"form {key}", describe(value)))
            return
        if key == "href" and lname in ("a", "area"):
            return  # navigation happens only on a click, which the render seal and CSP contain
        if is_local_url(value):
            return
        if (key in ("src", "poster") and lname in ("img", "image", "input", "video")) or (
            lname == "image" and key == "href"
        ):
            el.attrib[attr] = placeholder_image(*_size_hint(el, value))
            state.removed.append(("remote image (grey placeholder)", describe(value)))
        else:
            del el.attrib[attr]
            state.removed.append((f"remote {key} on <{lname}>", describe(value)))

    # --- scripts, links, CDN assets ---------------------------------------------------------------

    def _script(self, el: ET.Element, state: PolicyPass, in_svg: bool) -> ET.Element | None:
        src = el.get("src") or el.get("href") or el.get("{http://www.w3.org/1999/xlink}href")
        if src:
            kind = AssetLibrary.kind_of(src)
            if kind == "tailwind":
                state.tailwind_plugins.update(plugins_in(src))
                return self.inliner.slot("tailwind", src, state, "style")
            if kind == "fontawesome":  # a kit script: the CSS does the same job without scripts
                return self.inliner.slot("fontawesome", src, state, "style")
            if kind == "bootstrap-js" and state.mode == "interactive" and not in_svg:
                return self.inliner.slot("bootstrap-js", src, state, "script")
            state.removed.append(("external script", describe(src)))
            return None
        if state.mode == "static":
            state.removed.append(("inline script (static mode)", ""))
            return None
        state.scripts.append(el.text or "")
        return el

    def _link(self, el: ET.Element, state: PolicyPass) -> ET.Element | None:
        rel = el.get("rel", "").lower().split()
        href = el.get("href", "")
        kind = AssetLibrary.kind_of(href) if "stylesheet" in rel else None
        if kind is not None and kind != "bootstrap-js":
            return self.inliner.slot(kind, href, state, "style")
        what = "stylesheet" if "stylesheet" in rel else f"<link rel={' '.join(rel) or '?'}>"
        state.removed.append((what, describe(href)))
        return None

    def _placeholder(self, el: ET.Element, lname: str, state: PolicyPass) -> ET.Element:
        state.placeholders += 1
        box = ET.Element("div", {"data-replicator-placeholder": lname})
        for key in ("id", "class", "title"):
            if el.get(key):
                box.set(key, el.get(key, ""))
        sizes = []
        for key in ("width", "height"):
            value = el.get(key, "").strip()
            if re.fullmatch(r"\d+(\.\d+)?%?", value):
                sizes.append(f"{key}:{value}{'' if value.endswith('%') else 'px'}")
        style = ";".join(sizes + ([el.get("style", "")] if el.get("style") else []))
        if style:
            box.set("style", sanitize_declarations(style, state.removed))
        return box


# --- helpers --------------------------------------------------------------------------------------


def parse_like_chromium(html: str) -> ET.Element:
    """The document tree as Chromium builds it (WHATWG parsing with scripting on, as in our renders:
    ``<noscript>`` content is raw text, exactly as the browser will see it).

    Raises InputTooLarge, as soon as it meets one, for an element nested deeper than Chromium nests.
    """
    parser = html5lib.HTMLParser(tree=_DepthLimitedTreeBuilder, namespaceHTMLElements=False)
    return parser.parse(html, scripting=True)  # type: ignore[no-any-return]


class _DepthLimitedTreeBuilder(html5lib.getTreeBuilder("etree")):  # type: ignore[misc]
    """html5lib's ElementTree builder, stopping at the first element deeper than MAX_NESTING_DEPTH.

    Its stack of open elements is the new element's ancestry. Stopping there keeps the parse fast
    (html5lib scans that stack for most tags: a page N levels deep costs N squared) and keeps this
    tree the one Chromium builds.
    """

    def insertElementNormal(self, token: dict[str, object]) -> object:
        if len(self.openElements) >= MAX_NESTING_DEPTH:
            raise _too_deep()
        return super().insertElementNormal(token)

    def insertElementTable(self, token: dict[str, object]) -> object:
        if len(self.openElements) >= MAX_NESTING_DEPTH:
            raise _too_deep()
        return super().insertElementTable(token)


def _too_deep() -> InputTooLarge:
    return InputTooLarge(
        f"The page nests elements more than {MAX_NESTING_DEPTH} levels deep, deeper than a browser "
        f"builds them; it is refused. Nest at most {MAX_NESTING_DEPTH} levels."
    )


def _head_and_body(doc: ET.Element) -> ET.Element:
    """The document's <head>, after making sure it has a head and a body."""
    head = doc.find("head")
    if head is None:
        head = ET.Element("head")
        doc.insert(0, head)
    body = doc.find("body")
    if body is None:  # a <frameset> document has no body
        body = ET.SubElement(doc, "body")
    # Whitespace after </body> is parsed into the body: end the body with exactly one newline so
    # that sanitizing the output again gives the same output.
    if len(body):
        body[-1].tail = (body[-1].tail or "").rstrip() + "\n"
    else:
        body.text = (body.text or "").rstrip() + "\n"
    return head


def _finish_head(head: ET.Element, state: PolicyPass, csp: str) -> None:
    """CSP first (it governs everything after it), then the charset, then our placeholder style."""
    first = [ET.Element("meta", {"http-equiv": "Content-Security-Policy", "content": csp})]
    first.append(ET.Element("meta", {"charset": "utf-8"}))
    if state.placeholders:
        style = ET.Element("style", {"data-replicator": "placeholders"})
        style.text = _PLACEHOLDER_CSS
        first.append(style)
    if head.text and head.text.strip():
        head.text = None
    for index, el in enumerate(first):
        head.insert(index, el)


def _replace(parent: ET.Element, old: ET.Element, new: ET.Element) -> None:
    new.tail = old.tail
    parent.insert(list(parent).index(old), new)
    parent.remove(old)


def _embed_url(el: ET.Element) -> str:
    return el.get("src") or el.get("data") or el.get("code") or ("srcdoc" if el.get("srcdoc") else "")


def _animates_url(el: ET.Element) -> bool:
    target = el.get("attributeName", el.get("attributename", "")).lower()
    values = " ".join(el.get(k, "") for k in ("to", "from", "values", "by")).lower()
    return target.endswith("href") or any(s in values.replace(" ", "") for s in _SCRIPTY_SCHEMES)


def _size_hint(el: ET.Element, url: str) -> tuple[int, int]:
    """A placeholder's intrinsic size: the element's attributes, else sizes written in the URL."""
    w, h = el.get("width", ""), el.get("height", "")
    if w.isdigit() and h.isdigit():
        return int(w), int(h)
    query = dict(re.findall(r"[?&](w|h|width|height)=(\d+)", url))
    qw, qh = query.get("w") or query.get("width"), query.get("h") or query.get("height")
    if qw and qh:
        return int(qw), int(qh)
    return size_in_url(url) or (0, 0)


def size_in_url(url: str) -> tuple[int, int] | None:
    """A width x height written in a URL's path (``placehold.co/320x180``), if any."""
    match = _SIZE_IN_URL.search(url.split("?")[0].rsplit("//", 1)[-1])
    return (int(match.group(1)), int(match.group(2))) if match else None


def summarize(removed: Removed) -> tuple[str, ...]:
    """One line per kind of removal, in order of first occurrence, with a count and an example."""
    seen: dict[str, list[str]] = {}
    for what, which in removed:
        seen.setdefault(what, [])
        if which and which not in seen[what]:
            seen[what].append(which)
    lines = []
    for what, examples in seen.items():
        if len(examples) > 1:
            lines.append(f"{what} \u00d7{len(examples)}, e.g. {examples[0]}")
        else:
            lines.append(f"{what}: {examples[0]}" if examples else what)
    return tuple(lines)
