// The profile page, "#/profile": who is signed in, the notification settings (which reasons to be
// told of, the email digest's frequency and language), and what the viewer follows.
//
// - The reasons are checkboxes, ticked for those one is told of: the API keeps the muted ones
//   (`mutedReasons`), so the form sends the unticked, and the muted ones it has no checkbox for
//   (a reason newer than this page). The digest is NONE, DAILY or WEEKLY (WEEKLY when unset, as
//   the server's default).
// - `updateNotificationSettings` answers with typed errors (field, code, message), shown in a
//   summary that takes focus, or with the settings as saved.
// - Each follow has "Berhenti mengikuti"; the list says what is followed (a theme, a region, an
//   organization, an item, a thread or an event) and links to it.

import { ApiError, graphql, MY_FOLLOWS, PROFILE, UNFOLLOW, UPDATE_NOTIFICATION_SETTINGS } from './api.js';
import { threadHref } from './discussion.js';
import { h, replace, spinner } from './dom.js';
import { eventHref } from './events.js';
import { errorText, formatDate, formatNumber, label, localized, t, values as enumValues } from './i18n.js';
import { hashFor } from './router.js';
import { ensureSignedIn } from './session.js';

export const PROFILE_PATH = '/profile';

function failureText(error) {
  return error instanceof ApiError && error.code === 'NETWORK_ERROR' ? t('error.network') : t('error.generic');
}

export async function renderProfile(outlet, { signal }) {
  const heading = h('h1', { tabindex: '-1' }, t('profile.title'));
  const body = h('div', { 'aria-busy': 'true' }, spinner(t('profile.loading')));
  replace(outlet, h('section', { class: 'profile-page' }, heading, body));
  if (!(await ensureSignedIn()) || signal.aborted) return;

  let viewer;
  try {
    ({ viewer } = await graphql(PROFILE, {}, { signal }));
  } catch (error) {
    if (error.name === 'AbortError') return;
    body.removeAttribute('aria-busy');
    replace(body, h('p', { class: 'error-box', role: 'alert' }, t('profile.failed'), ' ', failureText(error)));
    return;
  }
  body.removeAttribute('aria-busy');
  if (!viewer) return;
  replace(body,
    h('dl', { class: 'facts profile-facts' }, [
      [t('profile.name'), viewer.name],
      [t('profile.email'), viewer.email],
      [t('profile.organization'), viewer.organization?.name],
      [t('profile.role'), label('role', viewer.role)],
    ].filter(([, value]) => value).map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value)))),
    settingsForm(viewer.notificationSettings),
    followsSection(signal));
}

// --- notification settings -----------------------------------------------------------------------

// The server's defaults (storage/vocabulary.py), for settings it has not sent.
const DEFAULT_DIGEST = 'WEEKLY';
const DEFAULT_LANGUAGE = 'ID';

function settingsForm(settings) {
  const muted = new Set(settings?.mutedReasons ?? []);
  // Reasons muted that this page has no checkbox for (a newer server's) stay muted when saving.
  const known = new Set(enumValues('notificationReason'));
  const mutedElsewhere = [...muted].filter((reason) => !known.has(reason));
  const summary = h('div', { class: 'error-summary', tabindex: '-1', hidden: true });
  const status = h('p', { class: 'form-status', role: 'status' });
  const reasons = enumValues('notificationReason').map((reason) => {
    const id = `setting-reason-${reason.toLowerCase()}`;
    const box = h('input', { type: 'checkbox', id, name: 'reason', value: reason });
    box.checked = !muted.has(reason);
    return h('div', { class: 'check' }, box, h('label', { for: id }, label('notificationReason', reason)));
  });
  const digests = enumValues('digestFrequency').map((value) => {
    const id = `setting-digest-${value.toLowerCase()}`;
    const radio = h('input', { type: 'radio', id, name: 'digest', value });
    radio.checked = (settings?.digest ?? DEFAULT_DIGEST) === value;
    return h('div', { class: 'check' }, radio, h('label', { for: id }, label('digestFrequency', value)));
  });
  const languageSelect = h('select', { id: 'setting-language', name: 'language' },
    enumValues('mailLanguage').map((value) => h('option', { value }, label('mailLanguage', value))));
  languageSelect.value = settings?.language ?? DEFAULT_LANGUAGE;
  const submit = h('button', { type: 'submit', class: 'button primary' }, t('profile.save'));
  const form = h('form', { class: 'settings-form', novalidate: true, onsubmit: save },
    h('h2', {}, t('profile.settings')),
    summary,
    h('fieldset', { class: 'checks' }, h('legend', {}, t('profile.reasons')),
      h('p', { class: 'hint' }, t('profile.reasonsHint')), reasons),
    h('fieldset', { class: 'checks digest-choice' }, h('legend', {}, t('profile.digest')),
      h('p', { class: 'hint' }, t('profile.digestHint')), digests),
    h('div', { class: 'field' }, h('label', { for: languageSelect.id }, t('profile.mailLanguage')), languageSelect),
    h('div', { class: 'form-actions' }, submit, status));

  function showErrors(errors) {
    replace(summary, h('h3', {}, t('profile.saveFailed')),
      h('ul', {}, errors.map((error) => h('li', { 'data-code': error.code },
        error.field ? `${fieldName(error.field)}: ${errorText(error)}` : errorText(error)))));
    summary.hidden = false;
    summary.focus();
  }

  async function save(event) {
    event.preventDefault();
    summary.hidden = true;
    const input = {
      mutedReasons: [...mutedElsewhere,
        ...[...form.querySelectorAll('input[name="reason"]')].filter((box) => !box.checked).map((box) => box.value)],
      digest: form.querySelector('input[name="digest"]:checked')?.value ?? DEFAULT_DIGEST,
      language: languageSelect.value,
    };
    submit.disabled = true;
    replace(status, spinner(t('profile.saving')));
    try {
      const { updateNotificationSettings: payload } = await graphql(UPDATE_NOTIFICATION_SETTINGS, { input });
      replace(status);
      if (payload.errors.length) showErrors(payload.errors);
      else status.textContent = t('profile.saved');
    } catch (error) {
      replace(status);
      showErrors([{ field: null, code: 'GENERIC', message: failureText(error) }]);
    } finally {
      submit.disabled = false;
    }
  }
  return form;
}

function fieldName(field) {
  const key = `profile.field.${field.split('.')[0]}`;
  const text = t(key);
  return text === key ? field : text;
}

// --- what the viewer follows ---------------------------------------------------------------------

function itemHref(id) {
  return hashFor(`/item/${encodeURIComponent(id)}`);
}

/** What a follow is of, as a link (or text, for a theme and what is gone). */
function followed(follow) {
  const node = follow.node;
  if (follow.kind === 'THEME') {
    return h('a', { href: hashFor('/search', new URLSearchParams({ theme: follow.theme })) }, label('theme', follow.theme));
  }
  if (!node) return h('span', { class: 'muted' }, t('profile.followGone'));
  switch (node.__typename) {
    case 'Region':
      return h('a', { href: hashFor('/search', new URLSearchParams({ region: node.code })) }, node.name);
    case 'Organization':
      return h('a', { href: itemHref(node.id) }, node.name);
    case 'Event':
      return h('a', { href: eventHref(node.id) }, localized(node.title, node.titleEn).text);
    case 'Thread':
      return node.subject ? h('a', { href: threadHref(node.subject.id, node.id) }, node.threadTitle ?? t('profile.thread'))
        : h('span', {}, node.threadTitle ?? t('profile.thread'));
    default:
      return h('a', { href: itemHref(node.id) }, localized(node.title, node.titleEn).text);
  }
}

/** What a follow is of, in words: the end of its "Berhenti mengikuti" button's accessible name. */
function followedName(follow) {
  return `${label('followKind', follow.kind)} ${followed(follow).textContent}`;
}

/** The FollowTargetInput that undoes a follow. */
function targetOf(follow) {
  if (follow.kind === 'THEME') return { theme: follow.theme };
  if (follow.kind === 'REGION') return follow.node ? { regionCode: follow.node.code } : null;
  return follow.node ? { id: follow.node.id } : null;
}

function followsSection(signal) {
  const list = h('ul', { class: 'follow-list' });
  const status = h('p', { class: 'result-status', role: 'status' });
  const announcer = h('p', { class: 'visually-hidden', role: 'status' });
  const more = h('div', { class: 'more' });
  let total = 0;

  const showCount = () => {
    status.textContent = total ? t('profile.followCount', { count: formatNumber(total) }) : t('profile.followsNone');
  };

  async function load(after = null) {
    replace(more);
    if (!after) replace(status, spinner(t('profile.loading')));
    try {
      const { viewer } = await graphql(MY_FOLLOWS, { after }, { signal });
      const connection = viewer?.follows;
      if (!connection) return;
      total = connection.totalCount;
      showCount();
      const items = connection.nodes.map(followItem);
      list.append(...items);
      if (connection.pageInfo.hasNextPage) {
        more.append(h('button', { type: 'button', class: 'button', onclick: async () => {
          await load(connection.pageInfo.endCursor);
          items.at(-1)?.nextElementSibling?.querySelector('a, button')?.focus();
        } }, t('profile.loadMore')));
      }
    } catch (error) {
      if (error.name === 'AbortError') return;
      replace(status, h('span', { class: 'error-box', role: 'alert' }, t('profile.followsFailed'), ' ', failureText(error)));
    }
  }

  function followItem(follow) {
    const target = targetOf(follow);
    const error = h('span', { class: 'field-error', role: 'alert', hidden: true });
    const item = h('li', { class: 'follow-item' },
      h('span', { class: 'badge' }, label('followKind', follow.kind)), ' ', followed(follow),
      h('span', { class: 'muted small' }, ` · ${t('profile.followedSince', { date: formatDate(follow.createdAt) })}`));
    if (target) {
      const button = h('button', { type: 'button', class: 'button small', onclick: async () => {
        button.disabled = true;
        error.hidden = true;
        try {
          const { unfollow } = await graphql(UNFOLLOW, { input: { target } });
          if (unfollow.errors.length) throw new Error(errorText(unfollow.errors[0]));
          // Focus goes to the next follow (or the heading), not to <body>.
          const next = item.nextElementSibling ?? item.previousElementSibling;
          item.remove();
          total = Math.max(0, total - 1);
          showCount();
          announcer.textContent = t('follow.unfollowed');
          (next?.querySelector('button') ?? list.closest('section')?.querySelector('h2'))?.focus();
        } catch (failure) {
          button.disabled = false;
          error.hidden = false;
          error.textContent = failure instanceof ApiError || !failure.message ? t('follow.failed') : failure.message;
        }
      } }, t('follow.unfollow'), h('span', { class: 'visually-hidden' }, `: ${followedName(follow)}`));
      item.append(' ', button, error);
    }
    return item;
  }

  load();
  return h('section', { class: 'detail-section follows-section' },
    h('h2', { tabindex: '-1' }, t('profile.follows')), status, list, more, announcer);
}
