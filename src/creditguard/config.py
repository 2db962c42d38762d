"""Settings from CREDITGUARD_* environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/creditguard.db"


class Settings(BaseSettings):
    """Process-wide settings; every field can be set as CREDITGUARD_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="CREDITGUARD_", extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the ledger.")
    token_ttl_hours: int = Field(12, ge=1, le=24 * 30, description="Lifetime of a login token.")
    max_failed_logins: int = Field(5, ge=1, description="Failed logins before a lockout.")
    lockout_minutes: int = Field(15, ge=1, description="How long a lockout lasts.")
    auth_cache_seconds: int = Field(
        10,
        ge=0,
        le=300,
        description="How long a checked credential is remembered in the process (0: never).",
    )
    snapshot_dir: str = Field(
        "var/snapshots",
        description="Where portfolio snapshots (Parquet) are kept between runs; empty: in memory.",
    )
    idempotency_stale_seconds: int = Field(
        60, ge=1, description="After this, an unfinished Idempotency-Key may be claimed again."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
