"""The one settings class, read from the environment at start-up (never at import time)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr
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
    mongodb_timeout_ms: Annotated[int, Field(ge=100)] = 3000
    # Load the Kemendagri regions and the demo content into an empty database at start-up.
    seed_regions: bool = True
    seed_demo: bool = True
    log_level: str = "INFO"

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION
