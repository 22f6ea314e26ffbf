"""Unsubscribe links: a token signed under the server's secret key, no sign-in needed.

A token is ``digest.<user id>.<signature>``, the signature an HMAC-SHA256 of the purpose and
the user ID under the server's secret key (base64url). It does not expire: a link in an old
mail must still work (RFC 8058 asks one-click links to keep working), and all it can do is
stop that user's digests. Changing ``LUMBUNG_SECRET_KEY`` voids every link sent before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from resolvers.auth import AuthConfig
from storage.database import Stores
from storage.vocabulary import DigestFrequency, Language

PURPOSE = "digest"
_TOKEN = re.compile(r"^digest\.([0-9a-f]{24})\.([A-Za-z0-9_-]{43})$")


def _signature(auth: AuthConfig, user_id: str) -> str:
    # Its own message format ("unsubscribe:v1:..."), so no other HMAC of the key can pass for it.
    mac = hmac.new(auth.secret_key, f"unsubscribe:v1:{PURPOSE}:{user_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def unsubscribe_token(auth: AuthConfig, user_id: str) -> str:
    return f"{PURPOSE}.{user_id}.{_signature(auth, user_id)}"


def verified_user(auth: AuthConfig, token: str) -> str | None:
    """The user ID a token was signed for; None for anything forged, altered or malformed."""
    match = _TOKEN.match(token.strip())
    if match is None:
        return None
    user_id, signature = match.groups()
    return user_id if hmac.compare_digest(signature, _signature(auth, user_id)) else None


@dataclass(frozen=True, slots=True)
class Subscription:
    user_id: str
    name: str | None
    language: Language
    digest: DigestFrequency


async def subscription(stores: Stores, user_id: str) -> Subscription:
    (settings,) = await stores.notifications.settings_of([user_id])
    (user,) = await stores.users.get_many([user_id])
    return Subscription(
        user_id=user_id,
        name=user.name if user else None,
        language=settings.language,
        digest=settings.digest if user else DigestFrequency.NONE,
    )


async def unsubscribe(stores: Stores, user_id: str) -> Subscription:
    """Stop the user's digests at once: the sender checks the setting before each claim and send."""
    current = await subscription(stores, user_id)
    if current.name is None:  # a removed user gets no mail anyway: nothing to write
        return current
    settings = await stores.notifications.save_settings(user_id, {"digest": DigestFrequency.NONE.value})
    return Subscription(
        user_id=user_id, name=current.name, language=settings.language, digest=settings.digest
    )
