/*
 * dom.js - tiny DOM helpers for the dashboard: element creation with text only (never HTML
 * strings, so nothing from the server can inject markup), and small formatting helpers.
 */

/* h('button', {class: 'x', 'data-testid': 'y', onclick: fn}, 'text', child, ...): null,
 * undefined and false children are skipped, arrays flattened. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function appendAll(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) appendAll(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/* append(el, child, ...): like Element.append, but null, undefined and false children are
 * skipped and arrays are flattened (Element.append turns null into the text "null": a
 * conditional child such as `cond ? h(...) : null` must never print it). Returns el. Views use
 * this, never el.append, for children that may be absent. */
export function append(el, ...children) {
  appendAll(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'text') el.textContent = v;
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c) el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/* Empty el, then append the children given (absent ones skipped, as append()). Returns el. */
export function clear(el, ...children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  appendAll(el, children);
  return el;
}

export function fmtDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso || '');
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function fmtDuration(ms) {
  const s = Math.max(0, Math.round((ms || 0) / 1000));
  const m = Math.floor(s / 60);
  return m ? `${m} min ${s % 60} s` : `${s} s`;
}

export function fmtNum(v, dec = 0) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '–';
  return Number(v).toFixed(dec);
}

export function fmtBytes(n) {
  if (!Number.isFinite(n)) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function exerciseLabel(name) {
  if (!name || name === 'unknown') return 'No exercise recognised';
  return String(name).replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/* A sentence as a person reads it: first letter capital, a full stop at the end. */
export function sentence(text) {
  const t = String(text || '').trim();
  if (!t) return '';
  return t.replace(/^./, (c) => c.toUpperCase()) + (/[.!?]$/.test(t) ? '' : '.');
}

/* The class a set's colour comes from, by the verdicts of its reps (never by its score, so a
 * set with a bad rep is never green): good = every judged rep good, warn = some need work,
 * bad = most need work, grey = nothing judged. */
export function verdictMix(good, bad) {
  const g = Number(good) || 0;
  const b = Number(bad) || 0;
  if (g + b === 0) return 'grey';
  if (b === 0) return 'good';
  return b * 2 > g + b ? 'bad' : 'warn';
}

/* A message box; kind: 'error' | 'info' | 'ok'. */
export function notice(kind, text, testid) {
  return h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': testid }, text);
}

export function errorText(e) {
  if (!e) return 'unknown error';
  if (e.name === 'ApiError') {
    // the server's message, and the field problems it names when the message does not
    const extra = (e.details || []).map((d) => d && d.problem && !String(e.message).includes(d.problem) ? `${d.field ? String(d.field).replace(/_/g, ' ') + ' ' : ''}${d.problem}` : null).filter(Boolean);
    return [e.message || e.code, ...extra].join(': ');
  }
  if (e instanceof TypeError) return 'network error: the server cannot be reached (offline?)';
  return e.message || String(e);
}
