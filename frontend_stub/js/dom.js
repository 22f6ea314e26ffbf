// Building DOM without innerHTML.
//
// Every string from the API is user content (titles, summaries, names), so the pages never
// assign it through innerHTML: `h()` sets text with text nodes and attributes with
// setAttribute. The one exception, search snippets, goes through `highlighted()` below.

/**
 * Create an element: h('a', { href: '#/', class: 'x' }, 'text', otherNode, [more, nodes]).
 * Attributes that are null, undefined or false are left out; `true` sets an empty attribute.
 * Keys starting with "on" add event listeners (onclick: fn).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Append strings (as text), nodes and nested arrays of them; null and false are skipped. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace all children of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * A search snippet as a <span>, with only the API's <mark>…</mark> kept as markup.
 *
 * The snippet is cropped from content that anyone may have written, so it may itself contain
 * "<script>" or "<img onerror>". Escaping everything first and then turning back exactly the
 * escaped "<mark>" and "</mark>" leaves no other tag and no attribute: the only markup the
 * browser can ever parse here is a bare <mark>. An unbalanced one is closed by the parser at
 * the end of the span, which is harmless.
 */
export function highlighted(snippet, attributes = {}) {
  const span = h('span', attributes);
  span.innerHTML = escapeHtml(snippet)
    .replaceAll('&lt;mark&gt;', '<mark>')
    .replaceAll('&lt;/mark&gt;', '</mark>');
  return span;
}

/** Only http(s) links from content are made clickable: never javascript: or data: URLs. */
export function safeUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** An external link that opens in a new tab and says so to screen readers. */
export function externalLink(url, text, newTabText) {
  const href = safeUrl(url);
  if (!href) return h('span', {}, text);
  return h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, text,
    h('span', { class: 'visually-hidden' }, ` (${newTabText})`));
}

/** A loading indicator: a spinner for the eye, a status text for screen readers. */
export function spinner(text) {
  return h('div', { class: 'loading', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { class: 'loading-text' }, text));
}

/** Call `fn` once `ms` have passed without another call: for typing in search boxes. */
export function debounce(fn, ms) {
  let timer;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

let uniqueCounter = 0;
/** An id unique in the page, for label/aria wiring of repeated components. */
export function uniqueId(prefix) {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}
