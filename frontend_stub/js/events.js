// Events and trainings: "#/kegiatan" lists those to come, soonest first, with filters by region,
// theme and kind, a calendar feed of the same filter, the viewer's own registrations and a
// certificate check; "#/kegiatan/<global id>" is one event, where members register and its
// organizers keep attendance.
//
// Times are shown on the venue's own clock, as the API gives them: `startsAt` is UTC, and
// `timeZone` (Asia/Jakarta, Asia/Makassar, Asia/Jayapura) with `timeZoneAbbreviation` (WIB,
// WITA, WIT) says where. Intl.DateTimeFormat does the rest, whatever the visitor's own zone:
// a training in Makassar at nine reads "09.00 WITA" in Jakarta and in Jayapura alike.

import {
  ApiError,
  CANCEL_REGISTRATION,
  EVENT,
  EVENTS,
  graphql,
  MARK_ATTENDANCE,
  MY_EVENT_REGISTRATIONS,
  REGISTER_FOR_EVENT,
  VERIFY_CERTIFICATE,
} from './api.js';
import { fullPlace } from './detail.js';
import { followControl } from './follow.js';
import { append, externalLink, h, replace, spinner, uniqueId } from './dom.js';
import { errorText, formatEventTime, formatNumber, label, localized, t, values as enumValues } from './i18n.js';
import { REGION_CODE, regionPicker } from './regions.js';
import { hashFor, updateUrl } from './router.js';
import { shortPlace } from './search.js';
import { currentUser, signInHash } from './session.js';

export const EVENTS_PATH = '/kegiatan';
const LAST_EVENTS_KEY = 'lumbung.lastEvents';
// The calendar feed keeps a month of past events, so that a subscription keeps what just took place.
const FEED_PAST_DAYS = 30;

export function eventHref(id) {
  return hashFor(`${EVENTS_PATH}/${encodeURIComponent(id)}`);
}

function when(event) {
  return h('time', { datetime: event.startsAt }, formatEventTime(event));
}

function placeText(event) {
  if (!event.venue) return t('events.online');
  const region = event.venue.region ? shortPlace(event.venue.region) : '';
  return [event.venue.name, region, event.onlineUrl ? t('events.alsoOnline') : null].filter(Boolean).join(' · ');
}

function seatsText(event) {
  if (event.status === 'CANCELLED') return t('events.cancelled');
  if (event.seatsLeft > 0) return t('events.seatsLeft', { count: formatNumber(event.seatsLeft) });
  return t('events.full');
}

function isOpen(event) {
  const closes = Date.parse(event.registrationDeadline ?? event.startsAt);
  return event.status === 'PUBLISHED' && Date.now() < closes;
}

function badges(event) {
  return h('p', { class: 'badges' },
    h('span', { class: 'badge event-kind' }, label('eventKind', event.kind)),
    event.status !== 'PUBLISHED' ? h('span', { class: `badge status event-${event.status.toLowerCase()}` },
      label('eventStatus', event.status)) : null,
    event.isDemo ? h('span', { class: 'badge demo' }, t('detail.demo')) : null);
}

function failure(error) {
  if (error instanceof ApiError && error.code === 'NETWORK_ERROR') return t('error.network');
  return error.requestId ? t('error.requestId', { id: error.requestId }) : t('error.generic');
}

// --- the list ----------------------------------------------------------------------------------

/** The list's state in the URL: "#/kegiatan?region=73&theme=HEALTH&kind=TRAINING". */
function stateFromParams(params) {
  const region = params.get('region');
  const theme = params.get('theme');
  const kind = params.get('kind');
  return {
    region: region && REGION_CODE.test(region) ? region : null,
    theme: enumValues('theme').includes(theme) ? theme : null,
    kind: enumValues('eventKind').includes(kind) ? kind : null,
  };
}

function paramsFromState(state) {
  const params = new URLSearchParams();
  for (const name of ['region', 'theme', 'kind']) if (state[name]) params.set(name, state[name]);
  return params;
}

function eventFilter(state, from) {
  return {
    from,
    regionCode: state.region,
    themes: state.theme ? [state.theme] : null,
    kinds: state.kind ? [state.kind] : null,
  };
}

/** The iCalendar feed of the same filter, as an absolute URL to paste into a calendar app. */
function feedUrl(state) {
  const since = new Date(Date.now() - FEED_PAST_DAYS * 86_400_000);
  since.setUTCHours(0, 0, 0, 0);
  const url = new URL('/events.ics', location.href);
  url.searchParams.set('from', since.toISOString().replace('.000Z', 'Z'));
  if (state.region) url.searchParams.set('regionCode', state.region);
  if (state.theme) url.searchParams.set('theme', state.theme);
  if (state.kind) url.searchParams.set('kind', state.kind);
  return url.href;
}

function eventRow(event) {
  const title = localized(event.title, event.titleEn);
  const full = event.status === 'PUBLISHED' && event.seatsLeft === 0;
  return h('li', { class: 'event', 'data-status': event.status, 'data-starts-at': event.startsAt },
    h('article', {},
      badges(event),
      h('h3', { class: 'event-title' }, h('a', { href: eventHref(event.id), lang: title.lang }, title.text)),
      h('p', { class: 'event-when' }, when(event)),
      h('p', { class: 'event-meta' },
        h('span', { class: 'event-organizer' }, event.organizer?.name ?? ''),
        h('span', { class: 'event-place' }, placeText(event))),
      h('p', { class: `event-seats${full ? ' full' : ''}` }, seatsText(event),
        full && event.waitlistCount ? h('span', { class: 'muted' },
          ` · ${t('events.waiting', { count: formatNumber(event.waitlistCount) })}`) : null)));
}

function select(id, text, kind, chosen, onChange) {
  const control = h('select', { id, name: id, onchange: (e) => onChange(e.target.value || null) },
    h('option', { value: '' }, t('events.all')),
    enumValues(kind).map((value) => h('option', { value, selected: value === chosen }, label(kind, value))));
  return h('div', { class: 'field' }, h('label', { for: id }, text), control);
}

export async function renderEvents(outlet, { params, signal }) {
  let state = stateFromParams(params);
  sessionStorage.setItem(LAST_EVENTS_KEY, hashFor(EVENTS_PATH, paramsFromState(state)));
  let controller = null;
  let endCursor = null;
  let from = null;

  const statusLine = h('p', { class: 'result-status', id: 'events-status', role: 'status', 'aria-live': 'polite' });
  const errorBox = h('div', { class: 'error-box', role: 'alert' });
  const list = h('ol', { class: 'event-list', id: 'events' });
  const loading = h('div', { class: 'loading-slot' });
  const moreButton = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => load({ more: true }) },
    t('events.loadMore'));
  const feedLink = h('a', { class: 'button calendar-link', href: feedUrl(state) }, t('events.subscribe'));
  const picker = regionPicker({ legend: t('events.region'), value: state.region, onChange: (code) => change({ region: code }) });
  const filters = h('form', { class: 'event-filters', 'aria-labelledby': 'event-filters-heading',
    onsubmit: (event) => event.preventDefault() },
  h('h2', { id: 'event-filters-heading' }, t('events.filters')),
  picker.element,
  select('event-theme', t('events.theme'), 'theme', state.theme, (theme) => change({ theme })),
  select('event-kind', t('events.kind'), 'eventKind', state.kind, (kind) => change({ kind })),
  h('div', { class: 'calendar-feed' }, feedLink, h('p', { class: 'hint' }, t('events.subscribeHint'))));

  replace(outlet, h('section', { class: 'events-page' },
    h('div', { class: 'search-hero' },
      h('h1', { tabindex: '-1' }, t('events.title')), h('p', { class: 'lead' }, t('events.intro'))),
    h('div', { class: 'events-layout' },
      h('aside', { class: 'events-side' }, filters, mySection(signal), verifySection()),
      h('section', { class: 'results', 'aria-labelledby': 'events-heading' },
        h('h2', { id: 'events-heading', class: 'visually-hidden' }, t('events.list')),
        statusLine, errorBox, loading, list, h('div', { class: 'more' }, moreButton)))));

  function change(next) {
    state = { ...state, ...next };
    const hash = hashFor(EVENTS_PATH, paramsFromState(state));
    updateUrl(hash, { push: true });
    sessionStorage.setItem(LAST_EVENTS_KEY, hash);
    feedLink.href = feedUrl(state);
    load();
  }

  async function load({ more = false } = {}) {
    if (!more) {
      controller?.abort();
      controller = new AbortController();
      signal.addEventListener('abort', () => controller.abort(), { once: true });
      from = new Date().toISOString();
      endCursor = null;
    }
    const mine = controller;
    replace(errorBox);
    replace(loading, spinner(t('events.loading')));
    list.classList.toggle('stale', !more);
    moreButton.disabled = true;
    try {
      const { events } = await graphql(EVENTS, { filter: eventFilter(state, from), after: more ? endCursor : null },
        { signal: mine.signal });
      if (mine.signal.aborted) return;
      const rows = events.nodes.map(eventRow);
      if (more) append(list, rows);
      else replace(list, rows);
      endCursor = events.pageInfo.endCursor;
      moreButton.hidden = !events.pageInfo.hasNextPage;
      statusLine.textContent = more ? t('events.loadedMore', { count: rows.length })
        : events.totalCount ? t('events.count', { count: formatNumber(events.totalCount) }) : t('events.none');
      if (more) rows[0]?.querySelector('a')?.focus();
    } catch (error) {
      if (error.name === 'AbortError') return;
      if (!more) replace(list);
      statusLine.textContent = '';
      replace(errorBox, h('p', {}, t('events.failed')), h('p', { class: 'small' }, failure(error)),
        h('button', { type: 'button', class: 'button', onclick: () => load({ more }) }, t('search.retry')));
    } finally {
      if (!mine.signal.aborted) {
        replace(loading);
        list.classList.remove('stale');
        moreButton.disabled = false;
      }
    }
  }

  await load();
}

/** The signed-in viewer's registrations for events still to come or under way. */
function mySection(signal) {
  if (!currentUser()) return null;
  const content = h('div', { 'aria-busy': 'true' }, spinner(t('detail.loading')));
  graphql(MY_EVENT_REGISTRATIONS, {}, { signal }).then(({ viewer }) => {
    const now = Date.now();
    const current = (viewer?.eventRegistrations.nodes ?? [])
      .filter((r) => r.status !== 'CANCELLED' && Date.parse(r.event.endsAt) > now);
    replace(content, current.length ? h('ul', { class: 'plain my-registrations' }, current.map((r) => {
      const title = localized(r.event.title, r.event.titleEn);
      return h('li', {}, h('a', { href: eventHref(r.event.id), lang: title.lang }, title.text),
        h('span', { class: 'muted' }, ` · ${formatEventTime(r.event)} · ${registrationStatusText(r)}`));
    })) : h('p', { class: 'muted' }, t('events.mineNone')));
  }).catch((error) => {
    if (error.name !== 'AbortError') replace(content, h('p', { class: 'muted' }, failure(error)));
  }).finally(() => content.removeAttribute('aria-busy'));
  return h('section', { class: 'side-box', 'aria-labelledby': 'my-events-heading' },
    h('h2', { id: 'my-events-heading' }, t('events.mine')), content);
}

function registrationStatusText(registration) {
  return registration.status === 'WAITLISTED'
    ? `${label('registrationStatus', 'WAITLISTED')}, ${t('event.position', { position: registration.position })}`
    : label('registrationStatus', registration.status);
}

/** "Verifikasi sertifikat": anyone may check a certificate of attendance by its code. */
function verifySection() {
  const input = h('input', { id: 'certificate-code', name: 'code', type: 'text', autocomplete: 'off',
    spellcheck: 'false', autocapitalize: 'characters', placeholder: 'LMB-ABCDE-FGH23', 'aria-describedby': 'certificate-hint' });
  const result = h('div', { class: 'verify-result', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'button' }, t('events.verifySubmit'));
  const form = h('form', { class: 'verify-form', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const code = input.value.trim();
    if (!code) {
      replace(result, h('p', { class: 'field-error' }, t('error.REQUIRED')));
      input.focus();
      return;
    }
    button.disabled = true;
    replace(result, spinner(t('events.verifyChecking')));
    try {
      const { verifyCertificate: found } = await graphql(VERIFY_CERTIFICATE, { code });
      if (found.valid) {
        const title = localized(found.attendedEvent.title, found.attendedEvent.titleEn);
        replace(result, h('p', { class: 'verify-valid' }, h('span', { 'aria-hidden': 'true' }, '✓ '),
          t('events.verifyValid', { name: found.participantName ?? '', title: title.text, when: formatEventTime(found.attendedEvent) })),
        h('p', {}, h('a', { href: eventHref(found.attendedEvent.id) }, title.text)));
      } else {
        replace(result, h('p', { class: 'verify-invalid' }, t('events.verifyInvalid', { code })));
      }
    } catch (error) {
      replace(result, h('p', { class: 'verify-invalid' }, failure(error)));
    } finally {
      button.disabled = false;
    }
  } },
  h('div', { class: 'field' }, h('label', { for: input.id }, t('events.verifyCode')), input),
  h('div', { class: 'form-actions' }, button));
  return h('section', { class: 'side-box', 'aria-labelledby': 'verify-heading' },
    h('h2', { id: 'verify-heading' }, t('events.verify')),
    h('p', { class: 'hint', id: 'certificate-hint' }, t('events.verifyIntro')), form, result);
}

// --- one event ---------------------------------------------------------------------------------

export async function renderEventDetail(outlet, { args, signal }) {
  const backLink = h('a', { class: 'back', href: sessionStorage.getItem(LAST_EVENTS_KEY) ?? hashFor(EVENTS_PATH) },
    h('span', { 'aria-hidden': 'true' }, '← '), t('event.back'));
  const body = h('div', { class: 'detail-body', 'aria-busy': 'true' }, spinner(t('detail.loading')));
  replace(outlet, h('article', { class: 'detail event-detail' }, backLink, body));

  let node;
  try {
    ({ node } = await graphql(EVENT, { id: args.id }, { signal }));
  } catch (error) {
    if (error.name === 'AbortError') return;
    body.removeAttribute('aria-busy');
    replace(body, h('h1', { tabindex: '-1' }, t('event.failed')), h('p', {}, failure(error)));
    return;
  }
  body.removeAttribute('aria-busy');
  if (node?.__typename !== 'Event') {
    replace(body, h('h1', { tabindex: '-1' }, t('event.notFound')));
    return;
  }
  const event = node;
  const title = localized(event.title, event.titleEn);
  document.title = `${title.text} · Lumbung`;
  const seats = h('span', { class: 'event-seats-detail' });
  const showSeats = () => {
    seats.textContent = event.status === 'CANCELLED' ? t('events.cancelled')
      : t('event.seatsText', { left: formatNumber(event.seatsLeft), capacity: formatNumber(event.capacity) })
        + (event.waitlistCount ? ` · ${t('events.waiting', { count: formatNumber(event.waitlistCount) })}` : '');
  };
  showSeats();
  const description = localized(event.description, event.descriptionEn);

  replace(body,
    h('header', { class: 'detail-header' },
      badges(event),
      h('h1', { tabindex: '-1', lang: title.lang }, title.text),
      event.status === 'CANCELLED' ? h('div', { class: 'notice cancelled-notice' },
        h('p', {}, h('strong', {}, t('event.cancelledNotice'))),
        event.cancellationReason ? h('p', { lang: 'id' }, event.cancellationReason) : null) : null,
      facts(event, seats),
      h('p', { class: 'event-actions' },
        h('a', { class: 'button', href: event.calendarUrl, download: 'kegiatan.ics' }, t('event.addToCalendar')))),
    registrationPanel(event, showSeats),
    section(t('event.description'), description.text.split(/\n+/).filter(Boolean)
      .map((p) => h('p', { lang: description.lang }, p))),
    section(t('event.materials'), event.materials.length ? h('ul', { class: 'bullets' }, event.materials.map((m) =>
      h('li', {}, externalLink(m.url, m.label, t('detail.newTab'))))) : null),
    section(t('event.relatedPractices'), event.relatedPractices.length ? h('ul', { class: 'bullets' },
      event.relatedPractices.map((practice) => {
        const name = localized(practice.title, practice.titleEn);
        return h('li', {}, h('a', { href: hashFor(`/item/${encodeURIComponent(practice.id)}`), lang: name.lang }, name.text),
          practice.regions?.[0] ? h('span', { class: 'muted' }, ` · ${fullPlace(practice.regions[0])}`) : null);
      })) : null),
    event.viewerIsOrganizer ? attendanceSection(event) : null);
  // Followers are told when the event changes or is cancelled (js/follow.js).
  body.querySelector('.detail-header')?.append(followControl({ id: event.id }, { name: title.text, signal }));
}

function section(title, content) {
  const flat = [content].flat().filter(Boolean);
  return flat.length ? h('section', { class: 'detail-section' }, h('h2', {}, title), flat) : null;
}

function organizationLink(organization) {
  return h('a', { href: hashFor(`/item/${encodeURIComponent(organization.id)}`) }, organization.name);
}

function facts(event, seats) {
  const venue = event.venue;
  const rows = [
    [t('event.when'), h('span', {}, when(event),
      h('br'), h('span', { class: 'muted small' }, t('event.localTime', { zone: event.timeZoneAbbreviation })))],
    [t('event.where'), venue ? h('span', {}, venue.name,
      venue.address ? [h('br'), venue.address] : null,
      venue.region ? [h('br'), h('span', { class: 'muted' }, fullPlace(venue.region))] : null) : t('events.online')],
    [t('event.onlineLink'), event.onlineUrl ? externalLink(event.onlineUrl, event.onlineUrl, t('detail.newTab')) : null],
    [t('event.organizer'), event.organizer ? organizationLink(event.organizer) : null],
    [t('event.coOrganizers'), event.coOrganizers.length
      ? h('ul', { class: 'plain' }, event.coOrganizers.map((o) => h('li', {}, organizationLink(o)))) : null],
    [t('event.themes'), event.themes.length
      ? h('ul', { class: 'tags' }, event.themes.map((theme) => h('li', {}, label('theme', theme)))) : null],
    [t('event.seats'), seats],
    [t('event.deadline'), event.registrationDeadline ? formatEventTime({ ...event, startsAt: event.registrationDeadline, endsAt: null }) : null],
  ];
  return h('dl', { class: 'facts' }, rows.filter(([, value]) => value).map(([term, value]) =>
    h('div', {}, h('dt', {}, term), h('dd', {}, value))));
}

/**
 * The viewer's registration: a link to sign in, a button to register (or to join the waiting
 * list), or their status with a button to give the place up. Drawn again after each step.
 */
function registrationPanel(event, showSeats) {
  const panel = h('section', { class: 'detail-section event-panel', 'aria-labelledby': 'registration-heading' });
  const announcer = document.getElementById('announcer');

  async function act(mutation, field, busyText) {
    const button = panel.querySelector('button');
    button.disabled = true;
    button.textContent = busyText;
    let payload;
    try {
      payload = (await graphql(mutation, { input: { eventId: event.id } }))[field];
    } catch (error) {
      draw({ error: failure(error) });
      return;
    }
    if (payload.errors.length) {
      draw({ error: payload.errors.map(errorText).join(' ') });
      return;
    }
    event.viewerRegistration = payload.registration;
    Object.assign(event, payload.event);
    showSeats();
    draw({ focus: true });
    announcer.textContent = panel.querySelector('.registration-status')?.textContent ?? '';
  }

  function draw({ error = null, focus = false } = {}) {
    const mine = event.viewerRegistration?.status === 'CANCELLED' ? null : event.viewerRegistration;
    const open = isOpen(event);
    const started = Date.now() >= Date.parse(event.startsAt);
    const status = h('p', { class: 'registration-status', tabindex: '-1' });
    let action = null;
    if (!currentUser()) {
      action = open ? h('a', { class: 'button primary', href: signInHash() }, t('event.signInToRegister')) : null;
      status.textContent = open ? '' : closedText(event);
    } else if (mine?.status === 'REGISTERED') {
      status.textContent = mine.attended ? t('event.attended') : t('event.registered');
      if (!started) action = button(t('event.cancelRegistration'), () => act(CANCEL_REGISTRATION, 'cancelRegistration', t('event.cancelling')));
    } else if (mine?.status === 'WAITLISTED') {
      status.textContent = t('event.waitlisted', { position: mine.position });
      if (!started) action = button(t('event.leaveWaitlist'), () => act(CANCEL_REGISTRATION, 'cancelRegistration', t('event.cancelling')));
    } else if (open) {
      status.textContent = event.viewerRegistration?.status === 'CANCELLED' ? t('event.cancelledRegistration') : '';
      action = button(event.seatsLeft > 0 ? t('event.register') : t('event.joinWaitlist'),
        () => act(REGISTER_FOR_EVENT, 'registerForEvent', t('event.registering')), { primary: true });
    } else {
      status.textContent = closedText(event);
    }
    replace(panel,
      h('h2', { id: 'registration-heading' }, t('event.registration')),
      status.textContent ? status : null,
      mine?.status === 'WAITLISTED' ? h('p', { class: 'hint' }, t('event.waitlistHint')) : null,
      mine?.certificateCode ? h('p', { class: 'certificate' }, t('event.certificate', { code: mine.certificateCode })) : null,
      error ? h('p', { class: 'field-error', role: 'alert' }, error) : null,
      action ? h('div', { class: 'form-actions' }, action) : null);
    if (focus && status.isConnected) status.focus();
  }

  draw();
  return panel;
}

function closedText(event) {
  if (event.status === 'CANCELLED') return t('event.cancelledNotice');
  if (event.status === 'DRAFT') return t('event.notOpen');
  return t('event.closed');
}

function button(text, onclick, { primary = false } = {}) {
  return h('button', { type: 'button', class: `button${primary ? ' primary' : ''}`, onclick }, text);
}

/**
 * The organizers' list of who registered, with a "hadir" box for each seat holder that records
 * attendance at once (markAttendance) and shows the certificate code it gives.
 */
function attendanceSection(event) {
  const keeps = ['PUBLISHED', 'FINISHED'].includes(event.status);
  const message = h('p', { class: 'attendance-message', role: 'status', 'aria-live': 'polite' });
  if (!event.registrations.length) {
    return section(t('event.registrations'), h('p', { class: 'muted' }, t('event.registrationsNone')));
  }
  const rows = event.registrations.map((registration) => {
    const code = h('td', { class: 'certificate-code' }, registration.certificateCode ?? '–');
    let attended;
    if (keeps && registration.status === 'REGISTERED' && registration.user) {
      const id = uniqueId('attended');
      const box = h('input', { type: 'checkbox', id, checked: registration.attended,
        onchange: () => mark(registration, box, code) });
      attended = h('td', {}, box, h('label', { for: id, class: 'visually-hidden' },
        t('event.attendedLabel', { name: registration.userName ?? '' })));
    } else {
      attended = h('td', {}, registration.attended ? t('event.yes') : '–');
    }
    return h('tr', {},
      h('th', { scope: 'row' }, registration.userName ?? '–',
        registration.user ? null : h('span', { class: 'muted small' }, ` (${t('event.noAccount')})`)),
      h('td', {}, registrationStatusText(registration)), attended, code);
  });

  async function mark(registration, box, code) {
    box.disabled = true;
    const attended = box.checked;
    try {
      const { markAttendance } = await graphql(MARK_ATTENDANCE,
        { input: { eventId: event.id, userIds: [registration.user.id], attended } });
      if (markAttendance.errors.length) {
        box.checked = !attended;
        message.textContent = markAttendance.errors.map(errorText).join(' ');
        return;
      }
      const [marked] = markAttendance.registrations;
      registration.attended = marked.attended;
      registration.certificateCode = marked.certificateCode;
      code.textContent = marked.certificateCode ?? '–';
      message.textContent = t('event.attendanceSaved', { name: registration.userName ?? '' });
    } catch (error) {
      box.checked = !attended;
      message.textContent = failure(error);
    } finally {
      box.disabled = false;
    }
  }

  return section(t('event.registrations'), [
    h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('event.registrations') },
      h('table', { class: 'attendance' },
        h('thead', {}, h('tr', {}, [t('event.participant'), t('event.status'), t('event.attendedColumn'),
          t('event.certificateColumn')].map((text) => h('th', { scope: 'col' }, text)))),
        h('tbody', {}, rows))),
    message]);
}
