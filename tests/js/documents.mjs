// Prints, as JSON, every GraphQL document the web client's api.js exports (name -> text).
// The module reads the browser's storage only when called, so stubs are enough to import it.
const storage = { getItem: () => null, setItem: () => {}, removeItem: () => {} };
globalThis.localStorage = storage;
globalThis.sessionStorage = storage;
const api = await import(new URL('../../frontend_stub/js/api.js', import.meta.url));
const documents = Object.fromEntries(
  Object.entries(api).filter(([, value]) => typeof value === 'string' && /^\s*(query|mutation|subscription)\b/.test(value)),
);
process.stdout.write(JSON.stringify(documents));
