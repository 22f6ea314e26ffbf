"""``/unsubscribe?token=...``: stop one's email digests from a link in one, without signing in.

``GET`` shows a small page with a button; it changes nothing, because mail scanners and link
previews fetch links on their own. ``POST`` stops the digests at once: the page's button, and
mail programs' one-click unsubscribe (RFC 8058: the ``List-Unsubscribe-Post`` header of each
digest), which POSTs ``List-Unsubscribe=One-Click`` to the same URL. A forged, altered or
malformed token gets 400.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse

from resolvers.auth import AuthConfig
from resolvers.unsubscribe import Subscription, subscription, unsubscribe, verified_user
from storage.vocabulary import DigestFrequency, Language

Endpoint = Callable[[Request], Awaitable[HTMLResponse]]

# The token is in the URL: no referrer carries it away, no cache or search engine keeps it.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
}
_WORDS = {
    Language.ID: {
        "title": "Ringkasan email Lumbung",
        "ask": "Berhenti menerima ringkasan email Lumbung untuk {name}?",
        "button": "Ya, berhenti",
        "already": "{name} sudah tidak menerima ringkasan email Lumbung.",
        "done": "Selesai: {name} tidak akan menerima ringkasan email Lumbung lagi.",
        "again": "Anda dapat mengaktifkannya kembali di pengaturan pemberitahuan.",
    },
    Language.EN: {
        "title": "Lumbung email digests",
        "ask": "Stop Lumbung's email digests for {name}?",
        "button": "Yes, stop them",
        "already": "{name} gets no Lumbung email digests.",
        "done": "Done: {name} will get no more Lumbung email digests.",
        "again": "You can turn them on again in your notification settings.",
    },
}
_INVALID = (
    "<p>Tautan berhenti berlangganan ini tidak sah. Buka tautan dari email ringkasan Anda.</p>"
    '<p lang="en">This unsubscribe link is not valid. Open the link in your digest email.</p>'
)


def _page(body: str, *, language: Language = Language.ID, status_code: int = 200) -> HTMLResponse:
    title = html.escape(_WORDS[language]["title"])
    page = (
        f'<!DOCTYPE html><html lang="{language.value.lower()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head>"
        '<body style="font-family:Arial,Helvetica,sans-serif;max-width:36em;margin:3em auto;padding:0 1em">'
        f'<h1 style="font-size:1.4em">{title}</h1>{body}</body></html>'
    )
    return HTMLResponse(page, status_code=status_code, headers=_HEADERS)


def _say(found: Subscription, key: str) -> str:
    words = _WORDS[found.language]
    return html.escape(words[key].format(name=found.name or "-"))


def routes(auth: AuthConfig) -> Endpoint:
    async def endpoint(request: Request) -> HTMLResponse:
        token = request.query_params.get("token", "")
        user_id = verified_user(auth, token)
        if user_id is None:
            return _page(_INVALID, status_code=400)
        stores = request.state.stores
        if request.method == "POST":
            done = await unsubscribe(stores, user_id)
            body = f"<p>{_say(done, 'done')}</p><p>{_say(done, 'again')}</p>"
            return _page(body, language=done.language)
        found = await subscription(stores, user_id)
        if found.digest is DigestFrequency.NONE:
            return _page(f"<p>{_say(found, 'already')}</p>", language=found.language)
        action = html.escape(
            f"?token={quote(token, safe='')}", quote=True
        )  # this page's URL, behind any prefix
        button = html.escape(_WORDS[found.language]["button"])
        body = (
            f"<p>{_say(found, 'ask')}</p>"
            f'<form method="post" action="{action}"><button type="submit" '
            'style="font-size:1em;padding:.5em 1em">'
            f"{button}</button></form>"
        )
        return _page(body, language=found.language)

    return endpoint
