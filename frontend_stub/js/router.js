// Routing on location.hash: "#/search?q=sampah&theme=HEALTH", "#/item/<global id>", "#/contribute".
//
// Why the hash and not the History API: the server serves these files as plain static files,
// so a reload of "/item/abc" would ask it for a file that does not exist. Everything after "#"
// stays in the browser, so any URL of the page can be shared, bookmarked and reloaded.

let routes = [];
let renderedHash = null;
let currentController = null;

/** The current hash as { path: '/search', params: URLSearchParams }. */
export function currentLocation() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  return { path: path || '/', params: new URLSearchParams(query) };
}

/** The hash of a path with parameters; empty parameters are left out so shared links stay short. */
export function hashFor(path, params = new URLSearchParams()) {
  const query = params.toString();
  return `#${path}${query ? `?${query}` : ''}`;
}

/**
 * Change the URL without rendering the route again: a page that updates itself (the search
 * page, as filters change) records its state this way. `push` adds a history entry, so Back
 * undoes the change; otherwise the entry is replaced.
 */
export function updateUrl(hash, { push = false } = {}) {
  if (hash === location.hash) return;
  renderedHash = hash;
  if (push) history.pushState(null, '', hash);
  else history.replaceState(null, '', hash);
}

/** Go to another route (renders it). */
export function navigate(hash) {
  location.hash = hash;
}

/**
 * Start routing. `table` is a list of [pattern, view]: a pattern is a path whose ":name"
 * segments are captured; a view is `async (outlet, { params, args, signal }) => void`.
 * `signal` is aborted when the person leaves the route, so a late answer cannot paint over
 * the next page. `onRender(path, done)` is called at once; `done` resolves to true once the
 * view has drawn its content (false if the person left first).
 */
export function startRouter(outlet, table, { onRender } = {}) {
  routes = table.map(([pattern, view]) => ({ view, ...compile(pattern) }));
  const render = ({ force = false } = {}) => {
    if (!force && location.hash === renderedHash && renderedHash !== null) return;
    renderedHash = location.hash;
    currentController?.abort();
    currentController = new AbortController();
    const { path, params } = currentLocation();
    const match = routes.map((route) => ({ route, args: route.match(path) })).find((m) => m.args);
    const { route, args } = match ?? { route: routes[0], args: {} };
    const signal = currentController.signal;
    const done = Promise.resolve(route.view(outlet, { params, args, signal })).then(() => !signal.aborted);
    onRender?.(path, done);
    return done;
  };
  // Back/forward after updateUrl() fires popstate; a changed hash fires hashchange; both can
  // fire for one step, and render() ignores the second.
  window.addEventListener('hashchange', () => render());
  window.addEventListener('popstate', () => render());
  render();
  return { rerender: () => render({ force: true }) };
}

function compile(pattern) {
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (_, name) => {
    names.push(name);
    return '([^/]+)';
  });
  const regex = new RegExp(`^${source}$`);
  return {
    match(path) {
      const found = regex.exec(path);
      if (!found) return null;
      return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
    },
  };
}
