// Run graphql-http's GraphQL-over-HTTP server audit against a live endpoint.
//
//   node tests/graphql_http_audit.mjs http://127.0.0.1:PORT/graphql
//
// Prints exactly one JSON object on stdout:
//   {"results": [{"id", "name", "status", "reason"}, ...]}
// where status is graphql-http's verdict: "ok", or for a failed audit "error"
// (MUST), "warn" (SHOULD) or "notice" (MAY); reason is null when it passed.
// A problem running the audit itself is reported as {"results": [], "fatal": "..."}.
// The exit code is always 0: the Python test decides what counts as a failure.
import { auditServer } from 'graphql-http';

function emit(payload) {
  process.stdout.write(`${JSON.stringify(payload)}\n`);
}

async function main() {
  const url = process.argv[2];
  if (!url) {
    emit({ results: [], fatal: 'usage: node tests/graphql_http_audit.mjs <graphql endpoint url>' });
    return;
  }
  // The server asks every GET for a header no cross-site form can send (CSRF protection).
  const fetchFn = (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('GraphQL-Require-Preflight', '1');
    return fetch(input, { ...init, headers });
  };
  const results = await auditServer({ url, fetchFn });
  emit({
    results: results.map((result) => ({
      id: result.id,
      name: result.name,
      status: result.status,
      reason: result.status === 'ok' ? null : result.reason,
    })),
  });
}

main().catch((error) => {
  emit({ results: [], fatal: String(error && error.stack ? error.stack : error) });
});
