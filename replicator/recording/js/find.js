// Find what a person would click, by what they read: the visible element whose text is the
// trigger's text (exact, then containing it, then alike, to forgive OCR's misreadings), the one
// nearest to where it was when there are several. Shared by the replica's wiring and by replay.
function replicatorFind(root, text, box) {
  "use strict";
  function norm(s) { return (s || "").replace(/\s+/g, " ").trim(); }
  function bigrams(s) {
    var out = {}, n = 0;
    s = s.toLowerCase().replace(/\s+/g, "");
    for (var i = 0; i < s.length - 1; i++) { var g = s.substr(i, 2); out[g] = (out[g] || 0) + 1; n++; }
    return { grams: out, n: n };
  }
  function dice(a, b) {
    var x = bigrams(a), y = bigrams(b), hit = 0;
    if (!x.n || !y.n) { return a.toLowerCase() === b.toLowerCase() ? 1 : 0; }
    for (var g in x.grams) { if (y.grams[g]) { hit += Math.min(x.grams[g], y.grams[g]); } }
    return (2 * hit) / (x.n + y.n);
  }
  function visible(el) {
    var r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) { return false; }
    var st = getComputedStyle(el);
    return st.visibility !== "hidden" && st.display !== "none" && Number(st.opacity) > 0.05;
  }
  var want = norm(text);
  if (!want || !root) { return null; }
  var best = null;
  var nodes = root.querySelectorAll("*");
  for (var i = 0; i < nodes.length; i++) {
    var el = nodes[i];
    var tag = el.tagName.toLowerCase();
    if (tag === "script" || tag === "style" || tag === "svg" || tag === "path") { continue; }
    var own = norm(el.innerText !== undefined ? el.innerText : el.textContent);
    if (tag === "input" || tag === "textarea") { own = norm(el.value || el.getAttribute("placeholder")); }
    if (!own || own.length > want.length * 3 + 40) { continue; }
    var rank;
    if (own === want) { rank = 3; }
    else if (own.toLowerCase() === want.toLowerCase()) { rank = 2.9; }
    else if (own.indexOf(want) >= 0) { rank = 2; }
    else {
      var d = dice(own, want);
      if (d < 0.72) { continue; }
      rank = 1 + d;
    }
    if (!visible(el)) { continue; }
    var r = el.getBoundingClientRect();
    var dist = 0;
    if (box) {
      var cx = r.left + r.width / 2, cy = r.top + r.height / 2;
      dist = Math.abs(cx - (box[0] + box[2] / 2)) + Math.abs(cy - (box[1] + box[3] / 2));
    }
    var area = r.width * r.height;
    // Higher rank first; then nearer; then the smaller element (the label, not its whole card).
    if (!best || rank > best.rank + 1e-9 ||
        (Math.abs(rank - best.rank) < 1e-9 && (dist < best.dist - 4 || (Math.abs(dist - best.dist) <= 4 && area < best.area)))) {
      best = { el: el, rank: rank, dist: dist, area: area };
    }
  }
  return best ? best.el : null;
}
