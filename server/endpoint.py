"""The /graphql endpoint: who is asking, what a request may look like, refusals as JSON.

Before anything executes:

- **Authentication.** ``Authorization: Bearer <token>`` is resolved to a viewer; a token that is
  malformed, expired, revoked or of a removed user gets 401 with ``UNAUTHENTICATED`` (never a
  silent downgrade to anonymous, which would hide an expired session from the client).
- **CSRF.** A browser can send a cross-site GET or a "simple" POST without a preflight. POSTs
  must be ``application/json`` (strawberry refuses the rest); a GET that runs an operation must
  carry a ``GraphQL-Require-Preflight`` or ``X-Requested-With`` header, which no cross-site form or
  image tag can add.
- **Batches** hold at most ``max_operations`` operations (``TOO_MANY_OPERATIONS``).

Refusals leave as a GraphQL-shaped JSON body with an ``extensions.code``, not strawberry's plain
text.

**Subscriptions** (README "Live updates") use the graphql-transport-ws protocol on a WebSocket
at the same path. The token travels in ``connection_init``'s payload (``{"authorization":
"Bearer <token>"}`` or ``{"token": "<token>"}``), as browsers cannot set headers on a WebSocket:
an invalid or expired one closes the connection with 4403, as does, later, a sign-in that has
ended (checked before each subscribe and at each ping); a database outage closes it with 1013
(Try Again Later). A user past ``max_connections_per_user`` has the oldest connection closed
with 4429. More than ``max_subscriptions`` operations on one connection get an error
``TOO_MANY_SUBSCRIPTIONS``, queries and mutations ``QUERY_OVER_WEBSOCKET``; the server pings
every ``ping_seconds``; a connection's subscriptions, counters and ping task are gone when it
closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types.unset import UNSET, UnsetType

from resolvers.accounts import signed_in_by, still_signed_in, viewer_of
from resolvers.auth import AuthConfig
from resolvers.context import Context
from resolvers.errors import Unauthenticated
from resolvers.live import connection_key
from resolvers.posting import PostingConfig
from resolvers.viewer import Viewer
from server import logs
from server.graphql_view import GraphQLView, is_request_error
from server.ide import GraphiQLPage
from server.metrics import Metrics
from storage.errors import StorageUnavailable

if TYPE_CHECKING:
    from cross_web import AsyncHTTPRequestAdapter
    from strawberry.http import GraphQLRequestData
    from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
        ConnectionInitMessage,
        ErrorMessage,
        SubscribeMessage,
    )
    from strawberry.types import ExecutionResult

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PREFLIGHT_HEADERS = ("graphql-require-preflight", "x-requested-with")
# strawberry's own batch cap (a schema setting), kept out of the way: ours answers with a code.
STRAWBERRY_BATCH_CAP = 10_000
_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 405: "METHOD_NOT_ALLOWED", 406: "NOT_ACCEPTABLE"}
# The name of a document's first operation, when the request names none (metrics and logs).
_FIRST_OPERATION = re.compile(r"^\s*(?:query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)")


def operation_name(request_data: GraphQLRequestData) -> str | None:
    if request_data.operation_name:
        return request_data.operation_name
    match = _FIRST_OPERATION.match(request_data.query or "")
    return match.group(1) if match else None


def operation_type(query: str, operation_name: str | None) -> OperationType | None:
    """The type of the operation to run; None when the document does not say (execution reports it)."""
    try:
        document = parse(query)
    except GraphQLError:
        return None
    operation = get_operation_ast(document, operation_name)
    return operation.operation if operation is not None else None


def is_subscription(request_data: GraphQLRequestData) -> bool:
    """Whether the operation to run is a subscription (parsed only when the word occurs)."""
    query = request_data.query or ""
    if "subscription" not in query:
        return False
    return operation_type(query, request_data.operation_name) is OperationType.SUBSCRIPTION


class Refused(HTTPException):
    """A request refused before execution, with the code clients branch on."""

    def __init__(self, status_code: int, reason: str, *, code: str) -> None:
        super().__init__(status_code, reason)
        self.code = code


def refusal(status_code: int, message: str, code: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    headers = {"WWW-Authenticate": 'Bearer realm="lumbung"'} if status_code == 401 else None
    return Response(json.dumps(body), status_code=status_code, media_type="application/json", headers=headers)


# Close codes of a live connection refused after connection_init, and what graphql-ws does.
CLOSE_FORBIDDEN = 4403  # the sign-in is invalid or ended: it retries (with connectionParams anew)
CLOSE_TOO_MANY_CONNECTIONS = 4429  # replaced by a newer connection; fatal: it does not retry
CLOSE_TRY_AGAIN_LATER = 1013  # the database is unavailable: it retries (1011 would be fatal)


class Unavailable(Exception):
    pass


def _token_of(params: dict[str, object]) -> str | None:
    """The token of a connection_init payload; "" when one is given but malformed."""
    authorization, token = params.get("authorization", params.get("Authorization")), params.get("token")
    if authorization is None and token is None:
        return None
    if isinstance(authorization, str):
        scheme, _, value = authorization.partition(" ")
        return value.strip() if scheme.lower() == "bearer" else ""
    return token.strip() if isinstance(token, str) else ""


class TextFrames(ASGIWebSocketAdapter):
    """Messages as text frames, as graphql-transport-ws requires (encode_json makes bytes)."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            encoded = self.view.encode_json(message)
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class LiveConnection(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with the limits, the pings and the teardown of the module docstring."""

    view: LumbungGraphQL

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pinger: asyncio.Task[None] | None = None
        self.closed = False

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except Unavailable:
            await self.websocket.close(code=CLOSE_TRY_AGAIN_LATER, reason="The database is unavailable.")
            return
        if not self.connection_acknowledged or self.pinger is not None:
            return
        live = self.context.live
        if live is not None:
            key = connection_key(self.context.viewer, self.context.client_address)
            evicted = live.open_connection(self, key, self._replaced)
            if evicted is not None:  # in the background: a vanished client's socket may not drain
                closing = asyncio.create_task(evicted(), name="live-replaced")
                self.view.closing.add(closing)
                closing.add_done_callback(self.view.closing.discard)
        self.pinger = asyncio.create_task(self._ping(), name="live-ping")

    async def _replaced(self) -> None:
        """Closed to make room for a newer connection of the same user (4429: not retried)."""
        if self.closed:
            return
        self.closed = True
        limit = self.context.live.max_connections_per_user if self.context.live else 0
        reason = f"Replaced by a newer connection: at most {limit} per user."
        with contextlib.suppress(Exception):
            await self.websocket.close(code=CLOSE_TOO_MANY_CONNECTIONS, reason=reason)

    async def _ping(self) -> None:
        with contextlib.suppress(Exception):
            while not self.closed:
                await asyncio.sleep(self.view.ping_seconds)
                if not await self._still_signed_in():
                    return
                await self.send_message({"type": "ping"})  # its pong is not awaited: see __main__

    async def _still_signed_in(self) -> bool:
        """Whether the connection's sign-in holds (sign-out, expiry, removal, a new role: 4403)."""
        context = self.context
        try:
            valid = await still_signed_in(context.stores, context.viewer, context.access_expires_at)
        except StorageUnavailable:
            return True  # unknown for now: the next check tells
        if not valid and not self.closed:
            self.closed = True
            reason = "The sign-in of this connection has ended; reconnect with a fresh token."
            await self.websocket.close(code=CLOSE_FORBIDDEN, reason=reason)
        return valid

    async def _refuse(self, message: SubscribeMessage, code: str, text: str) -> None:
        error = GraphQLError(text, extensions={"code": code})
        refusal: ErrorMessage = {"id": message["id"], "type": "error", "payload": [error.formatted]}
        await self.send_message(refusal)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not self.connection_acknowledged or message["id"] in self.operations:
            await super().handle_subscribe(message)  # closes with 4401 or 4409
            return
        if not await self._still_signed_in():
            return
        limit = self.view.max_subscriptions
        if len(self.operations) >= limit:
            text = f"At most {limit} subscriptions per connection; complete one first."
            await self._refuse(message, "TOO_MANY_SUBSCRIPTIONS", text)
            return
        payload = message["payload"]
        kind = operation_type(str(payload.get("query") or ""), payload.get("operationName"))
        if kind is not None and kind is not OperationType.SUBSCRIPTION:
            # Over HTTP they are logged, counted and given fresh loaders; here they would not be.
            text = "Only subscriptions go over the WebSocket; send queries and mutations over HTTP."
            await self._refuse(message, "QUERY_OVER_WEBSOCKET", text)
            return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        if self.pinger is not None:
            self.pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.pinger
        try:
            await super().shutdown()  # cancels the subscriptions: they leave the hub
        finally:
            if self.context.live is not None:
                self.context.live.close_connection(self)


class LumbungGraphQL(GraphQLView[Context, None]):
    """The endpoint; ``graphiql`` is the page browsers get in development (None: no GraphiQL)."""

    def __init__(
        self,
        *args: object,
        auth: AuthConfig,
        max_operations: int,
        posting: PostingConfig | None = None,
        metrics: Metrics | None = None,
        graphiql: GraphiQLPage | None = None,
        max_subscriptions: int = 10,
        ping_seconds: float = 15.0,
        **kwargs: object,
    ) -> None:
        kwargs["graphql_ide"] = "graphiql" if graphiql else None
        kwargs["subscription_protocols"] = (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # strawberry's own keyword arguments
        self.max_subscriptions = max_subscriptions
        self.closing: set[asyncio.Task[None]] = set()  # connections replaced by newer ones
        self.ping_seconds = ping_seconds
        self.auth = auth
        self.max_operations = max_operations
        self.posting = posting or PostingConfig()
        self.metrics = metrics
        self.graphiql = graphiql

    graphql_transport_ws_handler_class = LiveConnection
    websocket_adapter_class = TextFrames  # type: ignore[assignment]  # as strawberry's own

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Sign the connection in with connection_init's token (LiveConnection counts it)."""
        token = _token_of(context.connection_params or {})
        if token is not None:
            if not token:
                raise ConnectionRejectionError()
            try:
                viewer, expires_at = await signed_in_by(context.stores, self.auth, token)
                context.sign_in(viewer, expires_at)
            except Unauthenticated as exc:
                raise ConnectionRejectionError() from exc
            except StorageUnavailable as exc:
                raise Unavailable() from exc
        unset: UnsetType = UNSET
        return unset

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our page, from local files, instead of strawberry's, which loads a CDN (server/ide.py)."""
        if self.graphiql is None:  # strawberry asks only when graphql_ide is set
            raise Refused(404, "Not Found", code="NOT_FOUND")
        return self.graphiql.page()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except Refused as exc:
            response = refusal(exc.status_code, exc.reason, exc.code)
        except HTTPException as exc:
            response = refusal(exc.status_code, exc.reason, _CODES.get(exc.status_code, "BAD_REQUEST"))
        await response(scope, receive, send)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "GET" and not any(request.headers.get(name) for name in PREFLIGHT_HEADERS):
            raise Refused(
                400,
                "A GraphQL request over GET must carry a `GraphQL-Require-Preflight: 1` header "
                "(CSRF protection); or POST it as application/json.",
                code="CSRF_PREFLIGHT_REQUIRED",
            )
        data = await super().parse_http_body(request)
        if isinstance(data, list) and len(data) > self.max_operations:
            raise Refused(
                400,
                f"A batch holds at most {self.max_operations} operations; this one holds {len(data)}.",
                code="TOO_MANY_OPERATIONS",
            )
        return data

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        """Subscriptions only over the WebSocket, where the live limits and teardown apply."""
        request_data: GraphQLRequestData | list[GraphQLRequestData] = kwargs["request_data"]
        if any(
            is_subscription(data)
            for data in (request_data if isinstance(request_data, list) else [request_data])
        ):
            raise Refused(
                400,
                "Subscriptions are served over a WebSocket at this same URL (the graphql-transport-ws "
                'protocol); see the README, "Live updates".',
                code="SUBSCRIPTION_OVER_HTTP",
            )
        return await super().execute_operation(*args, **kwargs)

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """One operation, timed and counted by its name and outcome, its name bound for the logs."""
        request_data: GraphQLRequestData = kwargs["request_data"]
        name = operation_name(request_data)
        logs.bind(operation=name)
        started = time.perf_counter()
        outcome, codes = "invalid", list[str]()
        try:
            result = await super().execute_single(*args, **kwargs)
            if result.errors:
                outcome = "invalid" if is_request_error(result) else "error"
                codes = [str((error.extensions or {}).get("code", "UNKNOWN")) for error in result.errors]
            else:
                outcome = "ok"
            return result
        finally:
            if self.metrics is not None:
                self.metrics.observe_operation(name, outcome, time.perf_counter() - started, codes)

    def decode_json(self, data: str | bytes) -> object:
        """orjson; and the shape strawberry assumes: an object, or a list of objects (a batch).

        What orjson refuses, such as an integer beyond 64 bits, goes to the standard library, so
        such a number still reaches the argument's own check and its typed error.
        """
        try:
            decoded = orjson.loads(data)
        except orjson.JSONDecodeError:
            decoded = json.loads(data)  # raises for what is not JSON at all
        operations = decoded if isinstance(decoded, list) else [decoded]
        if not all(isinstance(operation, dict) for operation in operations):
            raise Refused(
                400, "The body must be a JSON object, or a list of objects for a batch.", code="BAD_REQUEST"
            )
        return decoded

    def encode_json(self, data: object) -> bytes:
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:  # an integer beyond 64 bits: the standard library takes any
            return json.dumps(data, separators=(",", ":")).encode()

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        given = request.headers.get("x-request-id", "")
        request_id = logs.current_request_id() or (given if _REQUEST_ID.match(given) else uuid.uuid4().hex)
        if isinstance(response, Response):
            response.headers["X-Request-ID"] = request_id
        workers = [w for w in (request.state.indexer, request.state.notifier) if w is not None]

        def on_write() -> None:  # what was written is indexed and told of soon
            for worker in workers:
                worker.wake.set()

        # A WebSocket signs in with its connection_init (on_ws_connect), not with headers.
        viewer = Viewer() if isinstance(request, WebSocket) else await self._viewer(request)
        logs.bind(viewer_id=viewer.user_id)
        return Context.for_request(
            request.state.stores,
            request_id=request_id,
            auth=self.auth,
            viewer=viewer,
            client_address=request.client.host if request.client else "unknown",
            search=request.state.search,
            on_write=on_write,
            posting=self.posting,
            on_sign_in_failure=self.metrics.sign_in_failed if self.metrics else lambda reason: None,
            live=getattr(request.state, "live", None),
        )

    async def _viewer(self, request: Request | WebSocket) -> Viewer:
        header = request.headers.get("authorization")
        if header is None:
            return Viewer()
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused(401, "Send `Authorization: Bearer <accessToken>`.", code="UNAUTHENTICATED")
        try:
            return await viewer_of(request.state.stores, self.auth, token)
        except Unauthenticated as exc:
            raise Refused(401, str(exc), code="UNAUTHENTICATED") from exc
        except StorageUnavailable as exc:
            message = "The database is unavailable; try again shortly."
            raise Refused(503, message, code="SERVICE_UNAVAILABLE") from exc


__all__ = [
    "CLOSE_FORBIDDEN",
    "CLOSE_TOO_MANY_CONNECTIONS",
    "CLOSE_TRY_AGAIN_LATER",
    "PREFLIGHT_HEADERS",
    "STRAWBERRY_BATCH_CAP",
    "LiveConnection",
    "LumbungGraphQL",
    "Refused",
    "refusal",
]
