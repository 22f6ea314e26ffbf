// Entry point: the header's navigation, account area and language switch, and the routes.

import { renderContribute } from './contribute.js';
import { renderDetail } from './detail.js';
import { MODERATION_PATH, moderationNavItem, renderModeration } from './discussion.js';
import { h, replace } from './dom.js';
import { EVENTS_PATH, renderEventDetail, renderEvents } from './events.js';
import { EXCHANGES_PATH, renderExchanges } from './exchanges.js';
import { FUNDING_PATH, renderFunding } from './funding.js';
import { language, onLanguageChange, setLanguage, t } from './i18n.js';
import { startLive } from './live.js';
import { NOTIFICATIONS_PATH, notificationsNavItem, renderNotifications } from './notifications.js';
import { PROFILE_PATH, renderProfile } from './profile.js';
import { currentLocation, startRouter } from './router.js';
import { renderSearch } from './search.js';
import { currentUser, onSessionChange, renderAccount, renderSignIn, SIGN_IN_PATH } from './session.js';

const outlet = document.getElementById('main');
const announcer = document.getElementById('announcer');

const ROUTES = [
  ['/', renderSearch], // the first route is also the fallback for unknown paths
  ['/search', renderSearch],
  ['/item/:id', renderDetail],
  ['/contribute', renderContribute],
  [EXCHANGES_PATH, renderExchanges],
  [SIGN_IN_PATH, renderSignIn],
  [MODERATION_PATH, renderModeration],
  // events and trainings (js/events.js)
  [EVENTS_PATH, renderEvents],
  [`${EVENTS_PATH}/:id`, renderEventDetail],
  // budgets and funding (js/funding.js)
  [FUNDING_PATH, renderFunding],
  // notifications and the profile with its settings and follows (js/notifications.js, js/profile.js)
  [NOTIFICATIONS_PATH, renderNotifications],
  [PROFILE_PATH, renderProfile],
];
// Pages with nothing to show to someone signed out: leaving the session leaves them too.
const SIGNED_IN_ONLY = new Set(['/contribute']);
SIGNED_IN_ONLY.add(MODERATION_PATH);
SIGNED_IN_ONLY.add(EXCHANGES_PATH);
SIGNED_IN_ONLY.add(NOTIFICATIONS_PATH);
SIGNED_IN_ONLY.add(PROFILE_PATH);

function renderChrome(path) {
  document.documentElement.lang = language();
  document.title = `${t('app.name')} · ${t('app.tagline')}`;
  document.getElementById('skip-link').textContent = t('app.skip');
  document.getElementById('tagline').textContent = t('app.tagline');
  const link = (href, text, active) => h('a', { href, 'aria-current': active ? 'page' : null }, text);
  const nav = document.getElementById('nav');
  nav.setAttribute('aria-label', t('nav.label'));
  replace(nav, h('ul', {},
    h('li', {}, link('#/', t('nav.search'), path === '/' || path === '/search')),
    h('li', {}, link('#/contribute', t('nav.contribute'), path === '/contribute')),
    h('li', {}, link(`#${EVENTS_PATH}`, t('nav.events'), path === EVENTS_PATH || path.startsWith(`${EVENTS_PATH}/`))),
    h('li', {}, link(`#${FUNDING_PATH}`, t('nav.funding'), path === FUNDING_PATH)),
    // An organization's exchanges are for its own users: the link shows once someone is signed in.
    currentUser() ? h('li', {}, link(`#${EXCHANGES_PATH}`, t('nav.exchanges'), path === EXCHANGES_PATH)) : null,
    moderationNavItem(path),
    notificationsNavItem(path),
    currentUser() ? h('li', {}, link(`#${PROFILE_PATH}`, t('nav.profile'), path === PROFILE_PATH)) : null));
  renderAccount(document.getElementById('account'));
  const toggle = document.getElementById('language-toggle');
  const other = language() === 'id' ? 'en' : 'id';
  toggle.textContent = t('language.switch');
  toggle.lang = other;
  toggle.setAttribute('aria-label', t('language.switchLabel'));
  replace(document.getElementById('footer'), h('p', {}, t('footer.demo')), h('p', {}, t('footer.api')));
}

// The unread count of the header's badge, live over a socket or polled (js/live.js).
startLive();

let firstRender = true;
const router = startRouter(outlet, ROUTES, {
  async onRender(path, done) {
    renderChrome(path);
    window.scrollTo(0, 0);
    const navigated = !firstRender;
    firstRender = false;
    // After a navigation, move focus to the new page's heading once its content is there, so
    // screen readers start reading at the top of it (a hash change alone does not move focus).
    // Not on first load, and not if the person has meanwhile put focus somewhere themselves:
    // the link they followed is gone, so focus on <body> means nobody claimed it.
    if (navigated && (await done) && document.activeElement === document.body) {
      outlet.querySelector('h1')?.focus();
    }
  },
});

// The skip link's "#main" would be read as a route: move focus to the page's heading instead.
document.getElementById('skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  outlet.querySelector('h1')?.focus();
});

document.getElementById('language-toggle').addEventListener('click', () => {
  setLanguage(language() === 'id' ? 'en' : 'id');
});

onLanguageChange(() => {
  router.rerender();
  announcer.textContent = t('language.changed');
  document.getElementById('language-toggle').focus();
});

// A refresh only swaps tokens, and signing in goes on to the page the person came from. After
// the session ends, what the page shows may change (drafts, contact details): it is drawn again.
// An expired session on the contribute page thus leads to the sign-in page, which comes back to
// the form, still filled in; someone who signed out is taken to the start page.
onSessionChange((reason) => {
  if (reason === 'refreshed') return;
  if (reason === 'signedIn') {
    renderAccount(document.getElementById('account'));
    return;
  }
  if (reason === 'signedOut' && SIGNED_IN_ONLY.has(currentLocation().path)) location.replace('#/');
  else router.rerender();
  announcer.textContent = reason === 'expired' ? t('account.sessionEnded') : t('account.signedOut');
  // The sign-out button is gone: give focus to what took its place.
  if (reason === 'signedOut') document.querySelector('#account a')?.focus();
});
