// The text a person sees on the page now: each element's own text with its box, leaving out what
// is hidden, transparent or clipped away by an ancestor (a closed accordion panel's max-height: 0).
() => {
  "use strict";
  function clipped(el, r) {
    for (var a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      var st = getComputedStyle(a);
      if (st.overflow === "visible" && st.overflowX === "visible" && st.overflowY === "visible") { continue; }
      var c = a.getBoundingClientRect();
      if (r.right <= c.left + 1 || r.left >= c.right - 1 || r.bottom <= c.top + 1 || r.top >= c.bottom - 1) { return true; }
    }
    return false;
  }
  var out = [];
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT);
  for (var el = walker.currentNode; el; el = walker.nextNode()) {
    var tag = el.tagName.toLowerCase();
    if (tag === "script" || tag === "style" || tag === "template") { continue; }
    var text = "";
    if (tag === "input" || tag === "textarea") {
      text = el.value || "";
    } else {
      for (var n = el.firstChild; n; n = n.nextSibling) { if (n.nodeType === 3) { text += n.nodeValue; } }
    }
    text = text.replace(/\s+/g, " ").trim();
    if (!text) { continue; }
    var r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) { continue; }
    if (el.checkVisibility && !el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) { continue; }
    if (clipped(el, r)) { continue; }
    var full = tag === "input" || tag === "textarea" ? text : (el.innerText || "").replace(/\s+/g, " ").trim();
    out.push({ t: text, f: full.length > text.length && full.length <= 600 ? full : "", x: r.left, y: r.top + window.scrollY, w: r.width, h: r.height });
  }
  return out;
}
