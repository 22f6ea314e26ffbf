// Monitoring indicators on a practice or replication page: per indicator its progress, trend and
// freshness, a line chart of its reports (js/charts.js) and, on a replication, the original
// practice's reports of the same indicator as a second line. Members of the owning organization
// get a small form to report a period (or correct one: the same period again).

import { graphql, MONITORED_INDICATOR_FIELDS } from './api.js';
import { lineChart } from './charts.js';
import { h, replace, uniqueId } from './dom.js';
import { formatNumber, label, t } from './i18n.js';
import { currentUser } from './session.js';

export const REPORT_INDICATOR = `
  mutation ReportIndicator($input: ReportIndicatorInput!) {
    reportIndicator(input: $input) {
      indicator { ${MONITORED_INDICATOR_FIELDS} }
      errors { field code message }
    }
  }`;

const PERIOD_HINTS = { MONTH: '2026-03', QUARTER: '2026-Q1', YEAR: '2026' };

function valueText(value, unit) {
  return `${formatNumber(value, { maximumFractionDigits: 2 })} ${unit}`.trim();
}

/** The sentence a screen reader hears for a chart. */
function chartSentence(indicator, original) {
  const reports = indicator.reports;
  const last = reports.at(-1);
  const parts = [t('indicators.chartSentence', {
    name: indicator.name, count: reports.length, first: reports[0].period, last: last.period,
    value: valueText(last.value, indicator.unit),
  })];
  if (indicator.target !== null) parts.push(t('indicators.chartTarget', { target: valueText(indicator.target, indicator.unit) }));
  if (original?.reports.length) {
    const theirs = original.reports.at(-1);
    parts.push(t('indicators.chartOriginal', { period: theirs.period, value: valueText(theirs.value, indicator.unit) }));
  }
  return parts.join(' ');
}

function chartOf(indicator, comparison) {
  const original = comparison?.original && comparison.points.some((p) => p.originalValue !== null) ? comparison.original : null;
  const periods = original ? comparison.points.map((p) => p.period) : indicator.reports.map((r) => r.period);
  const own = original ? comparison.points.map((p) => p.replicationValue)
    : indicator.reports.map((r) => r.value);
  const series = [{ name: original ? t('indicators.thisReplication') : indicator.name, values: own, className: 'series-own' }];
  if (original) {
    series.push({ name: t('indicators.original'), values: comparison.points.map((p) => p.originalValue), className: 'series-original' });
  }
  return lineChart({
    periods,
    series,
    lines: [
      { name: t('detail.baseline'), value: indicator.baseline, className: 'line-baseline' },
      { name: t('detail.target'), value: indicator.target, className: 'line-target' },
    ],
    format: (value) => formatNumber(value, { maximumFractionDigits: 2 }),
    unit: indicator.unit,
    label: chartSentence(indicator, original ? { reports: comparison.points.filter((p) => p.originalValue !== null)
      .map((p) => ({ period: p.period, value: p.originalValue })) } : null),
    caption: t('indicators.tableCaption', { name: indicator.name, unit: indicator.unit }),
    legend: Boolean(original),
  });
}

function facts(indicator) {
  const items = [];
  if (indicator.progressPercent !== null) {
    items.push(h('span', { class: 'indicator-fact' }, t('indicators.progress', { percent: formatNumber(indicator.progressPercent) })));
  }
  items.push(h('span', { class: `badge trend trend-${indicator.trend.toLowerCase()}` }, label('indicatorTrend', indicator.trend)));
  if (indicator.stale) {
    items.push(h('span', { class: 'badge stale' },
      t('indicators.stale', { count: indicator.periodsWithoutReport, granularity: label('periodGranularity', indicator.granularity) })));
  }
  if (indicator.latest) {
    items.push(h('span', { class: 'muted' }, t('indicators.latest', {
      period: indicator.latest.period, value: valueText(indicator.latest.value, indicator.unit) })));
  }
  return h('p', { class: 'indicator-facts' }, items);
}

function canReport(node) {
  const user = currentUser();
  if (!user || !['Practice', 'Replication'].includes(node.__typename)) return false;
  return user.organization?.id === node.organization?.id && ['MEMBER', 'ADMIN'].includes(user.role);
}

function reportForm(node, indicator, onReported) {
  const id = uniqueId('report');
  const granularity = indicator.granularity ?? 'QUARTER';
  const status = h('div', { class: 'form-errors', role: 'alert', hidden: true });
  const field = (name, text, control) => h('p', { class: 'field' }, h('label', { for: `${id}-${name}` }, text), control);
  const select = h('select', { id: `${id}-granularity`, name: 'granularity' },
    ['MONTH', 'QUARTER', 'YEAR'].map((value) => h('option', { value, selected: value === granularity }, t(`indicators.every.${value}`))));
  const period = h('input', { id: `${id}-period`, name: 'period', required: true, placeholder: PERIOD_HINTS[granularity], size: 8 });
  select.addEventListener('change', () => { period.placeholder = PERIOD_HINTS[select.value]; });
  const value = h('input', { id: `${id}-value`, name: 'value', type: 'number', step: 'any', required: true });
  const note = h('input', { id: `${id}-note`, name: 'note' });
  const evidence = h('input', { id: `${id}-evidence`, name: 'evidenceUrl', type: 'url', placeholder: 'https://' });
  const button = h('button', { type: 'submit', class: 'button' }, t('indicators.submit'));
  const form = h('form', { class: 'indicator-report-form', 'aria-label': t('indicators.formLabel', { name: indicator.name }) },
    field('granularity', t('indicators.granularity'), select),
    field('period', t('indicators.period'), period),
    field('value', `${t('indicators.value')} (${indicator.unit})`, value),
    field('note', t('indicators.note'), note),
    field('evidence', t('indicators.evidence'), evidence),
    button, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.hidden = true;
    try {
      const { reportIndicator } = await graphql(REPORT_INDICATOR, { input: {
        subjectId: node.id, indicatorKey: indicator.key, granularity: select.value, period: period.value.trim(),
        value: Number(value.value), note: note.value || null, evidenceUrl: evidence.value || null,
      } });
      if (reportIndicator.errors.length) {
        replace(status, h('ul', {}, reportIndicator.errors.map((error) =>
          h('li', { 'data-code': error.code }, t(`indicators.error.${error.code}`, {}) === `indicators.error.${error.code}`
            ? error.message : t(`indicators.error.${error.code}`)))));
        status.hidden = false;
      } else {
        onReported(reportIndicator.indicator);
      }
    } catch (error) {
      replace(status, h('p', {}, error.message));
      status.hidden = false;
    } finally {
      if (button.isConnected) button.disabled = false;
    }
  });
  return h('details', { class: 'indicator-report' }, h('summary', {}, t('indicators.report')), form);
}

function indicatorBlock(node, indicator, comparison) {
  const block = h('li', { class: 'indicator', 'data-key': indicator.key });
  const draw = (current) => {
    replace(block,
      h('h3', {}, indicator.name, h('span', { class: 'muted' }, ` · ${current.unit}`)),
      facts(current),
      current.reports.length ? chartOf(current, comparison) : h('p', { class: 'hint' }, t('indicators.noReports')),
      canReport(node) ? reportForm(node, current, (updated) => {
        draw({ ...current, ...updated });
        block.querySelector('h3')?.setAttribute('tabindex', '-1');
        block.querySelector('h3')?.focus();
      }) : null);
  };
  draw(indicator);
  return block;
}

/** The monitoring section's content for a practice or a replication, or null without indicators. */
export function indicatorMonitoring(node) {
  const indicators = node.results ?? [];
  if (!indicators.length || !indicators.some((i) => i.reports.length) && !canReport(node)) return null;
  const comparisons = new Map((node.indicatorComparison ?? []).map((c) => [c.indicator.key, c]));
  const freshness = node.freshness;
  return [
    freshness && freshness.staleIndicatorCount > 0
      ? h('p', { class: 'hint' }, t('indicators.staleCount', { count: freshness.staleIndicatorCount })) : null,
    h('ul', { class: 'indicator-list' }, indicators.map((indicator) => indicatorBlock(node, indicator, comparisons.get(indicator.key)))),
  ];
}
