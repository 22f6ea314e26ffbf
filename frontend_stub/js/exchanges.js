// Peer exchanges: a government asks the organization behind a practice or a partnership for a
// study visit, mentoring or documents (the button on a detail page), and both organizations
// follow their requests on "#/exchanges?tab=incoming&state=REQUESTED".
//
// - `requestExchange` takes the form's input; its `errors { field code message }` land next to
//   the fields they name ("message", "preferredDates.1.start", "requestingRegionCode").
// - The list is `viewer.organization.exchangeRequests(direction, states)`: INCOMING (asked of
//   the organization) or OUTGOING (asked by it), newest first, 20 at a time.
// - Each exchange says which steps the signed-in user may take (`viewerSteps`), so the page
//   shows exactly those buttons; the server decides again on every step. A step quotes the
//   exchange's `version` and answers with the exchange as it is now.
// - Messages, reasons and feedback are what other people typed: they are set as text, never
//   as HTML, and only an https:// online link becomes clickable.

import {
  ACCEPT_EXCHANGE, ApiError, CANCEL_EXCHANGE, COMPLETE_EXCHANGE, CONVERT_EXCHANGE, DECLINE_EXCHANGE, EXCHANGE_REQUEST,
  EXCHANGES, graphql, ORGANIZATION_REGION, REQUEST_EXCHANGE, SCHEDULE_EXCHANGE,
} from './api.js';
import { externalLink, h, replace, spinner, uniqueId } from './dom.js';
import { errorText, formatDate, formatDateTime, label, localized, t, values as enumValues } from './i18n.js';
import { regionPicker } from './regions.js';
import { hashFor, updateUrl } from './router.js';
import { currentUser, ensureSignedIn, signInHash } from './session.js';

export const EXCHANGES_PATH = '/exchanges';
// Who may ask, as resolvers/permissions.py decides: members and admins of a government.
const GOVERNMENTS = new Set(['KECAMATAN_GOVERNMENT', 'KELURAHAN_GOVERNMENT', 'CITY_GOVERNMENT']);
const REQUESTER_ROLES = new Set(['MEMBER', 'ADMIN']);
const MAX_DATE_RANGES = 3;
const TABS = ['incoming', 'outgoing'];

/** Whether `user` may ask the organization behind `node` (a practice or partnership) for an exchange. */
export function canRequestExchange(user, node) {
  return Boolean(user && REQUESTER_ROLES.has(user.role) && GOVERNMENTS.has(user.organization?.kind)
    && node.status === 'PUBLISHED' && node.organization && node.organization.id !== user.organization.id);
}

function today() {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 10);
}

// --- errors next to their fields -------------------------------------------------------------

/**
 * Where a form's errors go: each field registers its path; an error lands on its path or the
 * nearest enclosing one, and the summary (which takes focus) lists them all.
 */
function fieldErrors(summary) {
  const targets = new Map();
  const clear = () => {
    for (const target of targets.values()) target.clear();
    summary.hidden = true;
    replace(summary);
  };
  return {
    /** A field's wrapper, error paragraph, label text and control (to mark aria-invalid). */
    register(path, { wrapper, errorElement, text, control = null }) {
      targets.set(path, {
        text,
        show(message) {
          wrapper.classList.add('has-error');
          errorElement.hidden = false;
          errorElement.textContent = message;
          control?.setAttribute('aria-invalid', 'true');
        },
        clear() {
          wrapper.classList.remove('has-error');
          errorElement.hidden = true;
          errorElement.textContent = '';
          control?.removeAttribute('aria-invalid');
        },
        focus: () => (control ?? wrapper.querySelector('input, select, textarea'))?.focus(),
      });
    },
    forget(prefix) {
      for (const path of [...targets.keys()]) if (path.startsWith(prefix)) targets.delete(path);
    },
    clear,
    show(errors) {
      clear();
      const messages = new Map();
      const items = errors.map((error) => {
        const parts = (error.field ?? '').split('.');
        let target = null;
        while (parts.length && !target) {
          target = targets.get(parts.join('.')) ?? null;
          if (!target) parts.pop();
        }
        const text = errorText(error);
        if (target) messages.set(target, [...(messages.get(target) ?? []), text]);
        const line = target ? `${target.text}: ${text}` : text;
        return h('li', {}, target
          ? h('button', { type: 'button', class: 'button link', onclick: () => target.focus() }, line) : line);
      });
      for (const [target, texts] of messages) target.show(texts.join(' '));
      replace(summary, h('h3', {}, t('exchange.errorSummary', { count: errors.length })), h('ul', {}, items));
      summary.hidden = false;
      summary.focus();
    },
  };
}

/** A labelled control with its hint and error paragraph, registered at `path`. */
function field(errors, { path, text, control, hint = null, required = false }) {
  const id = uniqueId('exchange-field');
  const errorElement = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  const hintElement = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  control.id = id;
  control.setAttribute('aria-describedby', [hintElement?.id, errorElement.id].filter(Boolean).join(' '));
  const wrapper = h('div', { class: 'field' },
    h('label', { for: id }, text, h('span', { class: required ? 'required' : 'optional' },
      ` (${required ? t('contribute.required') : t('contribute.optional')})`)),
    hintElement, errorElement, control);
  errors.register(path, { wrapper, errorElement, text, control });
  return wrapper;
}

function failure(error) {
  if (error instanceof ApiError && error.code === 'NETWORK_ERROR') return t('error.network');
  return error.requestId ? `${t('error.generic')} ${t('error.requestId', { id: error.requestId })}` : t('error.generic');
}

// --- the request, from a practice or partnership page ---------------------------------------

/** The "ask for a visit / mentoring" section of a detail page: a button, then the form. */
export function exchangeRequestSection(node, { signal }) {
  const user = currentUser();
  const organization = node.organization?.name ?? '';
  const heading = h('h2', { id: 'exchange-heading' }, t('exchange.heading'));
  if (!user) {
    return h('section', { class: 'detail-section exchange-request', 'aria-labelledby': heading.id }, heading,
      h('p', { class: 'hint' }, h('a', { href: signInHash() }, t('exchange.signIn'))));
  }
  if (!canRequestExchange(user, node)) return null;
  const formId = uniqueId('exchange-form');
  const section = h('section', { class: 'detail-section exchange-request', 'aria-labelledby': heading.id },
    heading, h('p', {}, t('exchange.intro', { organization })));
  const button = h('button', { type: 'button', class: 'button primary', 'aria-expanded': 'false',
    'aria-controls': formId, onclick: () => {
      button.hidden = true;
      button.setAttribute('aria-expanded', 'true');
      const form = requestForm(node, { id: formId, signal, onClose: () => {
        form.remove();
        button.hidden = false;
        button.setAttribute('aria-expanded', 'false');
        button.focus();
      } });
      section.append(form);
      form.querySelector('input, textarea')?.focus();
    } }, t('exchange.request'));
  section.append(button);
  return section;
}

function requestForm(node, { id, signal, onClose }) {
  const user = currentUser();
  const summary = h('div', { class: 'error-summary', tabindex: '-1', hidden: true });
  const errors = fieldErrors(summary);
  const status = h('div', { class: 'form-status', role: 'status' });
  let regionCode = null;
  let ranges = [{ start: '', end: '' }];

  const kinds = h('fieldset', { class: 'field choices' },
    h('legend', {}, t('exchange.kind'), h('span', { class: 'required' }, ` (${t('contribute.required')})`)));
  const kindError = h('p', { class: 'field-error', id: uniqueId('kind-error'), hidden: true });
  kinds.append(kindError, h('ul', { class: 'choice-list' }, enumValues('exchangeKind').map((value, index) => {
    const optionId = uniqueId('exchange-kind');
    return h('li', {}, h('input', { type: 'radio', name: `${id}-kind`, id: optionId, value, checked: index === 0 }),
      h('label', { for: optionId }, label('exchangeKind', value)));
  })));
  errors.register('kind', { wrapper: kinds, errorElement: kindError, text: t('exchange.kind') });

  const message = h('textarea', { rows: 5, maxlength: 4000, name: 'message' });
  const participants = h('input', { type: 'number', min: 1, max: 200, inputmode: 'numeric', name: 'participants' });

  const rangesError = h('p', { class: 'field-error', id: uniqueId('dates-error'), hidden: true });
  const rangeRows = h('div', { class: 'rows' });
  const addRange = h('button', { type: 'button', class: 'button small', onclick: () => {
    ranges.push({ start: '', end: '' });
    drawRanges();
    rangeRows.lastElementChild?.querySelector('input')?.focus();
  } }, `+ ${t('exchange.addDates')}`);
  const rangesField = h('fieldset', { class: 'field' },
    h('legend', {}, t('exchange.preferredDates'), h('span', { class: 'required' }, ` (${t('contribute.required')})`)),
    h('p', { class: 'hint' }, t('exchange.preferredDatesHint')), rangesError, rangeRows, addRange);
  errors.register('preferredDates', { wrapper: rangesField, errorElement: rangesError, text: t('exchange.preferredDates') });

  function drawRanges() {
    errors.forget('preferredDates.');
    addRange.hidden = ranges.length >= MAX_DATE_RANGES;
    replace(rangeRows, ranges.map((range, index) => {
      const path = `preferredDates.${index}`;
      const legend = t('exchange.dateRange', { number: index + 1 });
      const rowError = h('p', { class: 'field-error', id: uniqueId('range-error'), hidden: true });
      const dateInput = (key) => {
        const input = h('input', { type: 'date', min: today(), name: `${path}.${key}`,
          oninput: (event) => { range[key] = event.target.value; } });
        input.value = range[key];
        return field(errors, { path: `${path}.${key}`, text: `${legend}: ${t(`exchange.${key}`)}`, control: input,
          required: true });
      };
      const row = h('fieldset', { class: 'row' }, h('legend', {}, legend), rowError,
        h('div', { class: 'row-fields' }, dateInput('start'), dateInput('end')),
        ranges.length > 1 ? h('button', { type: 'button', class: 'button link small', onclick: () => {
          ranges = ranges.filter((_, i) => i !== index);
          drawRanges();
          addRange.focus();
        } }, t('exchange.remove')) : null);
      errors.register(path, { wrapper: row, errorElement: rowError, text: legend });
      return row;
    }));
  }
  drawRanges();

  const regionError = h('p', { class: 'field-error', id: uniqueId('region-error'), hidden: true });
  const pickerHolder = h('div', {});
  const drawPicker = (value) => {
    const legend = h('span', {}, t('exchange.region'),
      h('span', { class: 'required' }, ` (${t('contribute.required')})`));
    const picker = regionPicker({ legend, hint: t('exchange.regionHint'), value,
      emptyText: t('region.choose'), onChange: (code) => { regionCode = code; } });
    regionCode = value;
    picker.element.querySelector('legend').after(regionError);
    errors.register('requestingRegionCode', { wrapper: picker.element, errorElement: regionError,
      text: t('exchange.region') });
    replace(pickerHolder, picker.element);
  };
  drawPicker(null);
  // Most delegations come from the organization's own region: start the picker there.
  if (user.organization?.id) {
    graphql(ORGANIZATION_REGION, { id: user.organization.id }, { signal })
      .then(({ node: organization }) => { if (organization?.region && !regionCode) drawPicker(organization.region.code); })
      .catch(() => {}); // the picker still works from the provinces
  }

  const submitButton = h('button', { type: 'submit', class: 'button primary' }, t('exchange.send'));
  const form = h('form', { id, class: 'exchange-form', novalidate: true, 'aria-label': t('exchange.request'),
    onsubmit: async (event) => {
      event.preventDefault();
      if (!(await ensureSignedIn())) return;
      const count = participants.value.trim();
      const input = {
        subjectId: node.id,
        kind: form.querySelector(`input[name="${id}-kind"]:checked`)?.value,
        message: message.value.trim() || undefined,
        preferredDates: ranges.filter((r) => r.start || r.end).map((r) => ({ start: r.start || null, end: r.end || null })),
        participants: /^\d+$/.test(count) ? Number(count) : undefined,
        requestingRegionCode: regionCode ?? undefined,
      };
      if (count && input.participants === undefined) {
        return errors.show([{ field: 'participants', code: 'NUMBER', message: t('error.NUMBER') }]);
      }
      submitButton.disabled = true;
      replace(status, spinner(t('exchange.sending')));
      try {
        const { requestExchange } = await graphql(REQUEST_EXCHANGE, { input }, { signal });
        replace(status);
        if (requestExchange.errors.length) return errors.show(requestExchange.errors);
        form.replaceWith(sentPanel(requestExchange.exchangeRequest, node));
      } catch (error) {
        if (error.name === 'AbortError') return;
        replace(status, h('div', { class: 'error-box', role: 'alert' }, h('p', {}, t('exchange.failed')),
          h('p', { class: 'small' }, failure(error))));
      } finally {
        submitButton.disabled = false;
      }
    } },
  summary, kinds,
  field(errors, { path: 'message', text: t('exchange.message'), control: message, hint: t('exchange.messageHint'), required: true }),
  rangesField,
  field(errors, { path: 'participants', text: t('exchange.participants'), control: participants,
    hint: t('exchange.participantsHint'), required: true }),
  pickerHolder,
  h('div', { class: 'form-actions' }, submitButton,
    h('button', { type: 'button', class: 'button', onclick: onClose }, t('exchange.close')), status));
  return form;
}

function sentPanel(exchange, node) {
  const title = h('h3', { tabindex: '-1' }, t('exchange.sent'));
  const panel = h('div', { class: 'success', role: 'status' }, title,
    h('p', {}, t('exchange.sentText', { organization: node.organization?.name ?? '',
      state: label('exchangeState', exchange.state) })),
    h('p', { class: 'actions' }, h('a', { class: 'button', href: hashFor(EXCHANGES_PATH,
      new URLSearchParams({ tab: 'outgoing' })) }, t('exchange.viewExchanges'))));
  queueMicrotask(() => title.focus());
  return panel;
}

// --- the exchanges page -----------------------------------------------------------------------

export async function renderExchanges(outlet, { params, signal }) {
  const heading = h('h1', { tabindex: '-1' }, t('exchanges.title'));
  const page = h('section', { class: 'exchanges' }, heading);
  replace(outlet, page);
  if (!(await ensureSignedIn()) || signal.aborted) return;
  const user = currentUser();
  if (params.get('request')) {
    await renderOneExchange(page, params.get('request'), { user, signal });
    return;
  }
  let tab = TABS.includes(params.get('tab')) ? params.get('tab') : 'incoming';
  let state = enumValues('exchangeState').includes(params.get('state')) ? params.get('state') : '';
  const announcer = h('p', { class: 'visually-hidden', role: 'status' });
  const list = h('ol', { class: 'exchange-list', 'aria-live': 'off' });
  const count = h('p', { class: 'result-status', role: 'status' });
  const more = h('div', { class: 'more' });
  let controller = null;

  const panelId = uniqueId('exchanges-panel');
  const tabButtons = TABS.map((name) => h('button', {
    type: 'button', role: 'tab', id: `${panelId}-${name}`, 'aria-controls': panelId, class: 'tab',
    onclick: () => choose(name, { focus: false }),
    onkeydown: (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      choose(TABS[(TABS.indexOf(name) + step + TABS.length) % TABS.length], { focus: true });
    },
  }, t(`exchanges.${name}`)));
  const markTabs = () => tabButtons.forEach((button, index) => {
    const selected = TABS[index] === tab;
    button.setAttribute('aria-selected', String(selected));
    button.tabIndex = selected ? 0 : -1;
  });
  const stateSelect = h('select', { id: uniqueId('state-filter'), onchange: (event) => {
    state = event.target.value;
    remember();
    load();
  } }, h('option', { value: '' }, t('exchanges.allStates')),
  enumValues('exchangeState').map((value) => h('option', { value }, label('exchangeState', value))));
  stateSelect.value = state;
  const panel = h('div', { role: 'tabpanel', id: panelId, class: 'exchange-panel' },
    h('div', { class: 'field exchange-filter' }, h('label', { for: stateSelect.id }, t('exchanges.state')), stateSelect),
    count, list, more);

  function remember() {
    const query = new URLSearchParams({ tab });
    if (state) query.set('state', state);
    updateUrl(hashFor(EXCHANGES_PATH, query));
  }

  function choose(name, { focus }) {
    if (name !== tab) {
      tab = name;
      remember();
      load();
    }
    markTabs();
    panel.setAttribute('aria-labelledby', `${panelId}-${tab}`);
    if (focus) tabButtons[TABS.indexOf(tab)].focus();
  }

  async function load(after = null) {
    controller?.abort();
    controller = new AbortController();
    const abort = controller.signal;
    signal.addEventListener('abort', () => controller.abort(), { once: true });
    if (!after) {
      replace(list);
      replace(count, spinner(t('exchanges.loading')));
    }
    replace(more);
    const direction = tab === 'incoming' ? 'INCOMING' : 'OUTGOING';
    try {
      const { viewer } = await graphql(EXCHANGES, { direction, states: state ? [state] : null, after },
        { signal: abort });
      const connection = viewer?.organization?.exchangeRequests;
      if (!connection) {
        replace(count, t('exchanges.none'));
        return;
      }
      replace(count, connection.totalCount ? t('exchanges.count', { count: connection.totalCount }) : t('exchanges.none'));
      const cards = connection.nodes.map((exchange) => h('li', {}, exchangeCard(exchange, { tab, announce })));
      list.append(...cards);
      if (connection.pageInfo.hasNextPage) {
        more.append(h('button', { type: 'button', class: 'button', onclick: async () => {
          await load(connection.pageInfo.endCursor);
          cards.at(-1)?.nextElementSibling?.querySelector('h2 a, h2')?.focus();
        } }, t('exchanges.loadMore')));
      }
    } catch (error) {
      if (error.name === 'AbortError') return;
      replace(count, h('span', { class: 'error-box', role: 'alert' }, t('exchanges.failed'), ' ', failure(error)));
    }
  }

  function announce(text) {
    announcer.textContent = text;
  }

  page.append(h('p', { class: 'lead' }, t('exchanges.intro', { organization: user.organization?.name ?? '' })),
    h('div', { role: 'tablist', class: 'tabs', 'aria-label': t('exchanges.tabs') }, tabButtons), panel, announcer);
  choose(tab, { focus: false });
  await load();
}

// "#/exchanges?request=<id>": one exchange, for a link from a notification or an email digest
// ("#/item/<id>" of an exchange comes here too, js/detail.js). Its direction is the viewer's:
// incoming when the viewer's organization was asked.
async function renderOneExchange(page, id, { user, signal }) {
  const announcer = h('p', { class: 'visually-hidden', role: 'status' });
  const content = h('div', {}, spinner(t('exchanges.loading')));
  page.append(h('p', { class: 'lead' }, t('exchanges.one')), content,
    h('p', {}, h('a', { href: hashFor(EXCHANGES_PATH) }, t('exchanges.all'))), announcer);
  try {
    const { node } = await graphql(EXCHANGE_REQUEST, { id }, { signal });
    if (node?.__typename !== 'ExchangeRequest') {
      replace(content, h('p', { class: 'notice' }, t('exchanges.oneNotFound')));
      return;
    }
    const tab = node.ownerOrganization?.id === user.organization?.id ? 'incoming' : 'outgoing';
    replace(content, exchangeCard(node, { tab, announce: (text) => { announcer.textContent = text; } }));
  } catch (error) {
    if (error.name === 'AbortError') return;
    // An ID that is not one is refused as a whole request: it is as good as not found.
    replace(content, h('p', { class: 'notice' }, error instanceof ApiError && error.code === 'NETWORK_ERROR'
      ? t('error.network') : t('exchanges.oneNotFound')));
  }
}

// --- one exchange -------------------------------------------------------------------------------

const STEPS = {
  ACCEPT: { mutation: ACCEPT_EXCHANGE, field: 'acceptExchange' },
  DECLINE: { mutation: DECLINE_EXCHANGE, field: 'declineExchange' },
  SCHEDULE: { mutation: SCHEDULE_EXCHANGE, field: 'scheduleExchange' },
  COMPLETE: { mutation: COMPLETE_EXCHANGE, field: 'completeExchange' },
  CANCEL: { mutation: CANCEL_EXCHANGE, field: 'cancelExchange' },
  CONVERT: { mutation: CONVERT_EXCHANGE, field: 'convertExchangeToReplication' },
};

function itemHref(id) {
  return hashFor(`/item/${encodeURIComponent(id)}`);
}

function place(region) {
  return region ? [region.name, ...[...(region.ancestors ?? [])].reverse().map((a) => a.name)].join(', ') : '';
}

/** Paragraphs of what someone typed, as text. */
function prose(text) {
  return text ? text.split(/\n+/).filter(Boolean).map((p) => h('p', { lang: 'id' }, p)) : null;
}

export function exchangeCard(exchange, { tab, announce }) {
  const subject = exchange.subject ? localized(exchange.subject.title, exchange.subject.titleEn) : null;
  const other = tab === 'incoming' ? exchange.requesterOrganization : exchange.ownerOrganization;
  const headingId = uniqueId('exchange');
  const heading = h('h2', { id: headingId, class: 'exchange-title', tabindex: '-1' }, subject
    ? h('a', { href: itemHref(exchange.subject.id), lang: subject.lang }, subject.text)
    : t('exchanges.subjectGone'));
  const card = h('article', { class: 'exchange-card', 'data-id': exchange.id, 'data-state': exchange.state,
    'aria-labelledby': headingId });
  const schedule = exchange.schedule;
  const rows = [
    [tab === 'incoming' ? t('exchanges.from') : t('exchanges.to'), other?.name],
    [t('exchanges.region'), place(exchange.requestingRegion)],
    [t('exchanges.participantsLabel'), t('exchanges.participants', { count: exchange.participants })],
    [t('exchanges.preferredDates'), h('ul', { class: 'plain' }, exchange.preferredDates.map((range) =>
      h('li', {}, range.start === range.end ? formatDate(range.start)
        : `${formatDate(range.start)} – ${formatDate(range.end)}`)))],
    [t('exchanges.schedule'), schedule ? h('span', {}, formatDateTime(schedule.startsAt),
      schedule.endsAt ? ` – ${formatDateTime(schedule.endsAt)}` : '') : null],
    [t('exchanges.place'), schedule?.place],
    [t('exchanges.online'), schedule?.onlineUrl?.startsWith('https://')
      ? externalLink(schedule.onlineUrl, schedule.onlineUrl, t('detail.newTab')) : null],
    [t('exchanges.declineReason'), exchange.declineReason],
    [t('exchanges.cancelReason'), exchange.cancelReason],
    [t('exchanges.rating'), exchange.rating ? t('exchanges.ratingValue', { rating: exchange.rating }) : null],
    [t('exchanges.replication'), exchange.replication
      ? h('a', { href: itemHref(exchange.replication.id) }, exchange.replication.title) : null],
  ];
  const actions = h('div', { class: 'exchange-actions' });
  const formHolder = h('div', {});
  for (const step of exchange.viewerSteps) {
    actions.append(h('button', { type: 'button', class: `button${step === 'CANCEL' || step === 'DECLINE' ? '' : ' primary'}`,
      'data-step': step, onclick: () => openStep(step) }, label('exchangeStep', step)));
  }

  function openStep(step) {
    actions.hidden = true;
    const form = stepForm(exchange, step, {
      onClose: () => {
        replace(formHolder);
        actions.hidden = false;
        actions.querySelector(`[data-step="${step}"]`)?.focus();
      },
      onDone: (next, replication) => {
        const fresh = exchangeCard(next, { tab, announce });
        card.replaceWith(fresh);
        announce(replication ? t('exchanges.converted', { title: replication.title })
          : t('exchanges.done', { state: label('exchangeState', next.state) }));
        fresh.querySelector('.exchange-title')?.focus();
      },
    });
    replace(formHolder, form);
    form.querySelector('textarea, input, select')?.focus();
  }

  replace(card,
    h('p', { class: 'badges' }, h('span', { class: 'badge' }, label('exchangeKind', exchange.kind)),
      h('span', { class: `badge state state-${exchange.state.toLowerCase()}` }, label('exchangeState', exchange.state)),
      h('span', { class: 'muted small' }, t('exchanges.requestedOn', { date: formatDate(exchange.createdAt) }))),
    heading,
    h('div', { class: 'exchange-message' }, prose(exchange.message)),
    h('dl', { class: 'facts' }, rows.filter(([, value]) => value).map(([term, value]) =>
      h('div', {}, h('dt', {}, term), h('dd', {}, value)))),
    exchange.feedback ? h('div', { class: 'exchange-feedback' }, h('h3', {}, t('exchanges.feedback')), prose(exchange.feedback)) : null,
    actions, formHolder);
  return card;
}

/** The form of one step, with its own fields; `onDone(exchange, replication)` once the step is taken. */
function stepForm(exchange, step, { onClose, onDone }) {
  const summary = h('div', { class: 'error-summary', tabindex: '-1', hidden: true });
  const errors = fieldErrors(summary);
  const status = h('div', { class: 'form-status', role: 'status' });
  const text = (rows = 3) => h('textarea', { rows, maxlength: 4000 });
  const controls = {};
  const fields = [];
  const add = (name, spec) => {
    controls[name] = spec.control;
    fields.push(field(errors, { path: name, ...spec }));
  };
  switch (step) {
    case 'ACCEPT':
      add('comment', { text: t('exchanges.comment'), control: text() });
      break;
    case 'DECLINE':
      add('reason', { text: t('exchanges.reason'), control: text(), required: true });
      break;
    case 'SCHEDULE':
      add('startsAt', { text: t('exchanges.startsAt'), control: h('input', { type: 'datetime-local' }), required: true });
      add('endsAt', { text: t('exchanges.endsAt'), control: h('input', { type: 'datetime-local' }) });
      add('place', { text: t('exchanges.placeField'), control: h('input', { type: 'text', maxlength: 300 }),
        hint: t('exchanges.placeHint') });
      add('onlineUrl', { text: t('exchanges.onlineUrl'), control: h('input', { type: 'url', placeholder: 'https://' }) });
      break;
    case 'COMPLETE':
      add('feedback', { text: t('exchanges.feedbackField'), control: text(4), required: true });
      add('rating', { text: t('exchanges.ratingField'), required: true, control: h('select', {},
        h('option', { value: '' }, t('contribute.choose')),
        [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, t('exchanges.ratingValue', { rating: n })))) });
      break;
    case 'CANCEL':
      add('reason', { text: t('exchanges.reason'), control: text() });
      break;
    case 'CONVERT':
      add('adaptations', { text: t('exchanges.adaptations'), control: text(4), hint: t('exchanges.adaptationsHint') });
      break;
    default:
      break;
  }

  function input() {
    const values = { id: exchange.id, version: exchange.version };
    const local = [];
    for (const [name, control] of Object.entries(controls)) {
      const value = control.value.trim();
      if (!value) continue;
      if (control.type === 'datetime-local') {
        const moment = new Date(value); // the browser's local time, sent with its offset (as UTC)
        if (Number.isNaN(moment.getTime())) local.push({ field: name, code: 'INVALID', message: t('error.INVALID') });
        else values[name] = moment.toISOString();
      } else {
        values[name] = name === 'rating' ? Number(value) : value;
      }
    }
    return { values, local };
  }

  const submitButton = h('button', { type: 'submit', class: 'button primary' }, label('exchangeStep', step));
  const form = h('form', { class: 'exchange-step', novalidate: true, 'aria-label': label('exchangeStep', step),
    onsubmit: async (event) => {
      event.preventDefault();
      const { values, local } = input();
      if (local.length) return errors.show(local);
      submitButton.disabled = true;
      replace(status, spinner(t('exchange.sending')));
      try {
        const data = await graphql(STEPS[step].mutation, { input: values });
        const payload = data[STEPS[step].field];
        replace(status);
        if (payload.errors.some((error) => error.code === 'UNAUTHENTICATED') && !(await ensureSignedIn())) return;
        if (payload.errors.length) return errors.show(payload.errors);
        onDone(payload.exchangeRequest, payload.replication ?? null);
      } catch (error) {
        replace(status, h('div', { class: 'error-box', role: 'alert' }, h('p', {}, t('exchanges.stepFailed')),
          h('p', { class: 'small' }, failure(error))));
      } finally {
        submitButton.disabled = false;
      }
    } },
  summary, fields,
  h('div', { class: 'form-actions' }, submitButton,
    h('button', { type: 'button', class: 'button', onclick: onClose }, t('exchange.close')), status));
  return form;
}
