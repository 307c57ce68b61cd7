"""What runs inside the page: the determinism preamble and the one-call DOM survey.

The survey walks the DOM once (shadow roots included) and returns, in compact arrays, the text
boxes (one per laid-out line fragment of each visible text node, via Range.getClientRects) and the
element boxes that paint something (a background, a border, or a replaced element such as an
image). No library does this: it is the contract between the renderer and the scorer.
"""

from __future__ import annotations

from typing import Any

from ..models import Box, ElementBox, TextBox

# Injected before any of the page's own code runs. A constructed stylesheet (adoptedStyleSheets)
# needs no <head> to exist yet and does not change how the document parses (a <style> inserted
# before the doctype would switch the page to quirks mode). Math.random is seeded so pages that
# draw random content render the same pixels twice.
PREAMBLE_JS = r"""
(() => {
  // CSS animations end at once (one zero-length iteration: a fill-mode "forwards" animation shows
  // its last frame, others the element's own style); transitions do not run; no caret is drawn.
  const css = `*, *::before, *::after {
      transition: none !important;
      animation-duration: 0s !important;
      animation-delay: 0s !important;
      animation-iteration-count: 1 !important;
      caret-color: transparent !important;
      scroll-behavior: auto !important;
    }`;
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  } catch (e) {}
  let seed = 0x2545F491;
  Math.random = function () {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
})();
"""

# Resolves once the document has finished loading and its web fonts are ready (or ``fontsMs`` has
# passed). readyState, not only the load event: a page that starts a navigation (a form submit)
# before load, which routing then refuses, reaches readyState "complete" but never fires load
# (measured with Chromium 156).
READY_JS = r"""
(fontsMs) => new Promise((resolve) => {
  if (document.readyState === 'complete') return resolve(true);
  document.addEventListener('readystatechange', () => {
    if (document.readyState === 'complete') resolve(true);
  });
  addEventListener('load', () => resolve(true));
}).then(() => Promise.race([
  document.fonts ? document.fonts.ready.then(() => true) : true,
  new Promise((resolve) => setTimeout(() => resolve(false), fontsMs)),
]))
"""

# Resolves once the DOM has not changed for ``quietMs`` and two animation frames have passed, or
# after ``maxMs``.
SETTLE_JS = r"""
([quietMs, maxMs]) => new Promise((resolve) => {
  const start = performance.now();
  let last = start;
  const observer = new MutationObserver(() => { last = performance.now(); });
  observer.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  let frames = 0;
  const tick = () => {
    frames += 1;
    const now = performance.now();
    if ((frames >= 2 && now - last >= quietMs) || now - start >= maxMs) {
      observer.disconnect();
      resolve(now - start);
    } else {
      requestAnimationFrame(tick);
    }
  };
  requestAnimationFrame(tick);
  // rAF does not run in a hidden or throttled page; a timer makes sure we still finish.
  setTimeout(() => { observer.disconnect(); resolve(performance.now() - start); }, maxMs + 50);
})
"""

# Script-made animations (element.animate) are not reached by the preamble's CSS: finite ones jump
# to their end, infinite ones back to their start. Returns the scroll offset for a viewport shot.
AT_REST_JS = r"""
() => {
  try {
    for (const a of document.getAnimations()) {
      const timing = a.effect ? a.effect.getComputedTiming() : null;
      if (timing && Number.isFinite(timing.endTime)) a.finish(); else a.cancel();
    }
  } catch (e) {}
  return [window.scrollX, window.scrollY];
}
"""

SURVEY_JS = r"""
(opts) => {
  const {fullPage, maxHeight, vw, vh, maxText, maxElements} = opts;
  // As AT_REST_JS: what a person sees at rest, the same on every run.
  try {
    for (const a of document.getAnimations()) {
      const timing = a.effect ? a.effect.getComputedTiming() : null;
      if (timing && Number.isFinite(timing.endTime)) a.finish(); else a.cancel();
    }
  } catch (e) {}

  const de = document.documentElement;
  const body = document.body;
  const scrollHeight = Math.ceil(Math.max(de ? de.scrollHeight : 0, body ? body.scrollHeight : 0));
  const fullHeight = Math.max(vh, scrollHeight);
  const height = fullPage ? Math.min(fullHeight, maxHeight) : vh;
  const width = vw;
  const dx = fullPage ? window.scrollX : 0;
  const dy = fullPage ? window.scrollY : 0;

  const colors = new Map();
  let canvasCtx = null;
  const rgba = (value) => {
    let out = colors.get(value);
    if (out !== undefined) return out;
    const m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+)(%?))?\s*\)$/.exec(value);
    if (m) {
      let alpha = m[4] === undefined ? 1 : parseFloat(m[4]) / (m[5] ? 100 : 1);
      out = [Math.round(+m[1]), Math.round(+m[2]), Math.round(+m[3]), alpha];
    } else {
      // color(), oklch(), lab() ...: let the browser convert by painting one pixel.
      if (!canvasCtx) {
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 1;
        canvasCtx = canvas.getContext('2d', {willReadFrequently: true});
      }
      canvasCtx.globalCompositeOperation = 'copy';
      canvasCtx.fillStyle = 'rgba(0,0,0,0)';
      canvasCtx.fillStyle = value;
      canvasCtx.fillRect(0, 0, 1, 1);
      const d = canvasCtx.getImageData(0, 0, 1, 1).data;
      out = [d[0], d[1], d[2], d[3] / 255];
    }
    colors.set(value, out);
    return out;
  };

  const visibility = new Map();
  const isVisible = (el) => {
    let v = visibility.get(el);
    if (v === undefined) {
      v = typeof el.checkVisibility === 'function'
        ? el.checkVisibility({opacityProperty: true, visibilityProperty: true})
        : true;
      visibility.set(el, v);
    }
    return v;
  };

  const r2 = (n) => Math.round(n * 100) / 100;
  // Clip a viewport rect to the screenshot's bounds, in screenshot coordinates; null if outside.
  const clip = (r) => {
    const x0 = Math.max(0, r.left + dx), y0 = Math.max(0, r.top + dy);
    const x1 = Math.min(width, r.right + dx), y1 = Math.min(height, r.bottom + dy);
    if (x1 - x0 < 1 || y1 - y0 < 1) return null;
    return [r2(x0), r2(y0), r2(x1 - x0), r2(y1 - y0)];
  };

  const SKIP = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'HEAD', 'TITLE', 'META', 'LINK',
                        'OPTION', 'OPTGROUP', 'DATALIST']);
  const REPLACED = new Set(['img', 'svg', 'canvas', 'video', 'picture', 'input', 'button',
                            'select', 'textarea', 'iframe', 'object', 'embed', 'progress', 'meter', 'hr']);
  const TEXT_INPUTS = new Set(['text', 'search', 'email', 'url', 'tel', 'number', 'password',
                               'button', 'submit', 'reset', '']);

  const texts = [];
  const elements = [];
  let truncated = false;
  const range = document.createRange();
  // Words are found by whitespace, except in scripts written without spaces (CJK, Thai, ...), where
  // ICU's word segmenter is used. It is made only when needed: its first use costs ~20 ms.
  const NO_SPACES = /[\u0E00-\u0EFF\u1000-\u109F\u1780-\u17FF\u3000-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF]/;
  let segmenter;
  const wordsOf = (data) => {
    if (NO_SPACES.test(data)) {
      if (segmenter === undefined) {
        segmenter = typeof Intl !== 'undefined' && Intl.Segmenter
          ? new Intl.Segmenter(undefined, {granularity: 'word'}) : null;
      }
      if (segmenter) return Array.from(segmenter.segment(data), (s) => [s.index, s.segment]);
    }
    const out = [];
    let index = 0;
    for (const piece of data.split(/(\s+)/)) {
      out.push([index, piece]);
      index += piece.length;
    }
    return out;
  };

  // Where a field draws its value or placeholder: its content box, as wide as the text measures in
  // the text's font, aligned as the field aligns it, one line tall (centered in an input; at the top
  // of a textarea). The field's whole box would put the text at its border and as wide as the field.
  let measurer = null;
  const fieldTextRect = (el, style, textStyle, text, multiline) => {
    const r = el.getBoundingClientRect();
    const px = (name) => parseFloat(style[name]) || 0;
    const left = r.left + px('borderLeftWidth') + px('paddingLeft');
    const right = r.right - px('borderRightWidth') - px('paddingRight');
    const top = r.top + px('borderTopWidth') + px('paddingTop');
    const bottom = r.bottom - px('borderBottomWidth') - px('paddingBottom');
    if (right - left < 1 || bottom - top < 1) return r;
    measurer = measurer || document.createElement('canvas').getContext('2d');
    measurer.font = `${textStyle.fontStyle} ${textStyle.fontWeight} ${textStyle.fontSize} ${textStyle.fontFamily}`;
    const w = Math.min(measurer.measureText(text).width, right - left);
    const size = parseFloat(textStyle.fontSize) || 16;
    const lh = Math.min(parseFloat(textStyle.lineHeight) || size * 1.2, bottom - top);
    const align = style.textAlign;
    const x = align === 'center' ? (left + right - w) / 2 : (align === 'right' || align === 'end') ? right - w : left;
    const y = multiline ? top : (top + bottom - lh) / 2;
    return {left: x, right: x + w, top: y, bottom: y + lh};
  };

  const pushText = (text, rect, style, tag) => {
    const box = clip(rect);
    if (!box) return;
    if (texts.length >= maxText) { truncated = true; return; }
    const c = rgba(style.color);
    texts.push([text, ...box, c[0], c[1], c[2], r2(parseFloat(style.fontSize) || 0),
                parseInt(style.fontWeight, 10) || 400, tag]);
  };

  // One entry per laid-out line: segments (words; CJK words via ICU) grouped by their top edge.
  const lineFragments = (node) => {
    const data = node.data;
    const lines = [];
    let cur = null;
    const add = (text, r) => {
      if (cur && Math.abs(r.top - cur.top) < Math.max(2, Math.min(r.height, cur.bottom - cur.top) / 2)) {
        cur.text += text;
        cur.left = Math.min(cur.left, r.left); cur.right = Math.max(cur.right, r.right);
        cur.top = Math.min(cur.top, r.top); cur.bottom = Math.max(cur.bottom, r.bottom);
      } else {
        cur = {text, left: r.left, right: r.right, top: r.top, bottom: r.bottom};
        lines.push(cur);
      }
    };
    for (const [index, segment] of wordsOf(data)) {
      if (!segment) continue;
      if (!/\S/.test(segment)) { if (cur) cur.text += ' '; continue; }
      range.setStart(node, index);
      range.setEnd(node, index + segment.length);
      const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0 && r.height > 0);
      if (rects.length === 1) { add(segment, rects[0]); continue; }
      if (rects.length === 0) continue;
      // A word broken across lines: place it character by character.
      let offset = index;
      for (const ch of segment) {
        range.setStart(node, offset);
        range.setEnd(node, offset + ch.length);
        const r = Array.from(range.getClientRects()).find((q) => q.width > 0 && q.height > 0);
        if (r) add(ch, r);
        offset += ch.length;
      }
    }
    return lines;
  };

  const visitText = (node) => {
    const el = node.parentElement;
    if (!el || SKIP.has(el.tagName) || !/\S/.test(node.data) || !isVisible(el)) return;
    const style = getComputedStyle(el);
    if (rgba(style.color)[3] < 0.05) return;
    range.selectNodeContents(node);
    const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0 && r.height > 0);
    if (rects.length === 0) return;
    const tag = el.localName;
    if (rects.length === 1) {
      pushText(node.data.replace(/\s+/g, ' ').trim(), rects[0], style, tag);
      return;
    }
    for (const line of lineFragments(node)) {
      const text = line.text.replace(/\s+/g, ' ').trim();
      if (text) {
        pushText(text, {left: line.left, top: line.top, right: line.right, bottom: line.bottom}, style, tag);
      }
    }
  };

  const visitElement = (el) => {
    if (SKIP.has(el.tagName) || !isVisible(el)) return;
    const tag = el.localName;
    const inSvg = el.ownerSVGElement != null;
    if (inSvg) return;
    const style = getComputedStyle(el);
    const bg = rgba(style.backgroundColor);
    const hasBg = bg[3] > 0.05;
    const hasImage = style.backgroundImage && style.backgroundImage !== 'none';
    let border = null;
    for (const side of ['Top', 'Right', 'Bottom', 'Left']) {
      if (parseFloat(style[`border${side}Width`]) > 0 && !['none', 'hidden'].includes(style[`border${side}Style`])) {
        const c = rgba(style[`border${side}Color`]);
        if (c[3] > 0.05) { border = c; break; }
      }
    }
    const replaced = REPLACED.has(tag);
    if (replaced && (tag === 'input' || tag === 'textarea')) {
      const type = (el.getAttribute('type') || '').toLowerCase();
      if (tag === 'textarea' || TEXT_INPUTS.has(type)) {
        const value = el.value || el.getAttribute('placeholder') || '';
        if (/\S/.test(value)) {
          const textStyle = el.value ? style : getComputedStyle(el, '::placeholder');
          const text = value.replace(/\s+/g, ' ').trim();
          pushText(text, fieldTextRect(el, style, textStyle, text, tag === 'textarea'), textStyle, tag);
        }
      }
    }
    if (tag === 'select' && el.selectedOptions && el.selectedOptions.length) {
      const label = el.selectedOptions[0].text;
      const text = label.replace(/\s+/g, ' ').trim();
      if (/\S/.test(label)) pushText(text, fieldTextRect(el, style, style, text, false), style, tag);
    }
    if (!(hasBg || hasImage || border || replaced)) return;
    const box = clip(el.getBoundingClientRect());
    if (!box) return;
    if (elements.length >= maxElements) { truncated = true; return; }
    elements.push([tag, ...box, hasBg ? bg.slice(0, 3) : null, border ? border.slice(0, 3) : null,
                   r2(parseFloat(style.borderTopLeftRadius) || 0)]);
  };

  const walk = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    let node = walker.currentNode;
    if (node.nodeType !== Node.ELEMENT_NODE) node = walker.nextNode();
    while (node) {
      if (node.nodeType === Node.TEXT_NODE) {
        visitText(node);
      } else {
        visitElement(node);
        if (node.shadowRoot) walk(node.shadowRoot);
      }
      node = walker.nextNode();
    }
  };
  if (de) walk(de);

  return {fullHeight, height, width, scrollX: window.scrollX, scrollY: window.scrollY, texts, elements, truncated};
}
"""


def _rgb(value: Any) -> tuple[int, int, int] | None:
    if value is None:
        return None
    r, g, b = (max(0, min(255, int(v))) for v in value[:3])
    return (r, g, b)


def parse_survey(data: dict[str, Any]) -> tuple[tuple[TextBox, ...], tuple[ElementBox, ...]]:
    """Turn the survey's compact arrays into the pipeline's TextBox and ElementBox values."""
    texts = tuple(
        TextBox(
            text=str(t[0]),
            box=Box(float(t[1]), float(t[2]), float(t[3]), float(t[4])),
            color=_rgb(t[5:8]) or (0, 0, 0),
            font_size=float(t[8]),
            font_weight=int(t[9]),
            tag=str(t[10]),
        )
        for t in data.get("texts", [])
    )
    elements = tuple(
        ElementBox(
            tag=str(e[0]),
            box=Box(float(e[1]), float(e[2]), float(e[3]), float(e[4])),
            background=_rgb(e[5]),
            border_color=_rgb(e[6]),
            border_radius=float(e[7]),
        )
        for e in data.get("elements", [])
    )
    return texts, elements
