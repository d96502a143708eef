// DOM helpers. Everything the server sends is put into the page as text
// (text nodes and attribute values), never parsed as HTML, so an object key
// holding markup shows as that markup and does nothing.

// h builds an HTML element. Attributes named on* add listeners, class sets
// the class, true sets an empty attribute; null, undefined and false are
// left out. Children are nodes or values shown as text; arrays flatten.
export function h(tag, attrs, ...kids) {
  return build(document.createElement(tag), attrs, kids);
}

// s builds an SVG element, as h does.
export function s(tag, attrs, ...kids) {
  return build(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs, kids);
}

function build(el, attrs, kids) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === undefined || kid === null || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

// link is an in-console link: route is a path of the console's own
// routes, its parts already encoded with enc.
export function link(route, ...kids) {
  return h('a', { href: '#' + route }, ...kids);
}

// enc encodes one route or query part.
export const enc = encodeURIComponent;

// table renders rows (objects) under the given columns: [header, fn(row)
// returning a node or text, optional class].
export function table(cols, rows, caption) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    caption ? h('caption', { class: 'muted' }, caption) : null,
    h('thead', {}, h('tr', {}, cols.map(c => h('th', { scope: 'col', class: c[2] }, c[0])))),
    h('tbody', {}, rows.map(r => h('tr', {}, cols.map(c => h('td', { class: c[2] }, c[1](r))))))));
}

// when formats an RFC 3339 time in the reader's locale, or '' when absent.
export function when(t) {
  if (!t) return '';
  const d = new Date(t);
  return isNaN(d) ? String(t) : d.toLocaleString();
}

// pretty shows JSON text indented, or the text itself when it is not JSON.
export function pretty(v) {
  if (typeof v === 'string') {
    try { v = JSON.parse(v); } catch { return v; }
  }
  return JSON.stringify(v, null, 2);
}
