// The signed-in session: the sign-in page, the tokens, their refresh, sign-out, and who is
// signed in, shown in the header.
//
// - `signIn` trades an email and a password for a Session: an access token sent as
//   `Authorization: Bearer …` with every request (`authHeaders()`, used by api.js), and a
//   refresh token that `refreshSession` trades for a new pair.
// - The session is kept in sessionStorage: it lasts while the tab is open, survives a reload,
//   is not shared with other tabs, and is gone once the tab is closed, which suits the shared
//   computers of a kelurahan office. (A script injected into the page could read it, as it could
//   read anything the page holds; the page never puts user content through innerHTML.)
// - A token the server refuses (401 UNAUTHENTICATED: expired, revoked or forged) is refreshed
//   once (`renewSession`, called by api.js). If that fails too, the session is dropped and
//   marked expired: the header then says so and asks to sign in again.
// - `ensureSignedIn()` sends a visitor to the sign-in page, which returns to where they were.

import { ApiError, graphql, REFRESH_SESSION, SIGN_IN, SIGN_OUT } from './api.js';
import { h, replace, spinner } from './dom.js';
import { errorText, label, t } from './i18n.js';
import { currentLocation, hashFor } from './router.js';

const SESSION_KEY = 'lumbung.session';
const EXPIRED_KEY = 'lumbung.sessionExpired';
export const SIGN_IN_PATH = '/sign-in';
// Renew this long before the access token ends, so that no request leaves with a dying token.
const RENEW_EARLY_MS = 30_000;

let session = readStoredSession();
// The refresh in flight. Requests refused together share it: a refresh token works only once,
// so a second refresh with the same token would fail and end the session.
let renewing = null;
const listeners = new Set();

function readStoredSession() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    const usable = stored?.accessToken && stored.refreshToken && stored.user
      && Date.parse(stored.refreshTokenExpiresAt) > Date.now();
    return usable ? stored : null;
  } catch {
    return null;
  }
}

function keep(next, reason) {
  session = next;
  try {
    if (next) {
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(next));
      sessionStorage.removeItem(EXPIRED_KEY);
    } else {
      sessionStorage.removeItem(SESSION_KEY);
      if (reason === 'expired') sessionStorage.setItem(EXPIRED_KEY, '1');
      else sessionStorage.removeItem(EXPIRED_KEY);
    }
  } catch {
    // storage blocked: the session then lasts until the page is reloaded
  }
  for (const listener of listeners) listener(reason);
}

/** The signed-in user ({ id, name, role, organization: { id, name, kind } }), or null. */
export function currentUser() {
  return session?.user ?? null;
}

/** True when the last session ended by itself (not by signing out) and nobody signed in since. */
export function sessionExpired() {
  try {
    return !session && sessionStorage.getItem(EXPIRED_KEY) === '1';
  } catch {
    return false;
  }
}

/**
 * Call `listener(reason)` whenever the session changes; reason is 'signedIn', 'refreshed',
 * 'signedOut' (the person chose to) or 'expired' (the server refused the session).
 */
export function onSessionChange(listener) {
  listeners.add(listener);
}

/** The header that carries the session: `token` (the current access token unless given), or none. */
export function authHeaders(token = session?.accessToken) {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** The access token to send now, renewed first when it is about to end; null when signed out. */
export async function freshAccessToken() {
  if (!session) return null;
  if (Date.parse(session.accessTokenExpiresAt) - Date.now() > RENEW_EARLY_MS) return session.accessToken;
  return renewSession(session.accessToken);
}

/**
 * A new access token in place of `staleToken`, which the server refused (or which is about to
 * end); null once the session is gone. Rejects with ApiError when the server cannot be reached.
 */
export function renewSession(staleToken) {
  // Renewed by a request refused at the same time, or signed out meanwhile.
  if (!session || session.accessToken !== staleToken) return Promise.resolve(session?.accessToken ?? null);
  renewing ??= refresh(session.refreshToken).finally(() => {
    renewing = null;
  });
  return renewing;
}

async function refresh(refreshToken) {
  const { refreshSession } = await graphql(REFRESH_SESSION, { input: { refreshToken } }, { anonymous: true });
  if (session?.refreshToken !== refreshToken) return session?.accessToken ?? null; // signed out meanwhile
  if (refreshSession.session) {
    keep(refreshSession.session, 'refreshed');
    return session.accessToken;
  }
  dropSession({ expired: true }); // INVALID_TOKEN: expired, revoked, or the account removed
  return null;
}

/** Forget the session in this tab (the server is not told: see `signOut`). */
export function dropSession({ expired = false } = {}) {
  if (session) keep(null, expired ? 'expired' : 'signedOut');
}

/** Sign in; resolves to the payload's errors, empty when signed in. */
export async function signIn(email, password) {
  // Without the old token: a dead one would be refused before the sign-in ran.
  const { signIn: payload } = await graphql(SIGN_IN, { input: { email, password } }, { anonymous: true });
  if (payload.session) keep(payload.session, 'signedIn');
  return payload.errors;
}

/** Revoke the session on the server, then forget it here, even if the server cannot be reached. */
export async function signOut() {
  try {
    await graphql(SIGN_OUT);
  } catch {
    // Unreachable: the tokens are forgotten anyway, and nobody else holds them.
  }
  keep(null, 'signedOut'); // also when refusing the token already ended it: this was a sign-out
}

/** The sign-in page's hash, returning afterwards to `next` (the current page by default). */
export function signInHash(next = currentHashPath()) {
  return hashFor(SIGN_IN_PATH, new URLSearchParams({ next }));
}

function currentHashPath() {
  const { path, params } = currentLocation();
  return path === SIGN_IN_PATH ? (params.get('next') ?? '/') : hashFor(path, params).slice(1);
}

/**
 * True when someone is signed in; otherwise sends the visitor to the sign-in page (which
 * comes back here once they have signed in) and resolves to false.
 */
export async function ensureSignedIn() {
  if (session) return true;
  // replace, not a new entry: Back from the sign-in page goes to the page before this one.
  location.replace(signInHash());
  return false;
}

/** Where the sign-in page goes afterwards: a path of this page, never another site. */
function safeNext(next) {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith(SIGN_IN_PATH) ? next : '/';
}

// --- the header's account area ---------------------------------------------------------------

/** Who is signed in, with a sign-out button; or a sign-in link. Drawn again on every change. */
export function renderAccount(container) {
  const user = currentUser();
  container.setAttribute('aria-label', t('account.label'));
  if (!user) {
    const expired = sessionExpired();
    const link = h('a', { class: 'account-sign-in', href: signInHash(),
      // the hash of a search page changes without a new render: read it when followed
      onclick: () => link.setAttribute('href', signInHash()) },
    expired ? t('account.signInAgain') : t('account.signIn'));
    return replace(container, expired ? h('span', { class: 'account-expired' }, t('account.expired')) : null, link);
  }
  const organization = user.organization?.name;
  return replace(container,
    h('p', { class: 'account-user' },
      h('span', { class: 'visually-hidden' }, t('account.signedInAs')),
      h('span', { class: 'account-name' }, user.name),
      h('span', { class: 'account-detail' }, [label('role', user.role), organization].filter(Boolean).join(' · '))),
    h('button', { type: 'button', class: 'account-sign-out', onclick: (event) => {
      event.currentTarget.disabled = true;
      signOut();
    } }, t('account.signOut')));
}

// --- the sign-in page ------------------------------------------------------------------------

/** The route view of "#/sign-in?next=/contribute". */
export async function renderSignIn(outlet, { params, signal }) {
  const next = safeNext(params.get('next'));
  if (session) {
    location.replace(`#${next}`);
    return;
  }
  const heading = h('h1', { tabindex: '-1' }, t('signIn.title'));
  const notice = sessionExpired() ? h('p', { class: 'notice', role: 'status' }, t('signIn.expired')) : null;
  const errorBox = h('div', { class: 'error-summary', tabindex: '-1', hidden: true });
  const formStatus = h('div', { class: 'form-status', role: 'status' });
  const fields = {
    email: field({ name: 'email', type: 'email', text: t('signIn.email'), autocomplete: 'username' }),
    password: field({ name: 'password', type: 'password', text: t('signIn.password'), autocomplete: 'current-password' }),
  };
  const submitButton = h('button', { type: 'submit', class: 'button primary' }, t('signIn.submit'));

  const showErrors = (errors) => {
    for (const f of Object.values(fields)) f.clear();
    const general = [];
    for (const error of errors) {
      const target = fields[error.field];
      if (target) target.show(errorText(error));
      else general.push(error);
    }
    replace(errorBox, h('h2', {}, t('signIn.failed')),
      h('ul', {}, errors.map((error) => h('li', {}, fields[error.field]
        ? `${fields[error.field].text}: ${errorText(error)}` : errorText(error)))));
    errorBox.hidden = false;
    errorBox.focus(); // read out at once
    if (general.some((error) => error.code === 'INVALID_CREDENTIALS')) fields.password.control.value = '';
  };

  async function submit(event) {
    event.preventDefault();
    const email = fields.email.control.value.trim();
    const password = fields.password.control.value;
    const missing = [['email', email], ['password', password]].filter(([, value]) => !value)
      .map(([name]) => ({ field: name, code: 'REQUIRED', message: t('error.REQUIRED') }));
    if (missing.length) return showErrors(missing);
    submitButton.disabled = true;
    replace(formStatus, spinner(t('signIn.signingIn')));
    try {
      const errors = await signIn(email, password);
      replace(formStatus);
      if (errors.length) showErrors(errors);
      else if (!signal.aborted) location.replace(`#${next}`); // replace: Back skips the sign-in page
    } catch (error) {
      replace(formStatus);
      const network = error instanceof ApiError && error.code === 'NETWORK_ERROR';
      showErrors([{ field: null, code: 'GENERIC', message: network ? t('error.network') : t('error.generic') }]);
    } finally {
      submitButton.disabled = false;
    }
  }

  const form = h('form', { class: 'sign-in-form', novalidate: true, onsubmit: submit },
    fields.email.element, fields.password.element,
    h('div', { class: 'form-actions' }, submitButton, formStatus));
  replace(outlet, h('section', { class: 'sign-in' }, heading,
    h('p', { class: 'lead' }, t('signIn.intro')), notice, errorBox, form,
    h('p', { class: 'hint' }, t('signIn.noAccount'))));
}

function field({ name, type, text, autocomplete }) {
  const id = `sign-in-${name}`;
  const errorElement = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  const control = h('input', { id, name, type, autocomplete, required: true, 'aria-describedby': errorElement.id,
    spellcheck: type === 'email' ? 'false' : null, autocapitalize: type === 'email' ? 'none' : null });
  const element = h('div', { class: 'field' }, h('label', { for: id }, text), errorElement, control);
  return {
    element, control, text,
    show(message) {
      element.classList.add('has-error');
      errorElement.hidden = false;
      errorElement.textContent = message;
      control.setAttribute('aria-invalid', 'true');
    },
    clear() {
      element.classList.remove('has-error');
      errorElement.hidden = true;
      control.removeAttribute('aria-invalid');
    },
  };
}
