// Live updates: the signed-in viewer's unread count, kept current for the header's badge.
//
// A small client of the graphql-transport-ws protocol (the one the npm package `graphql-ws`
// speaks), written by hand because the page has no build step and loads nothing from a CDN:
//
//   client                                   server (/graphql, subprotocol graphql-transport-ws)
//   connection_init { authorization }  ->
//                                       <-   connection_ack        (or close 4403: token refused)
//   subscribe { id, query }            ->
//                                       <-   next { id, payload }  (one per new notification)
//                                       <-   next { id, payload: { errors } }, complete { id }
//                                                                  (the server ended it; see below)
//   ping / pong                        <->   either side, to keep the connection alive
//
// - The access token goes in connection_init's payload as "Bearer <token>" (a browser cannot set
//   headers on a WebSocket). Closed with 4403, the token was refused, at the start or later (the
//   server checks the sign-in again at each ping: expired, revoked, signed out elsewhere): the
//   session is renewed once (session.js) and the socket opened again with the new token.
// - Any other close or a failed connection is retried with a growing delay (1 s, 2 s, 4 s … at
//   most 60 s). While there is no socket, the count is asked for every 30 s over HTTP instead
//   (UNREAD_COUNT), so the badge is never more than half a minute late.
// - A notification that arrives does not add one to the badge: it makes the page ask for the
//   count (once for a burst, UNREAD_COUNT), so one counted already, or marked read meanwhile,
//   is not counted twice.
// - No pong within 10 s of a ping: the connection is taken for dead at once (polling, a retry
//   scheduled) and closed after, as a dead one may never finish its closing handshake.
// - The server ends a subscription with an error (extensions.code) then `complete`:
//   LIVE_TOO_SLOW and LIVE_RESYNC (events were missed): the count is asked again and the page
//   subscribes again on the same socket; LIVE_UNAVAILABLE (the server has no live updates) and
//   UNAUTHENTICATED: the socket is closed and the count polled until the next sign-in; anything
//   else: a new connection, with the growing delay. A subscription refused (`error`) is polled.
// - Closed with 4429, a newer connection of the same person took this one's place (a tab too
//   many): the page polls and connects again only when it is looked at (visibilitychange),
//   so that tabs do not push each other out in turn.
// - Signing out closes the socket and stops the polling.
//
// `data-live` on <html> says which path is in use ("socket", "polling" or absent), for the tests
// and for anyone curious in the developer tools.

import { graphql, NOTIFICATION_ADDED, UNREAD_COUNT } from './api.js';
import { currentUser, freshAccessToken, onSessionChange, renewSession } from './session.js';

const PROTOCOL = 'graphql-transport-ws';
const POLL_MS = 30_000;
const PING_MS = 25_000; // below the usual 30-60 s idle timeout of proxies
const PONG_WAIT_MS = 10_000;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 60_000;
const COUNT_DELAY_MS = 250; // notifications that come together are counted with one request
// How the page goes on when the server ends the subscription with one of these codes.
const RESUBSCRIBE = new Set(['LIVE_TOO_SLOW', 'LIVE_RESYNC']);
const POLL_ONLY = new Set(['LIVE_UNAVAILABLE', 'UNAUTHENTICATED']);


let unread = null;
const countListeners = new Set();
const addedListeners = new Set();

let socket = null;
let socketToken = null; // the token the socket was opened with (renewed after a 4403)
let live = false;
let subscriptionId = null; // a new one for each subscribe, so an old one's messages are ignored
let subscriptions = 0;
let endedWith = null; // the error code of the subscription's last `next`, read at `complete`
let resubscribeDelay = 0;
let resubscribeTimer = null;
let countTimer = null;
let countAsked = 0; // a count asked before another was set is not applied
let retryDelay = RETRY_MIN_MS;
let retryTimer = null;
let pollTimer = null;
let pingTimer = null;
let pongTimer = null;
let reauthorized = false; // renewed once after a 4403; a second refusal leaves it to polling
let refused = false; // the server refused the token again, or the subscription: polling only
let displaced = false; // closed for a newer connection of the same person (4429): polling until looked at
let connectedAt = 0;
let started = false;

/** The unread count last known, or null when signed out or not known yet. */
export function unreadCount() {
  return unread;
}

/** Call `listener(count)` whenever the unread count changes. */
export function onUnreadCount(listener) {
  countListeners.add(listener);
}

/** Call `listener(notification)` for each notification that arrives over the socket; returns a stop function. */
export function onNotificationAdded(listener) {
  addedListeners.add(listener);
  return () => addedListeners.delete(listener);
}

function showCount(count) {
  if (count === unread) return;
  unread = count;
  for (const listener of countListeners) listener(count);
}

/** Set the count from an answer that carries it (marking read answers with what is left). */
export function setUnreadCount(count) {
  countAsked += 1; // newer than any count asked for before
  showCount(count);
}

/** Ask the server for the count now (after a page load, or when the tab comes back). */
export async function refreshUnreadCount() {
  if (!currentUser()) return;
  const asked = ++countAsked;
  try {
    const { viewer } = await graphql(UNREAD_COUNT);
    // Only the answer to the latest question, and only if nothing set the count meanwhile.
    if (currentUser() && asked === countAsked) showCount(viewer?.notifications.unreadCount ?? null);
  } catch {
    // offline or the server is down: the badge keeps what it showed
  }
}

function refreshCountSoon() {
  if (countTimer) return;
  countTimer = setTimeout(() => {
    countTimer = null;
    refreshUnreadCount();
  }, COUNT_DELAY_MS);
}

function mark(path) {
  if (path) document.documentElement.dataset.live = path;
  else delete document.documentElement.dataset.live;
}

// --- polling, while there is no socket -------------------------------------------------------

function startPolling() {
  if (pollTimer || !currentUser()) return;
  mark('polling');
  pollTimer = setInterval(refreshUnreadCount, POLL_MS);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}

// --- the socket ------------------------------------------------------------------------------

function socketUrl() {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;
}

function send(message) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function keepAlive() {
  clearInterval(pingTimer);
  pingTimer = setInterval(() => {
    send({ type: 'ping' });
    clearTimeout(pongTimer);
    // No pong in time: the connection is dead without having said so (a sleeping laptop, a
    // proxy that dropped it). It is given up at once: its closing handshake may never end.
    pongTimer = setTimeout(() => abandon(4408, 'pong timeout'), PONG_WAIT_MS);
  }, PING_MS);
}

/** Leave the socket now, as if it had closed with `code`, then close it (its own 'close' is ignored). */
function abandon(code, reason) {
  const leaving = socket;
  if (!leaving) return;
  closed(leaving, code, socketToken);
  try {
    leaving.close(code, reason);
  } catch {
    // already closing
  }
}

function subscribe() {
  clearTimeout(resubscribeTimer);
  resubscribeTimer = null;
  if (!live) return;
  subscriptions += 1;
  subscriptionId = `notifications-${subscriptions}`;
  endedWith = null;
  send({ id: subscriptionId, type: 'subscribe', payload: { query: NOTIFICATION_ADDED } });
  // Whatever came while not subscribed is counted once, from the server.
  refreshUnreadCount();
}

/** The server ended the subscription (`code`: its error's extensions.code, or null). */
function subscriptionEnded(code, refusedOutright) {
  subscriptionId = null;
  if (RESUBSCRIBE.has(code)) {
    // Events were missed: count again and subscribe again on this socket, waiting longer each
    // time it happens again before a notification came through.
    refreshUnreadCount();
    resubscribeTimer = setTimeout(subscribe, resubscribeDelay);
    resubscribeDelay = Math.min(Math.max(resubscribeDelay * 2, RETRY_MIN_MS), RETRY_MAX_MS);
    return;
  }
  if (refusedOutright || POLL_ONLY.has(code)) {
    // Asking again would be refused again: polling until the next sign-in.
    refused = true;
    abandon(1000, 'subscription refused');
    return;
  }
  abandon(1000, 'resubscribe'); // a new connection, after the usual delay
}

async function connect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (refused || displaced || socket || !currentUser() || typeof WebSocket === 'undefined') return;
  let token;
  try {
    token = await freshAccessToken();
  } catch {
    token = null;
  }
  if (!token || socket || !currentUser()) {
    if (currentUser()) scheduleRetry();
    return;
  }
  let opened;
  try {
    opened = new WebSocket(socketUrl(), PROTOCOL);
  } catch {
    scheduleRetry();
    return;
  }
  socket = opened;
  socketToken = token;
  // The server sends text frames; a binary one (a proxy may re-frame) is read as UTF-8 all the same.
  opened.binaryType = 'arraybuffer';
  opened.addEventListener('open', () => {
    send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
  });
  opened.addEventListener('message', (event) => onMessage(opened, event));
  opened.addEventListener('close', (event) => closed(opened, event.code, token));
  // 'error' is always followed by 'close', which does the work.
}

function onMessage(from, event) {
  if (from !== socket) return;
  let message;
  try {
    message = JSON.parse(typeof event.data === 'string' ? event.data : new TextDecoder().decode(event.data));
  } catch {
    return;
  }
  switch (message.type) {
    case 'connection_ack':
      live = true;
      connectedAt = Date.now();
      reauthorized = false;
      resubscribeDelay = 0;
      stopPolling();
      subscribe();
      keepAlive();
      mark('socket');
      break;
    case 'ping':
      send({ type: 'pong', payload: message.payload });
      break;
    case 'pong':
      clearTimeout(pongTimer);
      break;
    case 'next': {
      if (!subscriptionId || message.id !== subscriptionId) break;
      const errors = message.payload?.errors;
      if (errors?.length) {
        endedWith = errors[0]?.extensions?.code ?? null; // `complete` follows
        break;
      }
      const notification = message.payload?.data?.notificationAdded;
      if (!notification) break;
      resubscribeDelay = 0;
      refreshCountSoon();
      for (const listener of addedListeners) listener(notification);
      break;
    }
    case 'error':
      // The server refused the subscription itself.
      if (subscriptionId && message.id === subscriptionId) {
        subscriptionEnded(message.payload?.[0]?.extensions?.code ?? null, true);
      }
      break;
    case 'complete':
      if (subscriptionId && message.id === subscriptionId) subscriptionEnded(endedWith, false);
      break;
    default:
      break;
  }
}

/** The socket `from` closed with `code` (or was given up, see abandon): poll, and retry or renew. */
async function closed(from, code, token) {
  if (from !== socket) return;
  socket = null;
  socketToken = null;
  live = false;
  subscriptionId = null;
  clearInterval(pingTimer);
  clearTimeout(pongTimer);
  clearTimeout(resubscribeTimer);
  resubscribeTimer = null;
  if (!currentUser()) return;
  startPolling();
  // A connection that lasted was a good one: the next attempt starts from the shortest delay.
  if (connectedAt && Date.now() - connectedAt > RETRY_MAX_MS) retryDelay = RETRY_MIN_MS;
  connectedAt = 0;
  if (refused) return;
  if (code === 4429) {
    // Another tab or device of the same person took this connection's place (the server keeps a
    // few per person): coming back at once would push that one out in turn. This page polls,
    // and connects again when it is looked at.
    displaced = true;
    return;
  }
  if (code === 4403 && reauthorized) {
    refused = true; // refused with a token just renewed: polling until the next sign-in
    return;
  }
  if (code === 4403) {
    // The token was refused (expired or revoked in between): renew it, then open a new socket.
    reauthorized = true;
    try {
      if (await renewSession(token)) connect();
    } catch {
      scheduleRetry();
    }
    return;
  }
  scheduleRetry();
}

function scheduleRetry() {
  if (retryTimer || refused || displaced || !currentUser()) return;
  startPolling();
  // A little jitter, so that many pages cut off together do not come back together.
  const delay = retryDelay * (0.75 + Math.random() * 0.5);
  retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
  retryTimer = setTimeout(connect, delay);
}

function disconnect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  stopPolling();
  clearInterval(pingTimer);
  clearTimeout(pongTimer);
  clearTimeout(resubscribeTimer);
  resubscribeTimer = null;
  clearTimeout(countTimer);
  countTimer = null;
  countAsked += 1; // a count asked for before is not shown
  const closing = socket;
  socket = null;
  socketToken = null;
  subscriptionId = null;
  live = false;
  if (closing && closing.readyState <= WebSocket.OPEN) closing.close(1000, 'signed out');
  retryDelay = RETRY_MIN_MS;
  reauthorized = false;
  refused = false;
  displaced = false;
  resubscribeDelay = 0;
  connectedAt = 0;
  mark(null);
}

/** Whether the socket is connected and subscribed. */
export function isLive() {
  return live;
}

/** Start keeping the count (once, from main.js): now if signed in, and on every sign-in. */
export function startLive() {
  if (started) return;
  started = true;
  onSessionChange((reason) => {
    // A renewed token does not reopen the socket: when the one it was opened with runs out, the
    // server closes it with 4403 and it is opened again with the current one.
    if (reason === 'refreshed') return;
    disconnect();
    setUnreadCount(null);
    if (reason === 'signedIn') begin();
  });
  // A tab that was hidden may have missed a close: ask again when it is looked at.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible' || !currentUser()) return;
    refreshUnreadCount();
    displaced = false; // looked at: this page is live again, whichever other one gives way
    if (!socket) connect();
  });
  begin();
}

function begin() {
  if (!currentUser()) return;
  refreshUnreadCount();
  startPolling(); // until the socket is acknowledged
  connect();
}
