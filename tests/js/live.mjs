// A subscriber on instance B, replies posted through instance A: the graphql-ws client (createClient
// over the `ws` package), as a browser or a Node service would use it.
//
//   node tests/js/live.mjs '{"a": "http://127.0.0.1:PORT_A", "b": "http://127.0.0.1:PORT_B",
//                            "token": "<access token>", "threadId": "<Thread global ID>", "count": 1}'
//
// Subscribes to threadUpdated(threadId) on B (the token in connection_init), waits until B's
// /metrics counts the subscription, then `count` times posts a reply through A and waits for it on
// B. Prints {"latenciesMs": [...], "mutationMs": [...], "p50Ms", "p95Ms"} and exits 0; exits 1
// (with {"fatal": ...}) when a reply does not arrive within `timeoutMs` (default 10 s).
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const options = JSON.parse(process.argv[2]);
const count = options.count ?? 1;
const timeoutMs = options.timeoutMs ?? 10_000;

const SUBSCRIPTION = "subscription($id: ID!) { threadUpdated(id: $id) { id body thread { id } } }";
const REPLY = `mutation($input: ReplyInput!) {
  replyToThread(input: $input) { reply { id } errors { field code message } }
}`;

function fail(message) {
  console.log(JSON.stringify({ fatal: message }));
  process.exit(1);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function subscriptionsOnB() {
  const text = await (await fetch(`${options.b}/metrics`)).text();
  const match = text.match(/^lumbung_live_subscriptions (\S+)$/m);
  return match ? Number(match[1]) : 0;
}

async function post(body) {
  const response = await fetch(`${options.a}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${options.token}` },
    body: JSON.stringify({ query: REPLY, variables: { input: { threadId: options.threadId, body } } }),
  });
  const result = await response.json();
  const errors = result.errors ?? result.data.replyToThread.errors;
  if (errors.length) fail(`the reply was refused: ${JSON.stringify(errors)}`);
}

const client = createClient({
  url: `${options.b.replace(/^http/, "ws")}/graphql`,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${options.token}` },
  retryAttempts: 0,
});

const waiting = new Map(); // body -> resolve
const unsubscribe = client.subscribe(
  { query: SUBSCRIPTION, variables: { id: options.threadId } },
  {
    next: ({ data, errors }) => {
      if (errors) fail(`the subscription failed: ${JSON.stringify(errors)}`);
      const resolve = waiting.get(data.threadUpdated.body);
      if (resolve) resolve(performance.now());
    },
    error: (error) => fail(`the subscription failed: ${error?.reason ?? error?.message ?? JSON.stringify(error)}`),
    complete: () => {},
  },
);

const ready = Date.now() + timeoutMs;
while ((await subscriptionsOnB()) < 1) {
  if (Date.now() > ready) fail("instance B never counted the subscription");
  await new Promise((resolve) => setTimeout(resolve, 20));
}

const latencies = [];
const mutations = [];
for (let n = 0; n < count; n++) {
  const body = `Balasan langsung nomor ${n + 1} (${process.pid})`;
  const received = new Promise((resolve) => waiting.set(body, resolve));
  const timer = setTimeout(() => fail(`reply ${n + 1} did not reach instance B within ${timeoutMs} ms`), timeoutMs);
  const sent = performance.now();
  await post(body);
  mutations.push(performance.now() - sent);
  const at = await received;
  clearTimeout(timer);
  waiting.delete(body);
  latencies.push(at - sent);
}

unsubscribe();
await client.dispose();
const sorted = [...latencies].sort((x, y) => x - y);
console.log(
  JSON.stringify({
    latenciesMs: latencies,
    mutationMs: mutations,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
  }),
);
process.exit(0);
