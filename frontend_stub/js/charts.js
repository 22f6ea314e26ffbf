// Small inline SVG line charts, drawn without any library: an indicator's reports over time,
// its baseline and target as dashed lines, and optionally a second series (the original
// practice beside a replication) with a legend. Each chart is role="img" with a sentence for
// screen readers, and the values themselves follow in a visually hidden table.

import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 360;
const HEIGHT = 170;
const PAD = { left: 44, right: 64, top: 20, bottom: 28 };

/** An SVG element: the same rules as h(), in the SVG namespace. */
function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) element.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/**
 * A line chart.
 *
 * periods: the x axis' labels, in order (["2025-Q1", ...]).
 * positions: optional, a number per period placing it on the x axis (a calendar ordinal: a
 *          period missing in between leaves its gap); evenly spaced without.
 * series:  [{ name, values: [number|null per period], className }], the first drawn as the main line.
 * lines:   [{ name, value, className }] horizontal dashed lines (baseline, target); null values skipped.
 * format:  (number) => text, for tooltips and axis labels.
 * unit:    the y axis' unit, written above it.
 * label:   the sentence for screen readers (aria-label).
 * caption: the hidden table's caption.
 */
export function lineChart({ periods, positions = null, series, lines = [], format = String, unit = '', label, caption, legend = false }) {
  const shown = lines.filter((line) => line.value !== null && line.value !== undefined);
  const numbers = [...series.flatMap((one) => one.values), ...shown.map((line) => line.value)]
    .filter((value) => value !== null && value !== undefined);
  let low = Math.min(...numbers);
  let high = Math.max(...numbers);
  if (!numbers.length) { low = 0; high = 1; }
  if (low === high) { low -= 1; high += 1; }
  const margin = (high - low) * 0.08;
  low -= margin;
  high += margin;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const at = positions && positions.every(Number.isFinite) ? positions : periods.map((_, index) => index);
  const first = Math.min(...at);
  const span = Math.max(...at) - first;
  const x = (index) => PAD.left + (span > 0 ? ((at[index] - first) / span) * plotWidth : plotWidth / 2);
  const y = (value) => PAD.top + (1 - (value - low) / (high - low)) * plotHeight;
  const round = (value) => Math.round(value * 10) / 10;

  const svg = s('svg', {
    class: 'line-chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': label,
    preserveAspectRatio: 'xMidYMid meet', focusable: 'false',
  },
  // axes
  unit ? s('text', { class: 'chart-tick chart-unit', x: 2, y: 10 }, unit) : null,
  s('line', { class: 'chart-axis', x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: HEIGHT - PAD.bottom }),
  s('line', { class: 'chart-axis', x1: PAD.left, y1: HEIGHT - PAD.bottom, x2: WIDTH - PAD.right, y2: HEIGHT - PAD.bottom }),
  s('text', { class: 'chart-tick', x: PAD.left - 4, y: PAD.top + 4, 'text-anchor': 'end' }, format(round(high - margin))),
  s('text', { class: 'chart-tick', x: PAD.left - 4, y: HEIGHT - PAD.bottom, 'text-anchor': 'end' }, format(round(low + margin))),
  periods.length ? s('text', { class: 'chart-tick', x: x(0), y: HEIGHT - 8, 'text-anchor': periods.length > 1 ? 'start' : 'middle' }, periods[0]) : null,
  periods.length > 1 ? s('text', { class: 'chart-tick', x: x(periods.length - 1), y: HEIGHT - 8, 'text-anchor': 'end' }, periods.at(-1)) : null,
  // baseline and target
  shown.map((line) => s('g', { class: `chart-reference ${line.className}` },
    s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: round(y(line.value)), y2: round(y(line.value)), 'stroke-dasharray': '5 4' }),
    s('text', { class: 'chart-tick', x: WIDTH - PAD.right + 4, y: round(y(line.value)) + 4 }, line.name),
    s('title', {}, `${line.name}: ${format(line.value)}`))),
  // the series, the main one last so that it is drawn on top
  [...series].reverse().map((one) => {
    const points = one.values.map((value, index) => (value === null || value === undefined ? null : [x(index), y(value), value, periods[index]]))
      .filter(Boolean);
    return s('g', { class: `chart-series ${one.className}` },
      points.length > 1 ? s('polyline', { points: points.map(([px, py]) => `${round(px)},${round(py)}`).join(' '), fill: 'none' }) : null,
      points.map(([px, py, value, period]) => s('circle', { class: 'chart-point', cx: round(px), cy: round(py), r: 3.5 },
        s('title', {}, `${one.name} · ${period}: ${format(value)}`))));
  }));

  // Hidden in a block of its own: a table given the hidden class still lays out at its full width
  // and widens a phone's page.
  const table = h('div', { class: 'visually-hidden' }, h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), series.map((one) => h('th', { scope: 'col' }, one.name)))),
    h('tbody', {}, periods.map((period, index) => h('tr', {}, h('th', { scope: 'row' }, period),
      series.map((one) => h('td', {}, one.values[index] === null || one.values[index] === undefined ? '–' : format(one.values[index]))))))));

  const key = legend ? h('ul', { class: 'chart-legend', 'aria-hidden': 'true' },
    series.map((one) => h('li', { class: one.className }, h('span', { class: 'swatch' }), one.name)),
    shown.map((line) => h('li', { class: line.className }, h('span', { class: 'swatch dashed' }), line.name))) : null;
  return h('figure', { class: 'chart' }, svg, key, table);
}
