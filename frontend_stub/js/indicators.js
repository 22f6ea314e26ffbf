// Monitoring indicators on a practice or replication page: per indicator its progress, trend and
// freshness, a line chart of its reports (js/charts.js) and, on a replication, the original
// practice's reports of the same indicator as a second line. Members of the owning organization
// get a small form to report a period (or correct one: the same period again).

import { graphql, MONITORED_INDICATOR_FIELDS } from './api.js';
import { lineChart } from './charts.js';
import { externalLink, h, replace, uniqueId } from './dom.js';
import { formatNumber, formatPeriod, label, t } from './i18n.js';
import { currentUser } from './session.js';

export const REPORT_INDICATOR = `
  mutation ReportIndicator($input: ReportIndicatorInput!) {
    reportIndicator(input: $input) {
      indicator { ${MONITORED_INDICATOR_FIELDS} }
      errors { field code message }
    }
  }`;

export const INDICATOR_COMPARISON = `
  query IndicatorComparison($id: ID!) {
    node(id: $id) {
      ... on Replication {
        indicatorComparison { indicator { key } original { key name } points { period replicationValue originalValue } }
      }
    }
  }`;

const PERIOD_HINTS = { MONTH: '2026-03', QUARTER: '2026-Q1', YEAR: '2026' };
// The form's fields by the input field an error names.
const FIELDS = ['granularity', 'period', 'value', 'note', 'evidenceUrl'];

/** A period as a count of periods (consecutive ones differ by one), as storage/indicators.py does. */
export function periodOrdinal(period) {
  const quarter = /^([0-9]{4})-Q([1-4])$/.exec(period);
  if (quarter) return Number(quarter[1]) * 4 + Number(quarter[2]) - 1;
  const month = /^([0-9]{4})-([0-9]{2})$/.exec(period);
  if (month) return Number(month[1]) * 12 + Number(month[2]) - 1;
  return /^[0-9]{4}$/.test(period) ? Number(period) : null;
}

function valueText(value, unit) {
  return `${formatNumber(value, { maximumFractionDigits: 2 })} ${unit}`.trim();
}

/** The sentence a screen reader hears for a chart. */
function chartSentence(indicator, original) {
  const reports = indicator.reports;
  const last = reports.at(-1);
  const parts = [t('indicators.chartSentence', {
    name: indicator.name, count: reports.length, first: formatPeriod(reports[0].period), last: formatPeriod(last.period),
    value: valueText(last.value, indicator.unit),
  })];
  if (indicator.target !== null) parts.push(t('indicators.chartTarget', { target: valueText(indicator.target, indicator.unit) }));
  if (original?.reports.length) {
    const theirs = original.reports.at(-1);
    parts.push(t('indicators.chartOriginal', { period: formatPeriod(theirs.period), value: valueText(theirs.value, indicator.unit) }));
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
    periods: periods.map(formatPeriod),
    // placed by calendar period, so that a period without a report leaves a gap
    positions: periods.map(periodOrdinal),
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
      period: formatPeriod(indicator.latest.period), value: valueText(indicator.latest.value, indicator.unit) })));
  }
  return h('p', { class: 'indicator-facts' }, items);
}

/** The reports' notes and evidence links, newest first; null when none has any. */
function notes(indicator) {
  const annotated = indicator.reports.filter((r) => r.note || r.evidenceUrl).reverse();
  if (!annotated.length) return null;
  return h('details', { class: 'indicator-notes' }, h('summary', {}, t('indicators.notes')),
    h('ul', {}, annotated.map((r) => h('li', {},
      h('strong', {}, formatPeriod(r.period)), r.note ? ` · ${r.note}` : null,
      r.evidenceUrl ? [' · ', externalLink(r.evidenceUrl, t('indicators.evidenceLink'), t('detail.newTab'))] : null))));
}

/** As resolvers/permissions.py decides (the server checks again): the owning organization, the hub's admins. */
function canReport(node) {
  const user = currentUser();
  if (!user || !['Practice', 'Replication'].includes(node.__typename)) return false;
  if (user.role === 'ADMIN' && user.organization?.kind === 'ASSOCIATION') return true;
  return user.organization?.id === node.organization?.id && ['MEMBER', 'ADMIN'].includes(user.role);
}

function errorText(error) {
  for (const key of [`indicators.error.${error.code}`, `error.${error.code}`]) {
    const text = t(key);
    if (text !== key) return text;
  }
  return error.message;
}

function reportForm(node, indicator, onReported, announce) {
  const id = uniqueId('report');
  const granularity = indicator.granularity ?? 'QUARTER';
  const status = h('div', { class: 'form-errors', id: `${id}-errors`, role: 'alert', hidden: true });
  const field = (name, text, control, hint) => h('p', { class: 'field' }, h('label', { for: `${id}-${name}` }, text), control,
    hint ? h('span', { class: 'hint', id: `${id}-${name}-hint` }, hint) : null);
  // Once reported, an indicator keeps its kind of period (the server refuses another).
  const locked = indicator.reports.length > 0;
  const select = h('select', { id: `${id}-granularity`, name: 'granularity', disabled: locked,
    'aria-describedby': locked ? `${id}-granularity-hint` : null },
  ['MONTH', 'QUARTER', 'YEAR'].map((value) => h('option', { value, selected: value === granularity }, t(`indicators.every.${value}`))));
  const period = h('input', { id: `${id}-period`, name: 'period', required: true, placeholder: PERIOD_HINTS[granularity], size: 8 });
  select.addEventListener('change', () => { period.placeholder = PERIOD_HINTS[select.value]; });
  const value = h('input', { id: `${id}-value`, name: 'value', type: 'number', step: 'any', required: true });
  const note = h('input', { id: `${id}-note`, name: 'note' });
  const evidence = h('input', { id: `${id}-evidence`, name: 'evidenceUrl', type: 'url', placeholder: 'https://' });
  const button = h('button', { type: 'submit', class: 'button' }, t('indicators.submit'));
  const form = h('form', { class: 'indicator-report-form', 'aria-label': t('indicators.formLabel', { name: indicator.name }) },
    field('granularity', t('indicators.granularity'), select, locked ? t('indicators.granularityLocked') : null),
    field('period', t('indicators.period'), period),
    field('value', `${t('indicators.value')} (${indicator.unit})`, value),
    field('note', t('indicators.note'), note),
    field('evidence', t('indicators.evidence'), evidence),
    button, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.hidden = true;
    const controls = { granularity: select, period, value, note, evidenceUrl: evidence };
    for (const name of FIELDS) controls[name].removeAttribute('aria-invalid');
    try {
      const { reportIndicator } = await graphql(REPORT_INDICATOR, { input: {
        subjectId: node.id, indicatorKey: indicator.key, granularity: select.value, period: period.value.trim(),
        value: Number(value.value), note: note.value || null, evidenceUrl: evidence.value || null,
      } });
      if (reportIndicator.errors.length) {
        replace(status, h('ul', {}, reportIndicator.errors.map((error) => h('li', { 'data-code': error.code }, errorText(error)))));
        status.hidden = false;
        for (const error of reportIndicator.errors) {
          const control = controls[error.field];
          if (control) {
            control.setAttribute('aria-invalid', 'true');
            control.setAttribute('aria-errormessage', status.id);
          }
        }
      } else {
        const saved = reportIndicator.indicator.reports.find((r) => r.period === period.value.trim().toUpperCase())
          ?? reportIndicator.indicator.latest;
        await onReported(reportIndicator.indicator);
        announce(t('indicators.saved', { period: formatPeriod(saved?.period ?? period.value.trim()) }));
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

/** A replication's comparison of one indicator, read again (after a report changed it). */
async function freshComparison(node, key) {
  const { node: found } = await graphql(INDICATOR_COMPARISON, { id: node.id });
  return found?.indicatorComparison?.find((c) => c.indicator.key === key) ?? null;
}

function indicatorBlock(node, indicator, comparison) {
  const block = h('li', { class: 'indicator', 'data-key': indicator.key });
  // Outside what draw() replaces, so that a screen reader hears it after the redraw.
  const announcer = h('p', { class: 'visually-hidden', role: 'status' });
  const body = h('div', {});
  let compared = comparison;
  const draw = (current) => {
    replace(body,
      h('h3', {}, indicator.name, h('span', { class: 'muted' }, ` · ${current.unit}`)),
      facts(current),
      current.reports.length ? chartOf(current, compared) : h('p', { class: 'hint' }, t('indicators.noReports')),
      notes(current),
      canReport(node) ? reportForm(node, current, async (updated) => {
        // The chart of a replication is drawn from its comparison: read it again, as reported now.
        if (node.__typename === 'Replication') compared = await freshComparison(node, indicator.key) ?? compared;
        draw({ ...current, ...updated });
        body.querySelector('h3')?.setAttribute('tabindex', '-1');
        body.querySelector('h3')?.focus();
      }, (text) => { announcer.textContent = text; }) : null);
  };
  draw(indicator);
  block.append(body, announcer);
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
