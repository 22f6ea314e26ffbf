"""Credentials: argon2 password hashes, and opaque bearer tokens stored only as keyed hashes.

A token is ``<record id>.<random secret>``. The ID finds the session (or invitation) with one
indexed read; the secret is compared by its HMAC under the server's secret key, in constant
time. Nothing in the database lets anyone sign in: it holds no token and no password.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_TOKEN = re.compile(r"^([0-9a-f]{24})\.([A-Za-z0-9_-]{20,100})$")


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """How long credentials live and how hard they are to guess; built from the settings."""

    secret_key: bytes
    access_ttl: timedelta = timedelta(hours=1)
    refresh_ttl: timedelta = timedelta(days=30)
    invitation_ttl: timedelta = timedelta(days=7)
    # argon2id cost (RFC 9106's second recommendation by default); tests lower it for speed.
    hash_time_cost: int = 3
    hash_memory_kib: int = 65_536
    # Failed sign-ins allowed per account and per client address within one window.
    max_failures_per_account: int = 5
    max_failures_per_address: int = 30
    failure_window: timedelta = timedelta(minutes=15)
    hasher: PasswordHasher = field(init=False, repr=False, compare=False)
    # A hash of nothing anyone knows: verified when the email is unknown, so that a sign-in takes
    # as long whether or not the account exists.
    decoy_hash: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hasher = PasswordHasher(
            time_cost=self.hash_time_cost, memory_cost=self.hash_memory_kib, parallelism=1
        )
        object.__setattr__(self, "hasher", hasher)
        object.__setattr__(self, "decoy_hash", hasher.hash(secrets.token_urlsafe(16)))

    def token_hash(self, purpose: str, secret: str) -> str:
        message = f"{purpose}:{secret}".encode()
        return hmac.new(self.secret_key, message, hashlib.sha256).hexdigest()

    async def hash_password(self, password: str) -> str:
        # argon2 is CPU-bound by design: keep it off the event loop.
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify_password(self, password_hash: str | None, password: str) -> bool:
        def verify() -> bool:
            try:
                return self.hasher.verify(password_hash or self.decoy_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(verify) and password_hash is not None


@dataclass(frozen=True, slots=True)
class Token:
    record_id: str
    secret: str

    def __str__(self) -> str:
        return f"{self.record_id}.{self.secret}"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def parse_token(text: str) -> Token | None:
    match = _TOKEN.match(text.strip())
    return Token(match.group(1), match.group(2)) if match else None


def same_hash(given: str, stored: str) -> bool:
    return hmac.compare_digest(given.encode(), stored.encode())
