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
//   ping / pong                        <->   either side, to keep the connection alive
//
// - The access token goes in connection_init's payload as "Bearer <token>" (a browser cannot set
//   headers on a WebSocket). Closed with 4403, the token was refused: the session is renewed
//   once (session.js) and the socket opened again with the new token.
// - Any other close or a failed connection is retried with a growing delay (1 s, 2 s, 4 s … at
//   most 60 s). While there is no socket, the count is asked for every 30 s over HTTP instead
//   (UNREAD_COUNT), so the badge is never more than half a minute late.
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
const SUBSCRIPTION_ID = 'notifications';


let unread = null;
const countListeners = new Set();
const addedListeners = new Set();

let socket = null;
let live = false;
let retryDelay = RETRY_MIN_MS;
let retryTimer = null;
let pollTimer = null;
let pingTimer = null;
let pongTimer = null;
let reauthorized = false; // renewed once after a 4403; a second refusal leaves it to polling
let refused = false; // the server refused the token again, or the subscription: polling only
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

/** Set the count from an answer that carries it (marking read answers with what is left). */
export function setUnreadCount(count) {
  if (count === unread) return;
  unread = count;
  for (const listener of countListeners) listener(count);
}

/** Ask the server for the count now (after a page load, or when the tab comes back). */
export async function refreshUnreadCount() {
  if (!currentUser()) return;
  try {
    const { viewer } = await graphql(UNREAD_COUNT);
    if (currentUser()) setUnreadCount(viewer?.notifications.unreadCount ?? null);
  } catch {
    // offline or the server is down: the badge keeps what it showed
  }
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
    // proxy that dropped it). Closing it starts the usual retry.
    pongTimer = setTimeout(() => socket?.close(4408, 'pong timeout'), PONG_WAIT_MS);
  }, PING_MS);
}

async function connect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (refused || socket || !currentUser() || typeof WebSocket === 'undefined') return;
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
  // The server sends text frames; a binary one (a proxy may re-frame) is read as UTF-8 all the same.
  opened.binaryType = 'arraybuffer';
  opened.addEventListener('open', () => {
    send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
  });
  opened.addEventListener('message', (event) => onMessage(opened, event));
  opened.addEventListener('close', (event) => onClose(opened, event, token));
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
      stopPolling();
      send({ id: SUBSCRIPTION_ID, type: 'subscribe', payload: { query: NOTIFICATION_ADDED } });
      keepAlive();
      mark('socket');
      // Whatever came while there was no socket is counted once, from the server.
      refreshUnreadCount();
      break;
    case 'ping':
      send({ type: 'pong', payload: message.payload });
      break;
    case 'pong':
      clearTimeout(pongTimer);
      break;
    case 'next': {
      const notification = message.payload?.data?.notificationAdded;
      if (message.id !== SUBSCRIPTION_ID || !notification) break;
      if (!notification.read) setUnreadCount((unread ?? 0) + 1);
      for (const listener of addedListeners) listener(notification);
      break;
    }
    case 'error':
      // The server refused the subscription itself: asking again would be refused again.
      if (message.id === SUBSCRIPTION_ID) {
        refused = true;
        socket.close(1000, 'subscription refused');
      }
      break;
    case 'complete':
      // The server ended the subscription: start over on a new connection.
      if (message.id === SUBSCRIPTION_ID) socket.close(1000, 'resubscribe');
      break;
    default:
      break;
  }
}

async function onClose(from, event, token) {
  if (from !== socket) return;
  socket = null;
  live = false;
  clearInterval(pingTimer);
  clearTimeout(pongTimer);
  if (!currentUser()) return;
  startPolling();
  // A connection that lasted was a good one: the next attempt starts from the shortest delay.
  if (connectedAt && Date.now() - connectedAt > RETRY_MAX_MS) retryDelay = RETRY_MIN_MS;
  connectedAt = 0;
  if (refused) return;
  if (event.code === 4403 && reauthorized) {
    refused = true; // refused with a token just renewed: polling until the next sign-in
    return;
  }
  if (event.code === 4403) {
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
  if (retryTimer || refused || !currentUser()) return;
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
  const closing = socket;
  socket = null;
  live = false;
  if (closing && closing.readyState <= WebSocket.OPEN) closing.close(1000, 'signed out');
  retryDelay = RETRY_MIN_MS;
  reauthorized = false;
  refused = false;
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
    if (reason === 'refreshed') return; // the socket stays authenticated as it was opened
    disconnect();
    setUnreadCount(null);
    if (reason === 'signedIn') begin();
  });
  // A tab that was hidden may have missed a close: ask again when it is looked at.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible' || !currentUser()) return;
    refreshUnreadCount();
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
