"""HTTP-level limits: a request body larger than configured is refused before it is read whole.

A refusal must reach a client that is still sending the body. If the server answered and closed
the connection with part of the body unread, the kernel would reset the connection and the
client, still writing, would get a broken pipe instead of the answer (uvicorn closes right after
the response whenever the client or the app asked for ``Connection: close``). So the 413 is sent
with ``Connection: close`` and its body, then the rest of the request body is read and dropped,
up to ``drain_bytes`` and ``DRAIN_SECONDS``, and only then is the response completed and the
connection closed. A body declared larger than that bound is not drained at all: such a client
gets the answer, and a reset if it keeps sending, as from any server.
"""

from __future__ import annotations

import json

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
# How long a refused request's remaining body is read and dropped before the connection closes.
DRAIN_SECONDS = 10.0


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """413 with a GraphQL-shaped error when the body exceeds ``max_bytes`` (declared or streamed).

    After refusing, at most ``drain_bytes`` (by default four times ``max_bytes``) of the rest of
    the body are read and dropped, so that the client reads the answer (module docstring).
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, drain_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.drain_bytes = 4 * max_bytes if drain_bytes is None else drain_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            # A client waiting for "100 Continue" sends no body; reading would make uvicorn send
            # the 100 after the 413.
            waiting = headers.get(b"expect", b"").lower() == b"100-continue"
            drain = not waiting and int(declared) <= self.drain_bytes
            await self._refuse(send, receive if drain else None)
            return
        received = 0
        complete = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, complete
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                # once the body is complete, another receive() would wait for the disconnect
                await self._refuse(send, None if complete else receive)

    async def _refuse(self, send: Send, drain: Receive | None) -> None:
        """The 413; with ``drain``, the rest of the body is read before the response completes."""
        body = json.dumps(
            {
                "errors": [
                    {
                        "message": f"The request body is larger than {self.max_bytes} bytes.",
                        "extensions": {"code": REQUEST_TOO_LARGE},
                    }
                ]
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        if drain is None:
            await send({"type": "http.response.body", "body": body})
            return
        await send({"type": "http.response.body", "body": body, "more_body": True})
        await self._drain(drain)
        await send({"type": "http.response.body", "body": b""})

    async def _drain(self, receive: Receive) -> None:
        """Read and drop the request body until it ends, or the byte or time bound is reached."""
        dropped = 0
        with anyio.move_on_after(DRAIN_SECONDS):
            while dropped <= self.drain_bytes:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client is gone
                dropped += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return
