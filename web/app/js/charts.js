/*
 * charts.js - small hand-written SVG charts for the analytics screen: bars (reps or volume per
 * week), a line (score trend) and horizontal bars (most frequent faults). Pure functions that
 * return an <svg> element; text is set with textContent only. Every chart has role="img" and an
 * aria-label, and a <title> per mark for the exact value.
 */
import { svg } from './dom.js';

const W = 320;
const H = 160;
const PAD = { l: 34, r: 8, t: 10, b: 28 };

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

/* The values of the axis ticks: 0, max/2, max; counts (integer) never show a fraction, so a
 * max of 1 has the ticks 0 and 1 only. */
export function axisTicks(max, integer) {
  const ticks = [0, max / 2, max];
  return integer ? ticks.filter((v) => Number.isInteger(v)) : ticks;
}

function frame(label, max, testid, integer) {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'chart', 'data-testid': testid });
  const ih = H - PAD.t - PAD.b;
  for (const v of axisTicks(max, integer)) {
    const y = PAD.t + ih * (1 - v / max);
    root.appendChild(svg('line', { x1: PAD.l, x2: W - PAD.r, y1: y, y2: y, class: 'grid' }));
    root.appendChild(svg('text', { x: PAD.l - 4, y: y + 4, 'text-anchor': 'end', class: 'axis', text: String(Math.round(v * 10) / 10) }));
  }
  return root;
}

/* points: [{label, value}]; integer: the values are counts (whole-number axis) */
export function barChart(points, { label = 'bar chart', testid, unit = '', integer = false } = {}) {
  const max = niceMax(Math.max(0, ...points.map((p) => Number(p.value) || 0)));
  const root = frame(label, max, testid, integer);
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const n = Math.max(1, points.length);
  const slot = iw / n;
  const bw = Math.max(2, Math.min(28, slot * 0.7));
  points.forEach((p, i) => {
    const v = Number(p.value) || 0;
    const bh = (v / max) * ih;
    const x = PAD.l + slot * i + (slot - bw) / 2;
    const bar = svg('rect', { x, y: PAD.t + ih - bh, width: bw, height: Math.max(0, bh), class: 'bar', 'data-value': v });
    bar.appendChild(svg('title', { text: `${p.label}: ${v}${unit}` }));
    root.appendChild(bar);
    if (n <= 8 || i % Math.ceil(n / 8) === 0) {
      root.appendChild(svg('text', { x: x + bw / 2, y: H - PAD.b + 14, 'text-anchor': 'middle', class: 'axis', text: String(p.label).replace(/^\d{4}-/, '') }));
    }
  });
  return root;
}

/* points: [{label, value}] (value null = no data that period) */
export function lineChart(points, { label = 'line chart', testid, max = 100 } = {}) {
  const root = frame(label, max, testid);
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const n = points.length;
  const xy = [];
  points.forEach((p, i) => {
    if (p.value === null || p.value === undefined || !Number.isFinite(Number(p.value))) return;
    const x = PAD.l + (n <= 1 ? iw / 2 : (iw * i) / (n - 1));
    const y = PAD.t + ih * (1 - Math.min(1, Number(p.value) / max));
    xy.push([x, y, p]);
  });
  if (xy.length > 1) root.appendChild(svg('polyline', { points: xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' '), class: 'line' }));
  for (const [x, y, p] of xy) {
    const dot = svg('circle', { cx: x, cy: y, r: 3.5, class: 'dot', 'data-value': p.value });
    dot.appendChild(svg('title', { text: `${p.label}: ${Number(p.value).toFixed(1)}` }));
    root.appendChild(dot);
  }
  if (n) {
    root.appendChild(svg('text', { x: PAD.l, y: H - PAD.b + 14, class: 'axis', text: String(points[0].label).replace(/^\d{4}-/, '') }));
    root.appendChild(svg('text', { x: W - PAD.r, y: H - PAD.b + 14, 'text-anchor': 'end', class: 'axis', text: String(points[n - 1].label).replace(/^\d{4}-/, '') }));
  }
  return root;
}

/* items: [{label, value}] drawn as horizontal bars, largest first. Each label sits on its own
 * line above its bar, from the left edge, so a long name ("incomplete lockout (Push up)") is
 * never cut; the bar spans the whole width below it. */
export function hbarChart(items, { label = 'horizontal bar chart', testid } = {}) {
  const rowH = 34;
  const h = Math.max(rowH, items.length * rowH) + 4;
  const root = svg('svg', { viewBox: `0 0 ${W} ${h}`, role: 'img', 'aria-label': label, class: 'chart', 'data-testid': testid });
  const max = Math.max(1, ...items.map((i) => Number(i.value) || 0));
  const room = W - 34; // space for the count after the longest bar
  items.forEach((it, i) => {
    const y = 2 + i * rowH;
    const v = Number(it.value) || 0;
    root.appendChild(svg('text', { x: 2, y: y + 11, class: 'axis bar-label', text: String(it.label) }));
    const bw = Math.max(2, (room * v) / max);
    const bar = svg('rect', { x: 2, y: y + 15, height: rowH - 20, width: bw, class: 'bar bar-bad', 'data-value': v });
    bar.appendChild(svg('title', { text: `${it.label}: ${v}` }));
    root.appendChild(bar);
    root.appendChild(svg('text', { x: 2 + bw + 4, y: y + 25, class: 'axis', text: String(v) }));
  });
  return root;
}
