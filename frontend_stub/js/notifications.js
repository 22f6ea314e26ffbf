// Notifications: the header's link with the unread-count badge, and the page "#/notifications"
// (newest first, 20 at a time, "?unread=1" for the unread only).
//
// - The count comes from js/live.js (a socket, or polling when there is none); the badge is
//   redrawn in place whenever it changes, also while the page is open.
// - Each notification names who did what (its reason, in the reader's language), links to what
//   it is about, and says when. Unread ones stand out and have "Tandai dibaca"; following the
//   link marks it read too. "Tandai semua dibaca" marks every one.
// - A notification that arrives while the page is open is offered at the top ("1 pemberitahuan
//   baru · tampilkan") rather than pushed into the list under the reader's eyes.

import { ApiError, graphql, MARK_NOTIFICATIONS_READ, NOTIFICATIONS } from './api.js';
import { threadHref } from './discussion.js';
import { h, replace, spinner } from './dom.js';
import { eventHref } from './events.js';
import { EXCHANGES_PATH } from './exchanges.js';
import { formatDateTime, formatNumber, localized, t } from './i18n.js';
import { onNotificationAdded, onUnreadCount, setUnreadCount, unreadCount } from './live.js';
import { hashFor, updateUrl } from './router.js';
import { currentUser, ensureSignedIn } from './session.js';

export const NOTIFICATIONS_PATH = '/notifications';

// --- the header's link and badge --------------------------------------------------------------

function drawBadge(badge, count) {
  badge.hidden = !count;
  replace(badge, count ? [h('span', { 'aria-hidden': 'true' }, count > 99 ? '99+' : formatNumber(count)),
    h('span', { class: 'visually-hidden' }, ` ${t('notifications.unreadBadge', { count: formatNumber(count) })}`)] : []);
}

onUnreadCount((count) => {
  for (const badge of document.querySelectorAll('[data-unread-badge]')) drawBadge(badge, count);
});

/** The navigation's "Pemberitahuan" link with its badge; null when signed out. */
export function notificationsNavItem(path) {
  if (!currentUser()) return null;
  const badge = h('span', { class: 'unread-badge', 'data-unread-badge': '' });
  drawBadge(badge, unreadCount());
  return h('li', {}, h('a', { href: `#${NOTIFICATIONS_PATH}`, class: 'nav-notifications',
    'aria-current': path === NOTIFICATIONS_PATH ? 'page' : null }, t('nav.notifications'), badge));
}

// --- where a notification leads ----------------------------------------------------------------

function itemHref(id) {
  return hashFor(`/item/${encodeURIComponent(id)}`);
}

/** The page of a notification's subject, and the subject's own title; null when it is gone. */
export function subjectLink(subject) {
  if (!subject) return null;
  switch (subject.__typename) {
    case 'Reply': {
      const thread = subject.thread;
      if (!thread?.subject) return null;
      return { href: threadHref(thread.subject.id, thread.id), title: thread.threadTitle };
    }
    case 'Thread':
      return subject.subject ? { href: threadHref(subject.subject.id, subject.id), title: subject.threadTitle } : null;
    case 'Event':
      return { href: eventHref(subject.id), title: localized(subject.title, subject.titleEn).text };
    case 'ExchangeRequest':
      return { href: exchangeHref(subject.id), title: null };
    case 'Organization':
      return { href: itemHref(subject.id), title: subject.name };
    default:
      return { href: itemHref(subject.id), title: subject.title ? localized(subject.title, subject.titleEn).text : null };
  }
}

/** One exchange on the exchanges page (js/exchanges.js), for a link from a notification or an email. */
export function exchangeHref(id) {
  return hashFor(EXCHANGES_PATH, new URLSearchParams({ request: id }));
}

// --- the page -----------------------------------------------------------------------------------

export async function renderNotifications(outlet, { params, signal }) {
  const heading = h('h1', { tabindex: '-1' }, t('notifications.title'));
  const page = h('section', { class: 'notifications-page' }, heading);
  replace(outlet, page);
  if (!(await ensureSignedIn()) || signal.aborted) return;

  let unreadOnly = params.get('unread') === '1';
  let endCursor = null;
  const status = h('p', { class: 'result-status', role: 'status' });
  const announcer = h('p', { class: 'visually-hidden', role: 'status' });
  const list = h('ol', { class: 'notification-list' });
  const more = h('div', { class: 'more' });
  // A live region from the start (one that appears is not always read out): it holds the offer.
  const fresh = h('div', { class: 'notification-fresh', role: 'status' });
  let arrived = 0;
  // Each first page is a new load: the answer to an earlier one (a filter changed meanwhile, the
  // offer followed twice) is dropped, so its cards never join the list.
  let loading = null;

  const filterId = 'notifications-unread-only';
  const filter = h('input', { type: 'checkbox', id: filterId, onchange: () => {
    unreadOnly = filter.checked;
    updateUrl(hashFor(NOTIFICATIONS_PATH, new URLSearchParams(unreadOnly ? { unread: '1' } : {})));
    load();
  } });
  filter.checked = unreadOnly;
  const markAll = h('button', { type: 'button', class: 'button', onclick: () => markRead({ all: true }) },
    t('notifications.markAllRead'));
  const toolbar = h('div', { class: 'notification-toolbar' },
    h('div', { class: 'check' }, filter, h('label', { for: filterId }, t('notifications.unreadOnly'))), markAll);

  const stop = onNotificationAdded(() => {
    arrived += 1;
    replace(fresh, h('button', { type: 'button', class: 'button link', onclick: () => load() },
      t('notifications.arrived', { count: formatNumber(arrived) })));
  });

  async function load(after = null) {
    if (!after) {
      loading?.abort();
      loading = new AbortController();
      arrived = 0;
      replace(fresh);
      replace(list);
      replace(status, spinner(t('notifications.loading')));
    }
    const mine = loading;
    replace(more);
    try {
      const { viewer } = await graphql(NOTIFICATIONS, { unreadOnly, after }, { signal: mine.signal });
      if (mine !== loading || mine.signal.aborted) return; // a newer load owns the list
      const connection = viewer?.notifications;
      if (!connection) return;
      setUnreadCount(connection.unreadCount);
      endCursor = connection.pageInfo.endCursor;
      const items = connection.nodes.map((notification) => h('li', {}, notificationCard(notification)));
      list.append(...items);
      showStatus(connection.totalCount, connection.unreadCount);
      if (connection.pageInfo.hasNextPage) {
        more.append(h('button', { type: 'button', class: 'button', onclick: async () => {
          await load(endCursor);
          items.at(-1)?.nextElementSibling?.querySelector('a, button')?.focus();
        } }, t('notifications.loadMore')));
      }
    } catch (error) {
      if (error.name === 'AbortError' || mine !== loading) return;
      replace(status, h('span', { class: 'error-box', role: 'alert' }, t('notifications.failed'), ' ',
        error instanceof ApiError && error.code === 'NETWORK_ERROR' ? t('error.network') : t('error.generic')));
    }
  }

  function showStatus(total, unread) {
    markAll.disabled = !unread;
    status.textContent = total
      ? t('notifications.count', { count: formatNumber(total), unread: formatNumber(unread) })
      : t(unreadOnly ? 'notifications.noneUnread' : 'notifications.none');
  }

  async function markRead({ ids = null, all = false, cards = [] }) {
    const input = all ? { all: true } : { ids };
    try {
      const { markNotificationsRead: payload } = await graphql(MARK_NOTIFICATIONS_READ, { input });
      if (payload.errors.length) {
        announcer.textContent = t('notifications.markFailed');
        return false;
      }
      if (typeof payload.unreadCount === 'number') setUnreadCount(payload.unreadCount);
      const marked = all ? [...list.querySelectorAll('.notification.unread')] : cards;
      for (const card of marked) markCardRead(card);
      if (unreadOnly && all) replace(list);
      announcer.textContent = all ? t('notifications.allMarked') : t('notifications.marked');
      status.textContent = payload.unreadCount
        ? t('notifications.unreadLeft', { count: formatNumber(payload.unreadCount) }) : t('notifications.noneUnread');
      markAll.disabled = !payload.unreadCount;
      return true;
    } catch {
      announcer.textContent = t('notifications.markFailed');
      return false;
    }
  }

  function markCardRead(card) {
    card.classList.remove('unread');
    card.querySelector('.notification-state').textContent = t('notifications.read');
    const button = card.querySelector('.notification-mark');
    if (button?.contains(document.activeElement)) card.querySelector('a')?.focus();
    button?.remove();
  }

  function notificationCard(notification) {
    const link = subjectLink(notification.subject);
    const actor = notification.actor?.name ?? notification.actorName ?? t('notifications.someone');
    const subjectText = notification.summary ?? link?.title ?? t('notifications.subject');
    const card = h('article', { class: `notification${notification.read ? '' : ' unread'}`,
      'data-notification-id': notification.id });
    const markButton = notification.read ? null : h('button', { type: 'button', class: 'button small notification-mark',
      onclick: async () => {
        markButton.disabled = true;
        if (!(await markRead({ ids: [notification.id], cards: [card] }))) markButton.disabled = false;
      } }, t('notifications.markRead'), h('span', { class: 'visually-hidden' }, `: ${subjectText}`));
    const subject = link
      ? h('a', { href: link.href, onclick: () => {
        // Opening it is reading it; the page goes on, whatever the answer.
        if (card.classList.contains('unread')) markRead({ ids: [notification.id], cards: [card] });
      } }, subjectText)
      : h('span', { class: 'muted' }, subjectText, ` (${t('notifications.gone')})`);
    replace(card,
      h('p', { class: 'notification-reason' },
        h('span', { class: 'notification-state visually-hidden' }, notification.read ? t('notifications.read') : t('notifications.unread')),
        t(`notification.reason.${notification.reason}`, { actor })),
      h('p', { class: 'notification-subject' }, subject),
      h('p', { class: 'notification-meta muted small' },
        h('time', { datetime: notification.createdAt }, formatDateTime(notification.createdAt)),
        notification.actor?.organization ? ` · ${notification.actor.organization.name}` : null),
      markButton);
    return card;
  }

  signal.addEventListener('abort', () => {
    stop();
    loading?.abort();
  }, { once: true });
  page.append(h('p', { class: 'lead' }, t('notifications.intro')), toolbar, status, fresh, list, more, announcer);
  await load();
}
