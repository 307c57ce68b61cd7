"""Ground truth from a live DOM: the text lines a reader sees, graphics, form controls and tables.

One survey (``SURVEY_JS``, run inside the page) plus the fonts Chromium really used (CDP's
``CSS.getPlatformFontsForNode``). ``fixtures/realpages/make.py`` runs it on the source pages to
write their truth; ``bench/fidelity.py`` runs the same survey on the replicas, so both sides are
measured by one rule. Boxes are ``[x, y, w, h]`` in CSS pixels of the full-page screenshot (document
coordinates, clamped to the screenshot) and only the visible part of an element counts.

Rules (the same on both sides):

- **lines**: one entry per visual line of a block. Characters are placed one by one with a Range;
  a block is the nearest ancestor whose display is not inline-level (so links, ``<b>`` and badges
  inside a sentence stay in its line; buttons and flex/grid items are their own blocks). A new line
  starts where a character leaves the current line's band or after a horizontal gap over 3 em; a
  space is written where the DOM has a rendered (non-zero-width) space or where two characters of
  different text nodes are more than 0.2 em apart (a margin reads as a space; a drop cap does not). Text is as rendered: ``text-transform`` applied, text clipped away by
  an ``overflow`` ancestor dropped, pseudo-element content (``::before``) and list markers not
  included. Form controls' own text (value, placeholder, the selected option) is a line with
  ``control: true``. The style is that of the element holding most of the line's characters;
  ``mixed`` says another style holds at least a fifth of them.
- **family**: the font Chromium drew most of the line's glyphs with (platform font, so a subset of
  Inter embedded under another name still reads "Inter"); without it, the first family of the
  computed stack that is loaded or installed.
- **graphics**: icon-font icons (``fa-solid fa-bell``, ``bi-bell``), ``img``, top-level ``svg``,
  ``canvas`` and ``url()`` background images (not the ones form controls paint for their own
  arrows and ticks), and what ``::before``/``::after`` draw: a background image, or a triangle or
  chevron made of borders (``css-caret``: Bootstrap's dropdown caret; ``css-chevron``), boxed by
  CDP. ``group`` is ``icon`` (icon fonts, CSS carets, svg up to 48 px), ``chart`` (canvas) or
  ``image``.
- **controls**: inputs by type, ``switch`` for a checkbox drawn as a toggle, ``select``,
  ``textarea``, ``button``/``submit``, and ``link-button``: an ``<a>`` that paints a background or a
  full border (Bootstrap's ``.btn``, pagination links). A visually hidden checkbox whose label draws
  the control (Flowbite's toggles) is placed where that drawing is.
- **tables**: each ``<table>`` with its visible rows (header rows included) and columns (colspans
  counted).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

from playwright.async_api import Error as PlaywrightError

Box = tuple[float, float, float, float]

SURVEY_JS = r"""
(opts) => {
  const maxHeight = opts.maxHeight;
  const de = document.documentElement, body = document.body || de;
  const vw = window.innerWidth, vh = window.innerHeight;
  const fullHeight = Math.max(vh, Math.ceil(Math.max(de.scrollHeight, body.scrollHeight)));
  const W = vw, H = Math.min(fullHeight, maxHeight);
  const dx = window.scrollX, dy = window.scrollY;
  const r1 = (n) => Math.round(n * 10) / 10;

  const styles = new Map();
  const cs = (el) => { let s = styles.get(el); if (!s) { s = getComputedStyle(el); styles.set(el, s); } return s; };
  const vis = new Map();
  const visible = (el) => {
    let v = vis.get(el);
    if (v === undefined) {
      v = el.checkVisibility ? el.checkVisibility({opacityProperty: true, visibilityProperty: true}) : true;
      if (v && cs(el).clip && cs(el).clip !== 'auto') v = false;  // .visually-hidden, .sr-only
      if (v && el.parentElement && el.parentElement !== de && !visible(el.parentElement)) v = false;
      vis.set(el, v);
    }
    return v;
  };
  let colorCtx = null;
  const rgba = (value) => {
    const m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+)(%?))?\s*\)$/.exec(value || '');
    if (m) return [Math.round(+m[1]), Math.round(+m[2]), Math.round(+m[3]),
                   m[4] === undefined ? 1 : parseFloat(m[4]) / (m[5] ? 100 : 1)];
    if (!colorCtx) {
      const c = document.createElement('canvas'); c.width = c.height = 1;
      colorCtx = c.getContext('2d', {willReadFrequently: true});
    }
    colorCtx.globalCompositeOperation = 'copy';
    colorCtx.fillStyle = 'rgba(0,0,0,0)'; colorCtx.fillStyle = value; colorCtx.fillRect(0, 0, 1, 1);
    const d = colorCtx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  };

  // The region (document coordinates) an element's content can be seen in: the page, cut by every
  // ancestor that clips its overflow (at its padding box).
  const clips = new Map();
  const clipOf = (el) => {
    if (!el || el === de || el === body) return [0, 0, W, H];
    let c = clips.get(el);
    if (c) return c;
    c = clipOf(el.parentElement).slice();
    const s = cs(el);
    if (s.position === 'fixed') c = [0, 0, W, H];
    const ox = s.overflowX !== 'visible', oy = s.overflowY !== 'visible';
    if (ox || oy) {
      const r = el.getBoundingClientRect();
      if (ox) {
        c[0] = Math.max(c[0], r.left + dx + parseFloat(s.borderLeftWidth));
        c[2] = Math.min(c[2], r.right + dx - parseFloat(s.borderRightWidth));
      }
      if (oy) {
        c[1] = Math.max(c[1], r.top + dy + parseFloat(s.borderTopWidth));
        c[3] = Math.min(c[3], r.bottom + dy - parseFloat(s.borderBottomWidth));
      }
    }
    clips.set(el, c);
    return c;
  };
  // The visible part of a viewport rect as [x, y, w, h], or null.
  const boxIn = (r, c) => {
    const x0 = Math.max(c[0], r.left + dx), y0 = Math.max(c[1], r.top + dy);
    const x1 = Math.min(c[2], r.right + dx), y1 = Math.min(c[3], r.bottom + dy);
    if (x1 - x0 < 2 || y1 - y0 < 2) return null;
    return [r1(x0), r1(y0), r1(x1 - x0), r1(y1 - y0)];
  };

  // --- elements whose fonts Python asks Chromium about -------------------------------------------
  const fontEls = [];
  const fontIndex = new Map();
  const fontOf = (el) => {
    let i = fontIndex.get(el);
    if (i === undefined) {
      i = fontEls.length; fontEls.push(el); fontIndex.set(el, i);
      el.setAttribute('data-truth-font', String(i));
    }
    return i;
  };
  const installed = new Set((opts.installed || []).map((f) => f.toLowerCase()));
  const generics = opts.generics || {};
  const faces = new Map();
  if (document.fonts) for (const f of document.fonts) {
    const fam = f.family.replace(/^["']|["']$/g, '').toLowerCase();
    faces.set(fam, (faces.get(fam) || false) || f.status === 'loaded');
  }
  const stackFamily = (s) => {
    const fams = s.fontFamily.split(',').map((f) => f.trim().replace(/^["']|["']$/g, ''));
    for (const f of fams) {
      const low = f.toLowerCase();
      if (generics[low]) return generics[low];
      if (faces.get(low) || installed.has(low)) return f;
    }
    return generics['sans-serif'] || fams[0] || '';
  };
  const styleRecord = (el, s, color) => ({
    font: fontOf(el),
    stack: s.fontFamily,
    stack_family: stackFamily(s),
    size: r1(parseFloat(s.fontSize) || 0),
    weight: parseInt(s.fontWeight, 10) || 400,
    style: s.fontStyle.startsWith('italic') || s.fontStyle.startsWith('oblique') ? 'italic' : 'normal',
    color: color,
    letter_spacing: s.letterSpacing === 'normal' ? 0 : r1(parseFloat(s.letterSpacing) || 0),
    transform: s.textTransform,
    variant: s.fontVariantCaps || 'normal',
  });

  // --- lines ---------------------------------------------------------------------------------------
  const blocks = new Map();
  const blockOf = (el) => {
    let b = blocks.get(el);
    if (b !== undefined) return b;
    const d = cs(el).display;
    const inlineLevel = (d.startsWith('inline') || d === 'contents') && !['BUTTON', 'SELECT'].includes(el.tagName);
    b = inlineLevel && el.parentElement && el !== body ? blockOf(el.parentElement) : el;
    blocks.set(el, b);
    return b;
  };
  const clipText = (el) => {
    for (let e = el; e && e !== body; e = e.parentElement) {
      const s = cs(e);
      if (s.webkitBackgroundClip === 'text' || s.backgroundClip === 'text') return e;
    }
    return null;
  };
  const transformChar = (ch, t, wordStart) => {
    if (t === 'uppercase') return ch.toUpperCase();
    if (t === 'lowercase') return ch.toLowerCase();
    if (t === 'capitalize' && wordStart) return ch.toUpperCase();
    return ch;
  };
  const lines = [];        // finished and open lines, in creation order
  const openLine = new Map();  // block -> its current line
  const range = document.createRange();
  const styleRecs = new Map();
  let lineSerial = 0;
  const blockIds = new Map();
  const blockId = (b) => { let i = blockIds.get(b); if (i === undefined) { i = blockIds.size; blockIds.set(b, i); } return i; };

  const addChar = (block, ch, r, el, node, size, pendingSpace) => {
    let cur = openLine.get(block);
    const h = r.bottom - r.top;
    if (cur) {
      const overlap = Math.min(cur.bottom, r.bottom) - Math.max(cur.top, r.top);
      const gap = r.left - cur.lastRight;
      const sameBand = overlap >= 0.5 * Math.min(h, cur.bottom - cur.top);
      if (!sameBand || gap > 3 * size || gap < -size) cur = null;
      // a gap between two elements reads as a space; inside one text node only a real space does
      // (a floated drop cap is no word break)
      else if (pendingSpace || cur.pendingSpace || (node !== cur.lastNode && gap > 0.2 * size)) {
        if (!cur.text.endsWith(' ')) cur.text += ' ';
      }
    }
    if (!cur) {
      cur = {block: blockId(block), serial: lineSerial++, text: '', left: r.left, right: r.right, top: r.top,
             bottom: r.bottom, lastRight: r.right, counts: new Map()};
      lines.push(cur);
      openLine.set(block, cur);
    }
    cur.text += ch;
    cur.left = Math.min(cur.left, r.left); cur.right = Math.max(cur.right, r.right);
    cur.top = Math.min(cur.top, r.top); cur.bottom = Math.max(cur.bottom, r.bottom);
    cur.lastRight = r.right;
    cur.pendingSpace = false;
    cur.lastNode = node;
    cur.counts.set(el, (cur.counts.get(el) || 0) + 1);
  };

  const textWalker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  for (let node = textWalker.nextNode(); node; node = textWalker.nextNode()) {
    const el = node.parentElement;
    if (!el || !/\S/.test(node.data)) continue;
    if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'OPTION', 'OPTGROUP', 'TEXTAREA', 'TITLE'].includes(el.tagName)) continue;
    if (el.closest('svg')) continue;  // text drawn inside an svg is part of that graphic
    if (!visible(el)) continue;
    const s = cs(el);
    let color = rgba(s.color);
    if (color[3] < 0.05) {
      const painter = clipText(el);
      if (!painter) continue;
      color = [0, 0, 0, 1];  // gradient text: the colour is the background's, not one value
    }
    if (!styleRecs.has(el)) styleRecs.set(el, styleRecord(el, s, color.slice(0, 3)));
    const block = blockOf(el);
    const clip = clipOf(el);
    const size = parseFloat(s.fontSize) || 16;
    const t = s.textTransform;
    const data = node.data;
    let pendingSpace = false;
    let prevChar = ' ';
    let index = 0;
    for (const ch of data) {
      const start = index;
      index += ch.length;
      range.setStart(node, start);
      range.setEnd(node, index);
      const rects = range.getClientRects();
      let r = null;
      for (const q of rects) { if (q.width > 0 || q.height > 0) { r = q; break; } }
      if (/\s/.test(ch)) {
        if (r && r.width > 0) pendingSpace = true;
        prevChar = ' ';
        continue;
      }
      if (!r || r.height <= 0) continue;
      const cx = (r.left + r.right) / 2 + dx, cy = (r.top + r.bottom) / 2 + dy;
      if (cx < clip[0] || cx > clip[2] || cy < clip[1] || cy > clip[3]) { prevChar = ch; continue; }
      const wordStart = /[\s(\[{"'\-\/]/.test(prevChar);
      addChar(block, transformChar(ch, t, wordStart), r, el, node, size, pendingSpace);
      pendingSpace = false;
      prevChar = ch;
    }
    // a space at a node's end (before the next inline element) is pending for the next character
    const cur = openLine.get(block);
    if (cur && pendingSpace && !cur.text.endsWith(' ')) cur.pendingSpace = true;
  }

  const outLines = [];
  for (const ln of lines) {
    const text = ln.text.replace(/\s+/g, ' ').trim();
    if (!text) continue;
    const box = boxIn({left: ln.left, top: ln.top, right: ln.right, bottom: ln.bottom}, [0, 0, W, H]);
    if (!box) continue;
    let best = null, bestN = -1, total = 0;
    for (const [el, n] of ln.counts) { total += n; if (n > bestN) { best = el; bestN = n; } }
    const rec = styleRecs.get(best);
    let mixed = false;
    for (const [el, n] of ln.counts) {
      if (el === best || n < 0.2 * total) continue;
      const o = styleRecs.get(el);
      if (o.stack !== rec.stack || o.size !== rec.size || o.weight !== rec.weight || o.style !== rec.style
          || o.color.join() !== rec.color.join()) mixed = true;
    }
    outLines.push({text, box, block: ln.block, control: false, mixed, ...rec});
  }

  // --- controls ---------------------------------------------------------------------------------
  const TEXTISH = new Set(['text', 'email', 'password', 'search', 'number', 'url', 'tel', '']);
  const paints = (el) => {
    const s = cs(el);
    if (rgba(s.backgroundColor)[3] > 0.05) return true;
    let sides = 0;
    for (const side of ['Top', 'Right', 'Bottom', 'Left']) {
      if (parseFloat(s[`border${side}Width`]) > 0 && !['none', 'hidden'].includes(s[`border${side}Style`])
          && rgba(s[`border${side}Color`])[3] > 0.05) sides += 1;
    }
    return sides === 4;
  };
  const switchLike = (el) => {
    if ((el.getAttribute('role') || '') === 'switch') return true;
    for (let e = el, i = 0; e && i < 3; e = e.parentElement, i++) {
      const cn = typeof e.className === 'string' ? e.className : '';
      if (/(^|[\s_-])(switch|toggle)([\s_-]|$)/i.test(cn)) return true;
    }
    return false;
  };
  const controls = [];
  const anchors = [];
  const controlLine = (el, text, s, color) => {
    if (!/\S/.test(text)) return;
    const box = boxIn(el.getBoundingClientRect(), clipOf(el));
    if (!box) return;
    const t = s.textTransform;
    let out = text.replace(/\s+/g, ' ').trim();
    if (t === 'uppercase') out = out.toUpperCase();
    else if (t === 'lowercase') out = out.toLowerCase();
    else if (t === 'capitalize') out = out.replace(/(^|\s)(\S)/g, (m, a, b) => a + b.toUpperCase());
    outLines.push({text: out, box, block: -1, control: true, mixed: false, ...styleRecord(el, s, color.slice(0, 3))});
  };
  const elWalker = document.createTreeWalker(body, NodeFilter.SHOW_ELEMENT);
  const graphics = [];
  const tables = [];
  const FA_STYLE = {'fa-solid': 'fa-solid', 'fas': 'fa-solid', 'fa-regular': 'fa-regular', 'far': 'fa-regular',
                    'fa-brands': 'fa-brands', 'fab': 'fa-brands', 'fa': 'fa-solid'};
  const FA_MODIFIER = /^fa-(\d+x|xs|sm|lg|xl|2xs|2xl|fw|li|ul|border|pull-(left|right|start|end)|spin|pulse|beat|fade|beat-fade|bounce|flip|shake|spin-pulse|spin-reverse|rotate-\d+|rotate-by|flip-(horizontal|vertical|both)|stack|stack-1x|stack-2x|inverse|width-auto|solid|regular|brands|light|thin|duotone|sharp|classic)$/;
  const iconName = (el) => {
    const cl = Array.from(el.classList);
    if (cl.includes('bi')) {
      const n = cl.find((c) => c.startsWith('bi-'));
      if (n) return n;
    }
    const styleClass = cl.find((c) => c in FA_STYLE);
    const n = cl.find((c) => c.startsWith('fa-') && !FA_MODIFIER.test(c));
    if (styleClass && n) return `${FA_STYLE[styleClass]} ${n}`;
    return null;
  };
  const graphicGroup = (kind, box) => kind === 'icon' ? 'icon'
    : kind === 'canvas' ? 'chart'
    : kind === 'svg' && Math.max(box[2], box[3]) <= 48 ? 'icon' : 'image';
  const addGraphic = (el, kind, name) => {
    let r = el.getBoundingClientRect();
    if (kind === 'icon') {
      // An icon font's glyph is one em tall, centred on its element (whose own box follows the
      // line height: Font Awesome's fa-lg sets it to 0.05 em).
      const fs = parseFloat(cs(el).fontSize) || 16, cy = (r.top + r.bottom) / 2;
      r = {left: r.left, right: r.right, top: cy - fs / 2, bottom: cy + fs / 2};
    }
    const box = boxIn(r, clipOf(el));
    if (!box) return;
    graphics.push({kind, name, group: graphicGroup(kind, box), box});
  };
  const urlName = (u) => {
    if (u.startsWith('data:')) return u.slice(0, u.search(/[;,]/));
    return u.split(/[?#]/)[0].split('/').pop() || u;
  };

  // Graphics drawn by ::before/::after: a background image, or a CSS triangle or chevron made of
  // borders (Bootstrap's dropdown caret, Bulma's select arrow). Their boxes come from CDP.
  const pseudos = [];
  const pseudoGraphic = (ps) => {
    if (!ps || ps.content === 'none' || ps.content === 'normal' || ps.display === 'none') return null;
    if (ps.visibility === 'hidden' || parseFloat(ps.opacity) < 0.05) return null;
    if (ps.backgroundImage && ps.backgroundImage.includes('url(')) {
      const m = /url\(["']?([^"')]*)/.exec(ps.backgroundImage);
      return ['background', urlName(m ? m[1] : '')];
    }
    const sides = ['Top', 'Right', 'Bottom', 'Left'].map((sd) => {
      if (!(parseFloat(ps[`border${sd}Width`]) > 0) || ['none', 'hidden'].includes(ps[`border${sd}Style`])) return '0';
      return rgba(ps[`border${sd}Color`])[3] > 0.05 ? 'c' : 't';
    });
    const colored = sides.filter((x) => x === 'c').length, clear = sides.filter((x) => x === 't').length;
    if (colored >= 1 && clear >= 1 && colored + clear >= 3) return ['icon', 'css-caret'];
    const adjacent = [0, 1, 2, 3].some((i) => sides[i] === 'c' && sides[(i + 1) % 4] === 'c');
    if (colored === 2 && clear === 0 && adjacent && ps.transform !== 'none') return ['icon', 'css-chevron'];
    return null;
  };

  for (let el = elWalker.nextNode(); el; el = elWalker.nextNode()) {
    const tag = el.localName;
    if (el.ownerSVGElement) continue;
    if (['script', 'style', 'template', 'noscript', 'option', 'optgroup'].includes(tag)) continue;
    const shown = visible(el);
    // a visually hidden checkbox may be drawn by its label (below); anything else hidden is skipped
    if (!shown && !(tag === 'input' && ['checkbox', 'radio'].includes(el.type) && cs(el).display !== 'none')) continue;
    const s = cs(el);
    // graphics
    const icon = tag !== 'svg' ? iconName(el) : null;
    if (!shown) {}
    else if (icon) addGraphic(el, 'icon', icon);
    else if (tag === 'img' && el.complete && el.naturalWidth > 0) addGraphic(el, 'img', urlName(el.currentSrc || el.src || '') || el.alt || 'img');
    else if (tag === 'svg') addGraphic(el, 'svg', (el.getAttribute('aria-label') || el.getAttribute('class') || el.id || 'svg').trim());
    else if (tag === 'canvas') addGraphic(el, 'canvas', el.id || 'canvas');
    if (shown && !['input', 'select', 'textarea', 'img', 'svg', 'canvas'].includes(tag)) {
      for (const which of ['before', 'after']) {
        const found = pseudoGraphic(getComputedStyle(el, '::' + which));
        if (found) {
          const mark = pseudos.length;
          el.setAttribute('data-truth-pseudo-' + which, String(mark));
          pseudos.push({mark, which, kind: found[0], name: found[1], clip: clipOf(el)});
        }
      }
    }
    if (shown && s.backgroundImage && s.backgroundImage.includes('url(') && !['input', 'select', 'textarea'].includes(tag)) {
      const m = /url\(["']?([^"')]*)/.exec(s.backgroundImage);
      addGraphic(el, 'background', urlName(m ? m[1] : ''));
    }
    // controls
    let kind = null;
    let at = el;
    if (tag === 'input') {
      const type = (el.getAttribute('type') || 'text').toLowerCase();
      if (type === 'hidden') continue;
      if (type === 'checkbox') kind = switchLike(el) ? 'switch' : 'checkbox';
      else if (type === 'radio') kind = 'radio';
      else if (['submit', 'button', 'reset', 'image'].includes(type)) kind = type === 'button' ? 'button' : 'submit';
      else if (type === 'range') kind = 'range';
      else kind = TEXTISH.has(type) ? (type || 'text') : type;
      if (['text', 'email', 'password', 'search', 'number', 'url', 'tel'].includes(kind)) {
        const value = el.value || el.getAttribute('placeholder') || '';
        const ts = el.value ? s : getComputedStyle(el, '::placeholder');
        if (kind !== 'password' || !el.value) controlLine(el, value, ts, rgba(ts.color));
      } else if (kind === 'submit' || kind === 'button') {
        controlLine(el, el.value || '', s, rgba(s.color));
      }
    } else if (tag === 'select') {
      kind = 'select';
      if (el.selectedOptions && el.selectedOptions.length) controlLine(el, el.selectedOptions[0].text, s, rgba(s.color));
    } else if (tag === 'textarea') {
      kind = 'textarea';
      const ts = el.value ? s : getComputedStyle(el, '::placeholder');
      controlLine(el, el.value || el.getAttribute('placeholder') || '', ts, rgba(ts.color));
    } else if (tag === 'button') {
      const type = (el.getAttribute('type') || (el.form ? 'submit' : 'button')).toLowerCase();
      kind = type === 'button' ? 'button' : 'submit';
    } else if (tag === 'a') {
      const box = boxIn(el.getBoundingClientRect(), clipOf(el));
      if (box) anchors.push(box);
      if (paints(el) && parseFloat(s.paddingLeft) + parseFloat(s.paddingTop) > 2) kind = 'link-button';
    } else if (tag === 'table') {
      const box = boxIn(el.getBoundingClientRect(), clipOf(el));
      if (box) {
        let rows = 0, cols = 0;
        for (const row of el.rows) {
          if (!visible(row)) continue;
          const rr = row.getBoundingClientRect();
          const cy = (rr.top + rr.bottom) / 2 + dy;
          if (rr.height <= 0 || cy > H) continue;
          rows += 1;
          let n = 0;
          for (const cell of row.cells) if (visible(cell)) n += cell.colSpan || 1;
          cols = Math.max(cols, n);
        }
        tables.push({box, rows, cols});
      }
    }
    if (!kind) continue;
    let box = shown ? boxIn(el.getBoundingClientRect(), clipOf(el)) : null;
    if (!box && (kind === 'checkbox' || kind === 'switch' || kind === 'radio')) {
      // A hidden input whose label draws the control: the first empty, visible sibling after it.
      for (let sib = el.nextElementSibling; sib; sib = sib.nextElementSibling) {
        if (visible(sib) && !/\S/.test(sib.textContent)) {
          box = boxIn(sib.getBoundingClientRect(), clipOf(sib));
          if (box && kind === 'checkbox' && box[2] >= 1.5 * box[3]) kind = 'switch';
          break;
        }
      }
    }
    if (!box) continue;
    controls.push({kind, box, name: (el.getAttribute('name') || el.id || '').slice(0, 40)});
  }

  return {width: W, height: H, full_height: fullHeight, viewport: [vw, vh], lines: outLines, graphics,
          controls, tables, anchors, pseudos, font_elements: fontEls.length};
}
"""


@dataclass(frozen=True)
class Line:
    text: str
    box: Box
    family: str
    family_class: str
    size: float
    weight: int
    style: str
    color: tuple[int, int, int]
    letter_spacing: float
    transform: str
    variant: str
    block: int = -1
    control: bool = False
    mixed: bool = False


@dataclass(frozen=True)
class Graphic:
    kind: str  # icon | img | svg | canvas | background
    name: str
    group: str  # icon | image | chart
    box: Box


@dataclass(frozen=True)
class Control:
    kind: str
    box: Box
    name: str = ""


@dataclass(frozen=True)
class Table:
    box: Box
    rows: int
    cols: int


@dataclass(frozen=True)
class Survey:
    width: int
    height: int
    full_height: int
    viewport: tuple[int, int]
    lines: tuple[Line, ...] = ()
    graphics: tuple[Graphic, ...] = ()
    controls: tuple[Control, ...] = ()
    tables: tuple[Table, ...] = ()
    anchors: tuple[Box, ...] = field(default=())

    def to_json(self) -> str:
        """One entry per line of the file, so a change to a page reads well in a diff."""
        data = asdict(self)
        out = ["{"]
        scalars = [k for k in data if not isinstance(data[k], list | tuple) or k == "viewport"]
        for key in scalars:
            out.append(f"  {json.dumps(key)}: {json.dumps(data[key])},")
        lists = [k for k in data if k not in scalars]
        for i, key in enumerate(lists):
            items = data[key]
            out.append(f"  {json.dumps(key)}: [")
            out.extend(
                f"    {json.dumps(item, ensure_ascii=False)}{',' if j < len(items) - 1 else ''}"
                for j, item in enumerate(items)
            )
            out.append("  ]" + ("," if i < len(lists) - 1 else ""))
        out.append("}")
        return "\n".join(out) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Survey:
        return cls(
            width=int(data["width"]),
            height=int(data["height"]),
            full_height=int(data["full_height"]),
            viewport=(int(data["viewport"][0]), int(data["viewport"][1])),
            lines=tuple(
                Line(**{**ln, "box": tuple(ln["box"]), "color": tuple(ln["color"])}) for ln in data["lines"]
            ),
            graphics=tuple(Graphic(**{**g, "box": tuple(g["box"])}) for g in data["graphics"]),
            controls=tuple(Control(**{**c, "box": tuple(c["box"])}) for c in data["controls"]),
            tables=tuple(Table(**{**t, "box": tuple(t["box"])}) for t in data["tables"]),
            anchors=tuple(tuple(a) for a in data.get("anchors", ())),  # type: ignore[misc]
        )

    @classmethod
    def from_json(cls, text: str) -> Survey:
        return cls.from_dict(json.loads(text))


# --- families ------------------------------------------------------------------------------------

_SERIF = {
    "merriweather",
    "playfair display",
    "dejavu serif",
    "liberation serif",
    "noto serif",
    "noto serif cjk sc",
    "times new roman",
    "georgia",
    "tinos",
}
_MONO = {
    "jetbrains mono",
    "roboto mono",
    "dejavu sans mono",
    "liberation mono",
    "noto sans mono",
    "courier new",
    "cousine",
    "sfmono-regular",
    "menlo",
    "consolas",
}


_STYLE_WORDS = re.compile(
    r"(\s+(\d+pt|thin|hairline|extra ?light|ultra ?light|light|regular|book|normal|medium|semi ?bold|demi ?bold"
    r"|bold|extra ?bold|ultra ?bold|black|heavy|italic|oblique))+$",
    re.IGNORECASE,
)


def family_name(platform_name: str) -> str:
    """A platform font's family without its style words ("Inter SemiBold" -> "Inter"): static web
    fonts name each weight as a family of its own."""
    return _STYLE_WORDS.sub("", platform_name.strip()) or platform_name.strip()


def family_class(family: str, stack: str = "") -> str:
    """sans, serif or mono for a family name (known families first, then the name, then the stack)."""
    name = family.strip().strip("\"'").lower()
    if name in _MONO or re.search(r"\b(mono|code|courier)\b", name):
        return "mono"
    if name in _SERIF or (re.search(r"\bserif\b", name) and "sans" not in name):
        return "serif"
    if name:
        return "sans"
    generic = stack.lower()
    if "monospace" in generic:
        return "mono"
    if re.search(r"(^|,)\s*serif", generic):
        return "serif"
    return "sans"


@cache
def system_fonts() -> tuple[tuple[str, ...], dict[str, str]]:
    """Installed family names and what fontconfig gives for CSS's generic families."""
    try:
        listing = subprocess.run(
            ["fc-list", ":", "family"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
        families = sorted({name.strip() for line in listing.splitlines() for name in line.split(",")} - {""})
        generics: dict[str, str] = {}
        for generic, pattern in (
            ("sans-serif", "sans-serif"),
            ("serif", "serif"),
            ("monospace", "monospace"),
            ("system-ui", "sans-serif"),
            ("-apple-system", "sans-serif"),
            ("ui-sans-serif", "sans-serif"),
            ("ui-serif", "serif"),
            ("ui-monospace", "monospace"),
        ):
            out = subprocess.run(
                ["fc-match", "-f", "%{family[0]}", pattern],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            ).stdout
            if out.strip():
                generics[generic] = out.strip()
    except (OSError, subprocess.SubprocessError):
        return (), {}
    return tuple(families), generics


async def _from_cdp(page: Any, raw: dict[str, Any]) -> tuple[dict[int, str], list[Graphic]]:
    """What only the browser knows: for each marked element, the family of the platform font that
    drew most of its glyphs; for each marked pseudo-element graphic, its box."""
    cdp = await page.context.new_cdp_session(page)
    try:
        await cdp.send("DOM.enable")
        await cdp.send("CSS.enable")
        doc = await cdp.send("DOM.getDocument", {"depth": -1})
        ids: dict[int, int] = {}
        pseudo_ids: dict[int, int] = {}
        stack = [doc["root"]]
        while stack:
            node = stack.pop()
            attrs = node.get("attributes") or []
            for i in range(0, len(attrs) - 1, 2):
                if attrs[i] == "data-truth-font":
                    ids[int(attrs[i + 1])] = node["nodeId"]
                elif attrs[i].startswith("data-truth-pseudo-"):
                    which = attrs[i].removeprefix("data-truth-pseudo-")
                    for pseudo in node.get("pseudoElements") or []:
                        if pseudo.get("pseudoType") == which:
                            pseudo_ids[int(attrs[i + 1])] = pseudo["nodeId"]
            stack.extend(node.get("children") or [])

        async def family(node_id: int) -> str:
            reply = await cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node_id})
            fonts = reply.get("fonts") or []
            if not fonts:
                return ""
            return str(max(fonts, key=lambda f: f.get("glyphCount", 0)).get("familyName", ""))

        names = await asyncio.gather(*(family(node_id) for node_id in ids.values()))
        graphics = []
        for item in raw.get("pseudos", []):
            node_id = pseudo_ids.get(item["mark"])
            if node_id is None:
                continue
            try:
                quad = (await cdp.send("DOM.getBoxModel", {"nodeId": node_id}))["model"]["border"]
            except PlaywrightError:  # not laid out
                continue
            clip = item["clip"]
            x0, y0 = max(min(quad[0::2]), clip[0]), max(min(quad[1::2]), clip[1])
            x1, y1 = min(max(quad[0::2]), clip[2]), min(max(quad[1::2]), clip[3])
            if x1 - x0 >= 2 and y1 - y0 >= 2:
                box = (round(x0, 1), round(y0, 1), round(x1 - x0, 1), round(y1 - y0, 1))
                # a small picture drawn by a pseudo-element is an icon (an accordion's chevron)
                small = max(box[2], box[3]) <= 32
                group = "icon" if item["kind"] == "icon" or small else "image"
                graphics.append(Graphic(item["kind"], item["name"], group, box))
        return dict(zip(ids, names, strict=True)), graphics
    finally:
        await cdp.detach()


async def survey_page(page: Any, *, max_height: int = 1600) -> Survey:
    """Run the survey in a Playwright page (already loaded and settled)."""
    installed, generics = system_fonts()
    raw: dict[str, Any] = await page.evaluate(
        SURVEY_JS, {"maxHeight": max_height, "installed": list(installed), "generics": generics}
    )
    families, pseudo_graphics = await _from_cdp(page, raw)
    lines = []
    for ln in raw["lines"]:
        family = family_name(families.get(ln["font"]) or ln["stack_family"])
        lines.append(
            Line(
                text=ln["text"],
                box=tuple(ln["box"]),  # type: ignore[arg-type]
                family=family,
                family_class=family_class(family, ln["stack"]),
                size=ln["size"],
                weight=ln["weight"],
                style=ln["style"],
                color=tuple(ln["color"]),  # type: ignore[arg-type]
                letter_spacing=ln["letter_spacing"],
                transform=ln["transform"],
                variant=ln["variant"],
                block=ln["block"],
                control=ln["control"],
                mixed=ln["mixed"],
            )
        )
    return Survey(
        width=int(raw["width"]),
        height=int(raw["height"]),
        full_height=int(raw["full_height"]),
        viewport=(int(raw["viewport"][0]), int(raw["viewport"][1])),
        lines=tuple(lines),
        graphics=tuple(Graphic(g["kind"], g["name"], g["group"], tuple(g["box"])) for g in raw["graphics"])
        + tuple(pseudo_graphics),
        controls=tuple(Control(c["kind"], tuple(c["box"]), c["name"]) for c in raw["controls"]),
        tables=tuple(Table(tuple(t["box"]), t["rows"], t["cols"]) for t in raw["tables"]),
        anchors=tuple(tuple(a) for a in raw["anchors"]),  # type: ignore[misc]
    )
