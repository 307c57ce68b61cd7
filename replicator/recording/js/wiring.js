// The replica's interactions, from the recording's interaction model (steps.py). Each recorded
// click is bound to the element that shows the clicked text, in every view that has it, and does
// what the pattern does: a disclosure toggles its own panel (copied from the state that showed it
// open, so panels open and close in any order), a tab or a link shows its view from wherever it is
// clicked, an overlay's trigger toggles it, and another page gets its own history entry (#view-N)
// so the browser's back button returns. Plain ES5 on purpose: it must pass the sanitizer and CSP.
(function () {
  "use strict";
  var M = /*MODEL*/null;
  var STATE = "data-replicator-state", GO = "data-replicator-go", PANEL = "data-replicator-panel";
  var containers = Array.prototype.slice.call(document.querySelectorAll("[" + STATE + "]"));
  var views = M.views;  // key state -> the container that shows it
  var current = 0;
  var panels = {};  // step number -> {wrapper, view, at, exclusive, open, marks}
  var bound = [];   // {el, view, action}: the elements that do something, in the view they are in

  function container(state) { return containers[views[state]]; }
  // A box [x, y, w, h] of the recording in page pixels of ``root`` (the recording's width may differ).
  function scaleBox(box, root) {
    if (!box) { return null; }
    var r = root.getBoundingClientRect(), k = r.width / (M.width || r.width);
    return [r.left + box[0] * k, r.top + box[1] * k, box[2] * k, box[3] * k];
  }
  function showOnly(index) {
    containers.forEach(function (el, i) { el.hidden = i !== index; });
  }
  // The element to click for a trigger: the text's element (or what is at the click point when it
  // had none), or the control it belongs to (a link, a button, a tab).
  function target(root, step) {
    var el = step.text ? replicatorFind(root, step.text, scaleBox(step.box, root)) : null;
    if (!el && step.point) {
      var at = scaleBox([step.point[0], step.point[1], 0, 0], root);
      var hit = document.elementFromPoint(at[0], at[1]);
      el = hit && root.contains(hit) && hit !== root ? hit : null;
    }
    if (!el) { return null; }
    var control = el.closest("a,button,summary,label,[role=button],[role=tab],[role=link],[role=menuitem],[role=option]");
    if (control && root.contains(control)) { return control; }
    return el;
  }
  // Where a panel goes: after the trigger's nearest ancestor that nothing sits beside.
  function rowOf(el, root) {
    for (var x = el; x && x !== root; x = x.parentElement) {
      var next = x.nextElementSibling, r = x.getBoundingClientRect();
      while (next && getComputedStyle(next).position === "absolute") { next = next.nextElementSibling; }
      if (!next || next.getBoundingClientRect().top >= r.bottom - 2) { return x; }
    }
    return el;
  }
  function freeze(from, to) {
    var cs = getComputedStyle(from), css = [];
    for (var i = 0; i < cs.length; i++) {
      var p = cs[i];
      if (/^(transition|animation)/.test(p)) { continue; }
      css.push(p + ":" + cs.getPropertyValue(p));
    }
    to.setAttribute("style", css.join(";"));
    to.removeAttribute("id");
    for (var j = 0; j < from.children.length && j < to.children.length; j++) { freeze(from.children[j], to.children[j]); }
  }
  function buildPanel(step) {
    var source = containers[step.to], base = container(step.from);
    showOnly(step.to);
    var trigger = target(source, step);
    if (!trigger) { return false; }
    var row = rowOf(trigger, source);
    var top = row.getBoundingClientRect().bottom - 1;
    var anchor = step.anchor ? replicatorFind(source, step.anchor, null) : null;
    var bottom = anchor ? anchor.getBoundingClientRect().top + 1 : source.getBoundingClientRect().bottom + 1;
    var picked = [], boxes = [];
    var nodes = source.querySelectorAll("*");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i], r = el.getBoundingClientRect();
      if (r.height < 1 || r.width < 1 || r.top < top || r.bottom > bottom || row.contains(el) || el.contains(row)) { continue; }
      if (picked.some(function (p) { return p.contains(el); })) { continue; }
      if (anchor && (el.contains(anchor) || anchor.contains(el))) { continue; }
      picked.push(el);
      boxes.push(r);
    }
    if (!picked.length) { return false; }
    var wrapper = document.createElement("div");
    wrapper.setAttribute(PANEL, String(step.n));
    wrapper.style.cssText = "display:flow-root;position:relative;margin:0;padding:0";
    var clones = picked.map(function (el) { var c = el.cloneNode(true); freeze(el, c); wrapper.appendChild(c); return c; });
    showOnly(views[step.from]);
    var baseTrigger = target(base, step);
    if (!baseTrigger) { return false; }
    var baseRow = rowOf(baseTrigger, base);
    baseRow.parentNode.insertBefore(wrapper, baseRow.nextSibling);
    var wr = wrapper.getBoundingClientRect();
    clones.forEach(function (c, i) {
      if (c.style.position === "absolute" || c.style.position === "fixed") {
        c.style.position = "absolute";
        c.style.left = (boxes[i].left - wr.left) + "px";
        c.style.top = (boxes[i].top - top) + "px";
      }
    });
    var at = wr.top - base.getBoundingClientRect().top;
    // The trigger's own pictures as the open state draws them (a "+" become "-", a chevron turned),
    // swapped in while the panel is open. Pictures only: the row's layout stays the page's own.
    var marks = [];
    var closedImgs = baseRow.querySelectorAll("img"), openImgs = row.querySelectorAll("img");
    if (closedImgs.length === openImgs.length) {
      for (var m = 0; m < closedImgs.length; m++) {
        marks.push({ el: closedImgs[m], attr: "src", closed: closedImgs[m].getAttribute("src"), open: openImgs[m].getAttribute("src") });
      }
    }
    var closedSvgs = baseRow.querySelectorAll("svg"), openSvgs = row.querySelectorAll("svg");
    if (closedSvgs.length === openSvgs.length) {
      for (var n = 0; n < closedSvgs.length; n++) {
        marks.push({ el: closedSvgs[n], attr: null, closed: closedSvgs[n].innerHTML, open: openSvgs[n].innerHTML });
      }
    }
    panels[step.n] = { wrapper: wrapper, view: views[step.from], at: at, exclusive: step.exclusive, open: true, marks: marks };
    setOpen(panels[step.n], false);
    bind(baseTrigger, views[step.from], { panel: step.n });
    return true;
  }
  function floating(root) {
    var out = [], nodes = root.querySelectorAll("*");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      if (el.closest("[" + PANEL + "]")) { continue; }
      if (getComputedStyle(el).position === "absolute" && !out.some(function (o) { return o.el.contains(el); })) {
        out.push({ el: el, top: el.getBoundingClientRect().top - root.getBoundingClientRect().top });
      }
    }
    return out;
  }
  var floats = {};
  // Pictures placed absolutely below an open panel move down with the page's flow.
  function reflow(view) {
    var open = Object.keys(panels).map(function (k) { return panels[k]; })
      .filter(function (p) { return p.view === view && p.open; });
    (floats[view] || []).forEach(function (f) {
      var shift = 0;
      open.forEach(function (p) { if (p.at <= f.top + 1) { shift += p.wrapper.getBoundingClientRect().height; } });
      f.el.style.translate = shift ? "0 " + shift + "px" : "";
    });
  }
  function setOpen(p, open) {
    p.open = open;
    (p.marks || []).forEach(function (mark) {
      var value = open ? mark.open : mark.closed;
      if (value === null || value === undefined) { return; }
      if (mark.attr) { mark.el.setAttribute(mark.attr, value); } else { mark.el.innerHTML = value; }
    });
    p.wrapper.style.display = open ? "flow-root" : "none";
    p.wrapper.setAttribute("aria-hidden", open ? "false" : "true");
  }
  function togglePanel(n) {
    var p = panels[n];
    var opening = !p.open;
    if (opening && p.exclusive) {
      Object.keys(panels).forEach(function (k) { if (panels[k].view === p.view) { setOpen(panels[k], false); } });
    }
    setOpen(p, opening);
    reflow(p.view);
  }
  function bind(el, view, action) {
    if (!el) { return; }
    if (bound.some(function (b) { return b.el === el; })) { return; }
    bound.push({ el: el, view: view, action: action });
    el.setAttribute(GO, "");
    if (!el.matches("a,button,summary,input,select,textarea,[tabindex]")) {
      el.setAttribute("tabindex", "0");
      if (!el.getAttribute("role")) { el.setAttribute("role", "button"); }
    }
  }
  function show(view, push) {
    showOnly(view);
    current = view;
    document.documentElement.setAttribute("data-replicator-current", String(view));
    var bg = getComputedStyle(containers[view]).backgroundColor;
    document.documentElement.style.backgroundColor = bg === "rgba(0, 0, 0, 0)" ? "" : bg;
    if (push) {
      if (location.hash !== "#view-" + view) { location.hash = "view-" + view; }
    }
    window.scrollTo(0, 0);
  }
  function act(action) {
    if (action.panel !== undefined) { togglePanel(action.panel); return; }
    show(action.view, action.push);
  }
  function fromHash() {
    var m = /^#view-(\d+)$/.exec(location.hash);
    return m && containers[Number(m[1])] ? Number(m[1]) : 0;
  }
  // --- build ---
  var pages = {};
  M.steps.forEach(function (s) { pages[views[s.from]] = true; pages[views[s.to]] = true; });
  M.steps.forEach(function (s) {
    if (!s.panel) { return; }
    var built = false;
    try { built = buildPanel(s); } catch (e) { built = false; }
    if (!built) { s.panel = false; views[s.to] = s.to; pages[s.to] = true; }
  });
  Object.keys(pages).forEach(function (v) {
    showOnly(Number(v));
    floats[v] = floating(containers[Number(v)]);
  });
  // Views: every other step shows the view of the state it reached. A tab or a link does so from
  // every view that shows the same text; other triggers from the view they were clicked in.
  M.steps.forEach(function (s) {
    if (s.panel || s.skip) { return; }
    var action = { view: views[s.to], push: s.kind === "navigate" };
    var everywhere = s.kind === "select" || s.kind === "navigate";
    var order = [views[s.from]].concat(Object.keys(pages).map(Number).filter(function (v) {
      return everywhere && v !== views[s.from];
    }));
    order.forEach(function (v) {
      showOnly(v);
      bind(target(containers[v], s), v, action);
    });
  });
  // The trigger of an overlay, clicked again where the overlay is open, closes it.
  M.steps.forEach(function (s) {
    if (s.kind !== "overlay" || s.returns_to !== null) { return; }
    showOnly(views[s.to]);
    bind(target(containers[views[s.to]], s), views[s.to], { view: views[s.from], push: false });
  });
  document.addEventListener("click", function (event) {
    var go = event.target && event.target.closest ? event.target.closest("[" + GO + "]") : null;
    if (!go) { return; }
    var hit = null;
    bound.forEach(function (b) { if (b.el === go && b.view === current) { hit = b; } });
    if (!hit) { return; }
    event.preventDefault();
    event.stopPropagation();
    act(hit.action);
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" && event.key !== " ") { return; }
    var go = event.target && event.target.closest ? event.target.closest("[" + GO + "]") : null;
    if (go && !go.matches("a,button")) { event.preventDefault(); go.click(); }
  }, true);
  window.addEventListener("hashchange", function () { show(fromHash(), false); });
  show(fromHash(), false);
})();
