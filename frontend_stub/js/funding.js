// Budgets and funding: "#/anggaran" ("Anggaran dan pendanaan") shows, for a filter of practices
// (region at any level, theme, stage, year), what they cost and who paid, as `fundingSummary`
// computes it in one aggregation: total funding by source as a bar chart (inline SVG), the
// count by stage as a table, and the quartiles of cost per beneficiary as a box summary.
// `costComparison(practice)` is the line a practice's page shows under its funding.
//
// Amounts are whole rupiah and may exceed 2^31 (the API's Rupiah scalar); JavaScript numbers
// hold them exactly up to 2^53. They always read "Rp 1.250.000" (formatRupiah in i18n.js).

import { ApiError, FUNDING_SUMMARY, graphql } from './api.js';
import { h, replace, spinner } from './dom.js';
import { formatNumber, formatRupiah, label, t, values as enumValues } from './i18n.js';
import { REGION_CODE, regionPicker } from './regions.js';
import { hashFor, updateUrl } from './router.js';

export const FUNDING_PATH = '/anggaran';
const FIRST_YEAR = 2015;
const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element (h() makes HTML ones): svg('rect', { x: 0, width: 10 }, child...). */
function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function years() {
  const last = new Date().getFullYear() + 1;
  return Array.from({ length: last - FIRST_YEAR + 1 }, (_, i) => String(last - i));
}

// --- the state in the URL: "#/anggaran?region=32&theme=HEALTH&stage=APPLIED&year=2024" ------

function stateFromParams(params) {
  const region = params.get('region');
  const theme = params.get('theme');
  const stage = params.get('stage');
  const year = params.get('year');
  return {
    region: region && REGION_CODE.test(region) ? region : null,
    theme: enumValues('theme').includes(theme) ? theme : null,
    stage: enumValues('stage').includes(stage) ? stage : null,
    year: years().includes(year) ? year : null,
  };
}

function paramsFromState(state) {
  const params = new URLSearchParams();
  for (const name of ['region', 'theme', 'stage', 'year']) if (state[name]) params.set(name, state[name]);
  return params;
}

function summaryFilter(state) {
  return {
    regionCode: state.region,
    themes: state.theme ? [state.theme] : null,
    stages: state.stage ? [state.stage] : null,
    year: state.year ? Number(state.year) : null,
  };
}

function select(id, text, options, chosen, onChange) {
  const control = h('select', { id, name: id, onchange: (e) => onChange(e.target.value || null) },
    h('option', { value: '' }, t('funding.all')),
    options.map(([value, name]) => h('option', { value, selected: value === chosen }, name)));
  return h('div', { class: 'field' }, h('label', { for: id }, text), control);
}

function failure(error) {
  if (error instanceof ApiError && error.code === 'NETWORK_ERROR') return t('error.network');
  return error.requestId ? t('error.requestId', { id: error.requestId }) : t('error.generic');
}

// --- the figures -----------------------------------------------------------------------------

/** Total funding by source as horizontal bars, largest first; each bar says its amount. */
export function sourceChart(bySource) {
  const rowHeight = 34;
  // Wide enough for the longest label at 13 px ("Corporate social responsibility" in English).
  const labelWidth = Math.min(260, 16 + 7.4 * Math.max(...bySource.map((row) => label('fundingSource', row.source).length)));
  const valueWidth = 170;
  const barSpace = 360;
  const width = labelWidth + barSpace + valueWidth;
  const height = bySource.length * rowHeight + 8;
  const largest = Math.max(...bySource.map((row) => row.amount), 1);
  const rows = bySource.map((row, index) => {
    const y = 4 + index * rowHeight;
    const barWidth = Math.max(2, Math.round((row.amount / largest) * barSpace));
    const amount = formatRupiah(row.amount);
    return svg('g', { class: 'bar', 'data-source': row.source },
      svg('title', {}, `${label('fundingSource', row.source)}: ${amount}`),
      svg('text', { x: labelWidth - 8, y: y + rowHeight / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'bar-label' },
        label('fundingSource', row.source)),
      svg('rect', { x: labelWidth, y: y + 5, width: barWidth, height: rowHeight - 10, rx: 3, class: 'bar-fill' }),
      svg('text', { x: labelWidth + barWidth + 6, y: y + rowHeight / 2, 'dominant-baseline': 'middle', class: 'bar-value' },
        amount));
  });
  return svg('svg', { class: 'funding-chart', id: 'funding-chart', viewBox: `0 0 ${width} ${height}`, width, height,
    role: 'img', 'aria-labelledby': 'funding-chart-title' },
  svg('title', { id: 'funding-chart-title' }, t('funding.chartTitle')), rows);
}

function sourceTable(bySource) {
  return h('details', { class: 'funding-table-toggle' },
    h('summary', {}, t('funding.asTable')),
    h('div', { class: 'table-scroll' }, h('table', { class: 'funding-table', id: 'funding-sources' },
      h('thead', {}, h('tr', {}, [t('funding.source'), t('funding.amount'), t('funding.practices')]
        .map((text) => h('th', { scope: 'col' }, text)))),
      h('tbody', {}, bySource.map((row) => h('tr', {},
        h('th', { scope: 'row' }, label('fundingSource', row.source)),
        h('td', { class: 'num' }, formatRupiah(row.amount)),
        h('td', { class: 'num' }, formatNumber(row.practiceCount))))))));
}

function stageTable(byStage) {
  return h('div', { class: 'table-scroll' }, h('table', { class: 'funding-table', id: 'funding-stages' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('funding.stage')), h('th', { scope: 'col' }, t('funding.practices')))),
    h('tbody', {}, byStage.map((row) => h('tr', { 'data-stage': row.stage },
      h('th', { scope: 'row' }, label('stage', row.stage)), h('td', { class: 'num' }, formatNumber(row.count)))))));
}

const QUANTILES = ['min', 'p25', 'median', 'p75', 'max'];

/** The five figures, and a box plot on a logarithmic scale (costs span several orders of magnitude). */
function boxSummary(distribution) {
  if (!distribution.count) return h('p', { class: 'muted' }, t('funding.noCostPerBeneficiary'));
  const figures = h('dl', { class: 'box-figures', id: 'funding-quartiles' }, QUANTILES.map((name) =>
    h('div', { 'data-quantile': name }, h('dt', {}, t(`funding.${name}`)), h('dd', {}, formatRupiah(distribution[name])))));
  const width = 560;
  const low = Math.log10(Math.max(1, distribution.min));
  const high = Math.log10(Math.max(1, distribution.max));
  const x = (value) => {
    const span = high - low;
    return 20 + (span > 0 ? ((Math.log10(Math.max(1, value)) - low) / span) * (width - 40) : (width - 40) / 2);
  };
  const [min, p25, median, p75, max] = QUANTILES.map((name) => x(distribution[name]));
  const plot = svg('svg', { class: 'box-plot', viewBox: `0 0 ${width} 60`, width, height: 60, 'aria-hidden': 'true' },
    svg('line', { x1: min, x2: max, y1: 30, y2: 30, class: 'whisker' }),
    svg('line', { x1: min, x2: min, y1: 18, y2: 42, class: 'whisker' }),
    svg('line', { x1: max, x2: max, y1: 18, y2: 42, class: 'whisker' }),
    svg('rect', { x: p25, y: 12, width: Math.max(1, p75 - p25), height: 36, class: 'box' }),
    svg('line', { x1: median, x2: median, y1: 12, y2: 48, class: 'median' }));
  return [figures, plot,
    h('p', { class: 'hint' }, t('funding.boxHint', { count: formatNumber(distribution.count) }))];
}

function summaryView(summary) {
  if (!summary.practiceCount) return h('p', { class: 'muted', id: 'funding-empty' }, t('funding.none'));
  return [
    h('div', { class: 'funding-totals' },
      h('div', { class: 'total-card' }, h('p', { class: 'total-label' }, t('funding.total')),
        h('p', { class: 'total-value', id: 'funding-total' }, formatRupiah(summary.totalAmount))),
      h('div', { class: 'total-card' }, h('p', { class: 'total-label' }, t('funding.practiceCount')),
        h('p', { class: 'total-value', id: 'funding-practices' }, formatNumber(summary.practiceCount)))),
    h('section', { class: 'funding-block', 'aria-labelledby': 'funding-sources-heading' },
      h('h2', { id: 'funding-sources-heading' }, t('funding.bySource')),
      summary.bySource.length ? [h('div', { class: 'chart-scroll' }, sourceChart(summary.bySource)), sourceTable(summary.bySource)]
        : h('p', { class: 'muted' }, t('funding.noFunding'))),
    h('div', { class: 'funding-pair' },
      h('section', { class: 'funding-block', 'aria-labelledby': 'funding-stages-heading' },
        h('h2', { id: 'funding-stages-heading' }, t('funding.byStage')), stageTable(summary.byStage)),
      h('section', { class: 'funding-block', 'aria-labelledby': 'funding-cpb-heading' },
        h('h2', { id: 'funding-cpb-heading' }, t('funding.costPerBeneficiary')), boxSummary(summary.costPerBeneficiary))),
  ];
}

// --- the page --------------------------------------------------------------------------------

export async function renderFunding(outlet, { params, signal }) {
  let state = stateFromParams(params);
  let controller = null;
  const statusLine = h('p', { class: 'result-status', id: 'funding-status', role: 'status', 'aria-live': 'polite' });
  const errorBox = h('div', { class: 'error-box', role: 'alert' });
  const loading = h('div', { class: 'loading-slot' });
  const content = h('div', { class: 'funding-content', id: 'funding-content' });
  const picker = regionPicker({ legend: t('funding.region'), value: state.region, onChange: (code) => change({ region: code }) });
  const filters = h('form', { class: 'event-filters', 'aria-labelledby': 'funding-filters-heading',
    onsubmit: (event) => event.preventDefault() },
  h('h2', { id: 'funding-filters-heading' }, t('funding.filters')),
  picker.element,
  select('funding-theme', t('funding.theme'), enumValues('theme').map((v) => [v, label('theme', v)]), state.theme,
    (theme) => change({ theme })),
  select('funding-stage', t('funding.stage'), enumValues('stage').map((v) => [v, label('stage', v)]), state.stage,
    (stage) => change({ stage })),
  select('funding-year', t('funding.year'), years().map((y) => [y, y]), state.year, (year) => change({ year })),
  h('p', { class: 'hint' }, t('funding.yearHint')));

  replace(outlet, h('section', { class: 'funding-page' },
    h('div', { class: 'search-hero' },
      h('h1', { tabindex: '-1' }, t('funding.title')), h('p', { class: 'lead' }, t('funding.intro'))),
    h('div', { class: 'events-layout' },
      h('aside', { class: 'events-side' }, filters),
      h('section', { class: 'results', 'aria-labelledby': 'funding-heading' },
        h('h2', { id: 'funding-heading', class: 'visually-hidden' }, t('funding.figures')),
        statusLine, errorBox, loading, content))));

  function change(next) {
    state = { ...state, ...next };
    updateUrl(hashFor(FUNDING_PATH, paramsFromState(state)), { push: true });
    load();
  }

  async function load() {
    controller?.abort();
    controller = new AbortController();
    signal.addEventListener('abort', () => controller.abort(), { once: true });
    const mine = controller;
    replace(errorBox);
    replace(loading, spinner(t('funding.loading')));
    content.classList.add('stale');
    try {
      const { fundingSummary } = await graphql(FUNDING_SUMMARY, { filter: summaryFilter(state) }, { signal: mine.signal });
      if (mine.signal.aborted) return;
      replace(content, summaryView(fundingSummary));
      statusLine.textContent = t('funding.count', { count: formatNumber(fundingSummary.practiceCount) });
    } catch (error) {
      if (error.name === 'AbortError') return;
      replace(content);
      statusLine.textContent = '';
      replace(errorBox, h('p', {}, t('funding.failed')), h('p', { class: 'small' }, failure(error)),
        h('button', { type: 'button', class: 'button', onclick: () => load() }, t('search.retry')));
    } finally {
      if (!mine.signal.aborted) {
        replace(loading);
        content.classList.remove('stale');
      }
    }
  }

  await load();
}

// --- on a practice's page --------------------------------------------------------------------

/** "Rp 45.000 per penerima manfaat, median tema: Rp 60.000"; null without a cost per beneficiary. */
export function costComparison(practice) {
  const cost = practice.costPerBeneficiary;
  if (cost === null || cost === undefined) return null;
  const median = practice.themeMedianCostPerBeneficiary;
  const own = t('funding.perBeneficiary', { amount: formatRupiah(cost) });
  return h('p', { class: 'cost-comparison', id: 'cost-per-beneficiary' },
    median === null || median === undefined ? own
      : t('funding.perBeneficiaryWithMedian', { own, median: formatRupiah(median) }),
    ' ', h('a', { href: hashFor(FUNDING_PATH, new URLSearchParams(practice.themes?.[0] ? { theme: practice.themes[0] } : {})) },
      t('funding.compare')));
}
