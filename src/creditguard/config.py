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
    check_fast_path: bool = Field(
        default=True,
        description="Answer plain order credit checks without FastAPI's per-request machinery "
        "(creditguard.api.fastpath); errors and Idempotency-Key requests go through the route.",
    )
    aging_fast_path: bool = Field(
        default=True,
        description="Answer one customer's plain aging (JSON) without FastAPI's per-request "
        "machinery (creditguard.api.agingpath); anything else goes through the route.",
    )
    check_threads: int = Field(
        2,
        ge=1,
        le=64,
        description="Threads per process that run order credit checks (each a unit of "
        "work at a time) and one customer's aging on the fast paths.",
    )
    check_batch: int = Field(
        32,
        ge=1,
        le=1000,
        description="Most order credit checks the fast path decides in one unit of work "
        "(those waiting together; 1: each alone).",
    )
    snapshot_dir: str = Field(
        "var/snapshots",
        description="Where portfolio snapshots (Parquet) are kept between runs; empty: in memory.",
    )
    models_dir: str = Field(
        "var/models",
        description="Where registered model files are kept (one folder per company, model and "
        "version; checked against their SHA-256 on every load).",
    )
    document_max_bytes: int = Field(
        20 * 1024 * 1024,
        ge=1,
        le=1024 * 1024 * 1024,
        description="Largest credit-file document accepted for upload, in bytes (20 MiB).",
    )
    idempotency_stale_seconds: int = Field(
        60, ge=1, description="After this, an unfinished Idempotency-Key may be claimed again."
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP server for notification e-mails.")
    smtp_port: int = Field(25, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_from: str = Field("creditguard@localhost", description="Sender of notification e-mails.")
    notify_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="Timeout of one e-mail or webhook delivery."
    )
    notify_max_attempts: int = Field(
        5, ge=1, le=50, description="Deliveries tried before a notification is marked failed."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
