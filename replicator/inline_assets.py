"""Puts local copies of CDN assets into the tree where the page referenced the CDN.

During the policy walk each recognised CDN reference becomes an empty ``<style>`` (or, for
Bootstrap's JS in interactive mode, ``<script>``) slot in the same place, so the cascade order the
model wrote is kept; after the walk the slots are filled from ``assets.AssetLibrary`` (Tailwind
needs the whole page's classes first). What was replaced is noted in the pass's ``removed``.
"""

from __future__ import annotations

import logging
import re
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

from .assets import AssetKind, AssetLibrary, AssetUnavailable
from .css_policy import Removed, sanitize_stylesheet

log = logging.getLogger(__name__)

Mode = Literal["static", "interactive"]

_ASSET_NAMES = {
    "fontawesome": "Font Awesome CDN link",
    "bootstrap-css": "Bootstrap CSS CDN link",
    "bootstrap-js": "Bootstrap JS CDN script",
    "highlightjs-css": "highlight.js stylesheet CDN link",
}


@dataclass
class PolicyPass:
    """The state of one sanitize run: what was removed, which assets the page asked for."""

    mode: Mode
    removed: Removed = field(default_factory=list)
    assets: dict[AssetKind, ET.Element] = field(default_factory=dict)  # kind -> the <style>/<script> slot
    asset_urls: dict[AssetKind, list[str]] = field(default_factory=dict)
    tailwind_css: list[str] = field(default_factory=list)  # <style type="text/tailwindcss">
    tailwind_plugins: set[str] = field(default_factory=set)
    scripts: list[str] = field(default_factory=list)
    placeholders: int = 0


class AssetInliner:
    """Slots for CDN references during the walk, filled with local copies afterwards."""

    def __init__(self, library: AssetLibrary) -> None:
        self.library = library
        # The policy pass over a Tailwind build is memoised: the same build recurs across pages.
        self._clean: OrderedDict[str, tuple[str, Removed]] = OrderedDict()
        self._lock = threading.Lock()

    def slot(self, kind: AssetKind, url: str, state: PolicyPass, tag: str) -> ET.Element | None:
        """An empty inline element standing where the CDN asset was, filled after the walk."""
        state.asset_urls.setdefault(kind, []).append(url)
        if kind in state.assets and kind != "google-fonts":
            return None  # one copy is enough (all.min.css + brands.min.css, twice the same link)
        slot = ET.Element(tag, {"data-replicator-asset": kind})
        state.assets.setdefault(kind, slot)
        if kind == "google-fonts":
            slot.set("data-replicator-url", url)
        return slot

    def css_import(self, url: str, state: PolicyPass) -> str | None:
        if AssetLibrary.kind_of(url) != "google-fonts":
            return None
        css, missing = self.library.google_fonts_css(url)
        note_fonts(url, missing, state)
        return css

    def fill(self, doc: ET.Element, state: PolicyPass, config: dict[str, object] | None) -> None:
        for parent in list(doc.iter()):
            for el in list(parent):
                kind = el.get("data-replicator-asset")
                if kind is None:
                    continue
                del el.attrib["data-replicator-asset"]
                try:
                    el.text = self._asset_text(kind, el, doc, state, config)
                except OSError as exc:  # node_modules incomplete: drop the slot, keep the page
                    log.warning("local copy of %s is missing: %s", kind, exc)
                    state.removed.append((f"{kind} CDN asset (local copy missing; run `make setup`)", ""))
                    remove_element(parent, el)

    def _asset_text(
        self, kind: str, el: ET.Element, doc: ET.Element, state: PolicyPass, config: dict[str, object] | None
    ) -> str:
        urls = state.asset_urls.get(kind, [])  # type: ignore[call-overload]
        if kind == "tailwind":
            return self._tailwind(doc, state, config)
        if kind == "google-fonts":
            url = el.attrib.pop("data-replicator-url", "")
            css, missing = self.library.google_fonts_css(url)
            note_fonts(url, missing, state)
            return css
        if kind == "fontawesome":
            legacy = any(re.search(r"/4\.\d|@4\b|font-awesome\.(min\.)?css", u) for u in urls)
            text = self.library.fontawesome_css(fa_classes(doc, state), legacy=legacy)
        elif kind == "bootstrap-css":
            text = self.library.bootstrap_css()
        elif kind == "bootstrap-js":
            text = self.library.bootstrap_js()
        else:
            text = self.library.highlightjs_css(urls[0])
        state.removed.append((f"{_ASSET_NAMES[kind]} (inlined from the local copy)", ""))
        return text

    def _tailwind(self, doc: ET.Element, state: PolicyPass, config: dict[str, object] | None) -> str:
        content = " ".join(sorted({el.get("class", "") for el in doc.iter() if isinstance(el.tag, str)}))
        if state.mode == "interactive":
            content += "\n" + "\n".join(state.scripts)  # classes toggled by the page's own scripts
        custom = "\n".join(state.tailwind_css)
        plugins = tuple(sorted(state.tailwind_plugins))
        try:
            try:
                css = self.library.tailwind_css(content, config=config, custom_css=custom, plugins=plugins)
            except AssetUnavailable:
                if not custom and config is None:
                    raise
                state.removed.append(("Tailwind config or @apply rules the local build could not use", ""))
                css = self.library.tailwind_css(content, plugins=plugins)
        except AssetUnavailable as exc:
            log.warning("Tailwind page left unstyled: %s", exc)
            state.removed.append((f"Tailwind CDN script (not replaced: {exc}; the page is unstyled)", ""))
            return ""
        state.removed.append(("Tailwind CDN script (replaced by CSS compiled for the page's classes)", ""))
        # Arbitrary values (`bg-[url(https://...)]`) come from the page: the policy applies.
        return self._clean_css(css, state)

    def _clean_css(self, css: str, state: PolicyPass) -> str:
        with self._lock:
            hit = self._clean.get(css)
        if hit is None:
            removed: Removed = []
            hit = (sanitize_stylesheet(css, removed), removed)
            with self._lock:
                self._clean[css] = hit
                while len(self._clean) > 32:
                    self._clean.popitem(last=False)
        state.removed.extend(hit[1])
        return hit[0]


def plugins_in(url: str) -> set[str]:
    match = re.search(r"[?&]plugins=([\w,-]+)", url)
    return set(match.group(1).split(",")) if match else set()


def fa_classes(doc: ET.Element, state: PolicyPass) -> set[str]:
    classes = {c for el in doc.iter() if isinstance(el.tag, str) for c in el.get("class", "").split()}
    for script in state.scripts:  # icons swapped by the page's scripts (fa-sun <-> fa-moon)
        classes.update(re.findall(r"\bfa[rsb]?(?:-[\w-]+)?\b", script))
    return classes


def note_fonts(url: str, missing: list[str], state: PolicyPass) -> None:
    state.removed.append(("Google Fonts link (inlined from the local @fontsource copies)", ""))
    for family in missing:
        state.removed.append((f"Google Font '{family}' (not available offline; system font fallback)", ""))


def remove_element(parent: ET.Element, child: ET.Element) -> None:
    """Remove an element but keep the text that follows it (ElementTree stores it on the child)."""
    if child.tail:
        siblings = list(parent)
        at = siblings.index(child)
        if at > 0:
            prev = siblings[at - 1]
            prev.tail = (prev.tail or "") + child.tail
        else:
            parent.text = (parent.text or "") + child.tail
    parent.remove(child)
