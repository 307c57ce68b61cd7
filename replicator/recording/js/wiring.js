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
  // The nearest box around the trigger's row that also draws the panel's ground (a card whose
  // open state holds the panel), not reaching below ``bottom``.
  function groundOf(row, rowBox, source, bottom, anchor) {
    for (var x = row.parentElement; x && x !== source; x = x.parentElement) {
      var r = x.getBoundingClientRect(), cs = getComputedStyle(x);
      if ((anchor && x.contains(anchor)) || r.bottom > bottom + 2 || r.top < rowBox.top - 64) { return null; }
      if (r.bottom <= rowBox.bottom + 4) { continue; }
      if (cs.backgroundImage !== "none" || !/^rgba\(.*, 0\)$|^transparent$/.test(cs.backgroundColor)) { return x; }
    }
    return null;
  }
  // A layer painting ``ground``'s background below ``fromY`` (page pixels), as it looked there.
  function groundLayer(ground, fromY) {
    var cs = getComputedStyle(ground), r = ground.getBoundingClientRect(), layer = document.createElement("div");
    var props = ["background-color", "background-image", "background-repeat", "background-size",
      "border-left", "border-right", "border-bottom", "border-bottom-left-radius", "border-bottom-right-radius"];
    var css = props.map(function (p) { return p + ":" + cs.getPropertyValue(p); });
    var pos = /^(-?[\d.]+)px (-?[\d.]+)px$/.exec(cs.backgroundPosition);
    if (pos) { css.push("background-position:" + pos[1] + "px " + (Number(pos[2]) - (fromY - r.top)) + "px"); }
    css.push("position:absolute;z-index:0;box-sizing:border-box;pointer-events:none;width:" + r.width + "px;height:" + (r.bottom - fromY) + "px");
    layer.setAttribute("style", css.join(";"));
    return { el: layer, left: r.left };
  }
  // The pictures of a row (img and svg, not the parts of an svg), in order.
  function pictures(row) {
    return Array.prototype.filter.call(row.querySelectorAll("img,svg"), function (el) {
      return !(el.parentElement && el.parentElement.closest("svg"));
    });
  }
  // The panel a click opened, copied from the state that showed it open (``step.to``) into the view
  // it was clicked in, right after the trigger's row: every part at its place and size relative to
  // the row as the open state drew it, the row's card ground below it, and the page below moved
  // down by exactly what the panel added, so the next item lands where the open state shows it.
  function buildPanel(step) {
    var source = containers[step.to], base = container(step.from);
    showOnly(step.to);
    var trigger = target(source, step);
    if (!trigger) { return false; }
    var row = rowOf(trigger, source), rowBox = row.getBoundingClientRect();
    var top = rowBox.bottom - 1;
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
    var ground = groundOf(row, rowBox, source, bottom, anchor);
    var layer = ground ? groundLayer(ground, rowBox.bottom) : null;
    var clones = picked.map(function (el) { var c = el.cloneNode(true); freeze(el, c); return c; });
    var openPictures = pictures(row).map(function (el) { var c = el.cloneNode(true); freeze(el, c); return c; });
    // Places are measured from the clicked text, which both views show, and from the container's
    // left edge (the views are laid out at the same width).
    var trig = trigger.getBoundingClientRect(), srcLeft = source.getBoundingClientRect().left;
    var extent = Math.max.apply(null, boxes.map(function (b) { return b.bottom; }).concat(ground ? [ground.getBoundingClientRect().bottom] : []));
    var reach = (anchor ? anchor.getBoundingClientRect().top : extent) - trig.top;
    showOnly(views[step.from]);
    var baseTrigger = target(base, step);
    if (!baseTrigger) { return false; }
    var baseRow = rowOf(baseTrigger, base), baseTrig = baseTrigger.getBoundingClientRect();
    var closedReach = baseRow.getBoundingClientRect().bottom - baseTrig.top;
    var baseAnchor = anchor ? replicatorFind(base, step.anchor, null) : null;
    if (baseAnchor) {
      // What the closed view already has between the text and the next item stays; the panel adds the rest.
      closedReach = Math.max(closedReach, baseAnchor.getBoundingClientRect().top - baseTrig.top);
    }
    var wrapper = document.createElement("div");
    wrapper.setAttribute(PANEL, String(step.n));
    var height = Math.max(reach - closedReach, 0);
    wrapper.style.cssText = "display:block;position:relative;margin:0;padding:0;align-self:stretch;height:" + height + "px";
    baseRow.parentNode.insertBefore(wrapper, baseRow.nextSibling);
    if (baseAnchor) {
      // A box with a minimum height around the row takes part of the panel in: the next item must
      // still land where the open state shows it.
      var short = reach - (baseAnchor.getBoundingClientRect().top - baseTrig.top);
      if (short > 0.5) { wrapper.style.height = (height + short) + "px"; }
    }
    var wr = wrapper.getBoundingClientRect();
    var dx = base.getBoundingClientRect().left - srcLeft - wr.left, dy = -trig.top - (wr.top - baseTrig.top);
    if (layer) {
      layer.el.style.left = (layer.left + dx) + "px";
      layer.el.style.top = (rowBox.bottom + dy) + "px";
      wrapper.appendChild(layer.el);
    }
    clones.forEach(function (c, i) {
      var b = boxes[i];
      c.style.position = "absolute";
      c.style.margin = "0px";
      c.style.left = (b.left + dx) + "px";
      c.style.top = (b.top + dy) + "px";
      c.style.width = b.width + "px";
      c.style.maxWidth = "none";
      c.style.zIndex = "1";
      wrapper.appendChild(c);
    });
    var at = wr.top - base.getBoundingClientRect().top;
    // The trigger's own pictures as the open state draws them (a "+" become "-", a chevron turned),
    // swapped in while the panel is open. Pictures only: the row's layout stays the page's own.
    var marks = [], closedPictures = pictures(baseRow);
    if (closedPictures.length === openPictures.length) {
      closedPictures.forEach(function (closed, m) {
        var open = openPictures[m];
        if (closed.tagName === open.tagName && closed.tagName.toLowerCase() === "img") {
          marks.push({ el: closed, attr: "src", closed: closed.getAttribute("src"), open: open.getAttribute("src") });
        } else if (closed.tagName === open.tagName) {
          marks.push({ el: closed, attr: null, closed: closed.innerHTML, open: open.innerHTML });
        } else {
          open.style.margin = getComputedStyle(closed).margin;
          marks.push({ el: closed, swap: open });
        }
      });
    }
    panels[step.n] = { wrapper: wrapper, view: views[step.from], at: at, exclusive: step.exclusive, open: true, marks: marks };
    setOpen(panels[step.n], false);
    bind(baseTrigger, views[step.from], { panel: step.n });
    return true;
  }
  // The smallest element drawing a recorded box (scaled to ``root``): what is at its centre, or
  // the ancestor that holds all of the box.
  function drawing(root, box) {
    var b = scaleBox(box, root), hit = document.elementFromPoint(b[0] + b[2] / 2, b[1] + b[3] / 2);
    if (!hit || !root.contains(hit) || hit === root) { return null; }
    for (var x = hit; x && x !== root; x = x.parentElement) {
      var r = x.getBoundingClientRect();
      if (r.width > 2.5 * b[2] + 16 || r.height > 2.5 * b[3] + 16) { break; }
      hit = x;
    }
    return hit;
  }
  // A switch, checkbox or radio flipped in place. A real control flips itself (its label's text
  // flips it too); a drawn one is swapped for the drawing of the state it was flipped to.
  function buildToggle(step) {
    var source = containers[step.to], base = container(step.from);
    showOnly(step.to);
    var flipped = drawing(source, step.changed);
    var flippedCopy = flipped ? flipped.cloneNode(true) : null;
    if (flipped) { freeze(flipped, flippedCopy); }
    showOnly(views[step.from]);
    var control = drawing(base, step.changed);
    if (!control) { return false; }
    var label = step.text ? target(base, step) : null;
    var input = control.matches("input[type=checkbox],input[type=radio]") ? control
      : control.querySelector("input[type=checkbox],input[type=radio]");
    if (input) {
      if (label && !label.contains(input)) { bind(label, views[step.from], { click: input }); }
      return true;
    }
    if (!flippedCopy) { return false; }
    flippedCopy.style.margin = getComputedStyle(control).margin;
    panels[step.n] = { wrapper: null, view: views[step.from], at: 0, exclusive: false, open: false,
      marks: [{ el: control, swap: flippedCopy }] };
    bind(control, views[step.from], { panel: step.n });
    bind(flippedCopy, views[step.from], { panel: step.n });
    if (label && label !== control) { bind(label, views[step.from], { panel: step.n }); }
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
      .filter(function (p) { return p.view === view && p.open && p.wrapper; });
    (floats[view] || []).forEach(function (f) {
      var shift = 0;
      open.forEach(function (p) { if (p.at <= f.top + 1) { shift += p.wrapper.getBoundingClientRect().height; } });
      f.el.style.translate = shift ? "0 " + shift + "px" : "";
    });
  }
  function setOpen(p, open) {
    p.open = open;
    (p.marks || []).forEach(function (mark) {
      if (mark.swap) {
        var now = open ? mark.swap : mark.el, was = open ? mark.el : mark.swap;
        if (was.parentNode) { was.parentNode.replaceChild(now, was); }
        return;
      }
      var value = open ? mark.open : mark.closed;
      if (value === null || value === undefined) { return; }
      if (mark.attr) { mark.el.setAttribute(mark.attr, value); } else { mark.el.innerHTML = value; }
    });
    if (!p.wrapper) { return; }
    p.wrapper.style.display = open ? "block" : "none";
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
    if (action.click) { action.click.click(); return; }
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
  M.steps.forEach(function (s) {
    if (!s.toggle) { return; }
    var built = false;
    try { built = buildToggle(s); } catch (e) { built = false; }
    if (!built) { s.toggle = false; views[s.to] = s.to; pages[s.to] = true; }
  });
  Object.keys(pages).forEach(function (v) {
    showOnly(Number(v));
    floats[v] = floating(containers[Number(v)]);
  });
  // Views: every other step shows the view of the state it reached. A tab or a link does so from
  // every view that shows the same text; other triggers from the view they were clicked in.
  M.steps.forEach(function (s) {
    if (s.panel || s.toggle || s.skip) { return; }
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
