// dom.js: building the page without innerHTML (text is always text).

// el creates an element: attrs sets attributes (on* keys add listeners,
// "class" the class), children are nodes, strings or arrays of them.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, "");
    else e.setAttribute(k, String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(e, c);
    else if (c instanceof Node) e.appendChild(c);
    else e.appendChild(document.createTextNode(String(c)));
  }
}

// field is a labelled form control.
export function field(label, control, hint) {
  const id = control.id || "f-" + Math.random().toString(36).slice(2, 9);
  control.id = id;
  return el("div", { class: "field" }, el("label", { for: id }, label), control, hint ? el("small", {}, hint) : null);
}

// table renders rows (objects) with columns [header, row => cell].
export function table(caption, cols, rows, attrs) {
  return el("table", attrs || {},
    caption ? el("caption", {}, caption) : null,
    el("thead", {}, el("tr", {}, cols.map(([h]) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.length === 0
      ? el("tr", {}, el("td", { colspan: cols.length, class: "empty" }, "None."))
      : rows.map((r) => el("tr", {}, cols.map(([, f]) => el("td", {}, f(r)))))));
}

export function fmtTime(s) {
  if (!s) return "";
  const d = new Date(s);
  return isNaN(d) ? s : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function score(x) {
  return typeof x === "number" ? x.toFixed(4) : "";
}

export function badge(ok, yes, no) {
  return el("span", { class: ok ? "badge ok" : "badge bad" }, ok ? yes : no);
}
