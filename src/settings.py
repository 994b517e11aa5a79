"""Settings read from environment variables into typed groups.

Every variable is listed with its default in `.env.example`. `get_settings()` validates once
and caches; a bad value raises `SettingsError` naming the variable, which the CLI prints as one
line (no traceback wall).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("XPCORE_STATE_DIR", ROOT / ".xpcore"))
ENVIRONMENTS = ("dev", "test", "production")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"invalid setting {variable}: {problem}")
        self.variable = variable


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(name, f"expected true or false, got {raw!r}")


def _int(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"expected an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(name, f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise SettingsError(name, f"must be at most {maximum}, got {value}")
    return value


def _list(name: str, default: str = "") -> tuple[str, ...]:
    raw = _env(name, default) or ""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _env(name, default) or default
    if value not in choices:
        raise SettingsError(name, f"expected one of {', '.join(choices)}, got {value!r}")
    return value


def _cron(name: str, default: str) -> str | None:
    """A cron expression (five fields, or six with seconds), or None for `off`."""
    value = _env(name, default) or default
    if value.lower() == "off":
        return None
    from croniter import croniter

    if not croniter.is_valid(value):
        raise SettingsError(name, f"expected a cron expression or off, got {value!r}")
    return value


def _url(name: str, value: str | None, schemes: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes or not (parts.netloc or "host=" in parts.query):
        raise SettingsError(name, f"expected a {schemes[0]}:// URL, got {value!r}")
    return value


def _role(name: str, default: str) -> str | None:
    """A role name, or None when the variable is set but empty (the feature turned off)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip()
    if not value:
        return None
    if not re.fullmatch(r"[a-z_][a-z0-9_$]{0,62}", value):
        raise SettingsError(name, f"expected a role name (lower case letters, digits, _), got {value!r}")
    return value


def normalize_database_url(url: str) -> str:
    """The plain libpq form asyncpg accepts (no SQLAlchemy driver suffix)."""
    for prefix in ("postgresql+asyncpg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def sqlalchemy_url(url: str) -> str:
    return "postgresql+asyncpg://" + normalize_database_url(url)[len("postgresql://") :]


@dataclass(frozen=True)
class DatabaseSettings:
    url: str | None  # None until the embedded server is attached
    pool_min: int = 1
    pool_max: int = 10
    statement_timeout_ms: int = 15000
    # POST /xp/events: awards per database call, and calls running at once (src/xp/batcher.py)
    award_batch_max: int = 32
    award_calls_max: int = 2
    # The profile and around-me reads on the primary (the fast lane's and their routes'): reads
    # per database call, and calls running at once per kind (src/read_batcher.py)
    read_batch_max: int = 32
    read_calls_max: int = 2
    # The role the API's pool runs as (`role` at connect, src/db.py); None: the login's own.
    # Workers and the CLI ignore it and run as the login (the schema owner).
    api_role: str | None = "xpcore_api"
    # Read replicas (src/replicas.py): a small pool each; one lagging past max_lag_s is skipped.
    replica_urls: tuple[str, ...] = ()
    replica_max_lag_s: float = 10.0
    replica_pool_max: int = 4
    # The board job's logged copy of each rank snapshot for the replicas (xp.publish_replica_board):
    # at most one per board this often; 0, or no replica_urls, publishes none.
    rank_replica_snapshot_every_s: int = 30
    # PgBouncer in transaction mode in front of `url`: no startup parameters but application_name
    # (set statement_timeout and jit on the login role), and no named prepared statements unless
    # the cache size says so (PgBouncer >= 1.21 with max_prepared_statements).
    pgbouncer: bool = False
    statement_cache_size: int = 100


@dataclass(frozen=True)
class RedisSettings:
    url: str | None
    key_prefix: str = "xpcore"


@dataclass(frozen=True)
class CookieSettings:
    secure: bool
    samesite: str
    domain: str | None


@dataclass(frozen=True)
class JWTSettings:
    private_key: str | None
    previous_public_keys: str | None
    issuer: str
    audience: str
    access_ttl_s: int = 15 * 60
    refresh_ttl_s: int = 30 * 24 * 3600


@dataclass(frozen=True)
class EmailSettings:
    backend: str
    sender: str
    aws_region: str
    endpoint_url: str | None


@dataclass(frozen=True)
class OAuthProvider:
    client_id: str | None
    client_secret: str | None
    metadata_url: str | None = None
    authorize_url: str | None = None
    token_url: str | None = None
    api_url: str | None = None


@dataclass(frozen=True)
class Settings:
    env: str
    log_level: str
    host: str
    port: int
    public_url: str
    cors_origins: tuple[str, ...]
    redirect_allowlist: tuple[str, ...]
    otp_max_per_email: int
    otp_max_per_ip: int
    api_key_max_per_minute: int
    secret_key: str | None
    database: DatabaseSettings
    redis: RedisSettings
    cookies: CookieSettings
    jwt: JWTSettings
    email: EmailSettings
    google: OAuthProvider
    github: OAuthProvider
    discord: OAuthProvider
    razorpay_key_id: str | None
    razorpay_key_secret: str | None
    razorpay_webhook_secret: str | None
    razorpay_base_url: str | None
    firebase_credentials: str | None
    fcm_endpoint: str | None
    worker_in_process: bool
    queue_name: str = "xpcore"
    push_lease_s: int = 120
    # when the analytics materialized views are refreshed (cron, UTC); None: never (docs/analytics.md)
    analytics_refresh_cron: str | None = "*/5 * * * *"
    state_dir: Path = field(default=STATE_DIR)
    # peers whose X-Forwarded-For is believed (IPs or CIDRs); `xpcore run` hands them to uvicorn
    trusted_proxies: tuple[str, ...] = ()
    # A connection straight to PostgreSQL, never through PgBouncer: LISTEN (the outbox wake-up,
    # live updates) and migrations (session state). Resolved to DATABASE_URL when unset.
    database_direct_url: str | None = None
    # Tests only (refused in production): every cron job runs every N seconds instead of its
    # schedule (src/worker/__init__.py), so a test sees many ticks in seconds. 0: the schedule.
    cron_every_s: int = 0
    # Open live streams (SSE) one API process holds at most; more get 503 (src/live/routes.py).
    live_max_streams: int = 10_000
    # The hottest routes answered without Litestar's per-request machinery (src/fast_lane.py).
    fast_lane: bool = True

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @property
    def is_production(self) -> bool:
        return self.env == "production"


def _oauth(prefix: str, *, metadata: str | None = None, endpoints: dict[str, str] | None = None) -> OAuthProvider:
    endpoints = endpoints or {}
    return OAuthProvider(
        client_id=_env(f"{prefix}_CLIENT_ID"),
        client_secret=_env(f"{prefix}_CLIENT_SECRET"),
        metadata_url=_url(f"{prefix}_METADATA_URL", _env(f"{prefix}_METADATA_URL", metadata), ("https", "http"))
        if metadata
        else None,
        authorize_url=_env(f"{prefix}_AUTHORIZE_URL", endpoints.get("authorize")),
        token_url=_env(f"{prefix}_TOKEN_URL", endpoints.get("token")),
        api_url=_env(f"{prefix}_API_URL", endpoints.get("api")),
    )


def _networks(name: str) -> tuple[str, ...]:
    import ipaddress

    values = _list(name)
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise SettingsError(name, f"expected IP addresses or CIDR networks, got {value!r}") from None
    return values


_PG_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")


def _database_urls(name: str) -> tuple[str, ...]:
    urls = _list(name)
    for url in urls:
        _url(name, url, _PG_SCHEMES)
    return urls


def load_settings() -> Settings:
    """Read and validate every setting; raises SettingsError on the first bad one."""
    env = _choice("XPCORE_ENV", "dev", ENVIRONMENTS)
    database_url = _url("DATABASE_URL", _env("DATABASE_URL"), _PG_SCHEMES)
    pgbouncer = _bool("DATABASE_PGBOUNCER", False)
    redis_url = _url("REDIS_URL", _env("REDIS_URL"), ("redis", "rediss", "unix", "valkey"))
    if redis_url and redis_url.startswith("valkey://"):
        redis_url = "redis://" + redis_url[len("valkey://") :]
    port = _int("XPCORE_PORT", 8000, minimum=1)
    samesite = _choice("COOKIE_SAMESITE", "lax", ("lax", "strict", "none"))
    settings = Settings(
        env=env,
        log_level=_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
        host=_env("XPCORE_HOST", "127.0.0.1") or "127.0.0.1",
        port=port,
        public_url=(_env("XPCORE_PUBLIC_URL", f"http://127.0.0.1:{port}") or "").rstrip("/"),
        cors_origins=_list("CORS_ORIGINS"),
        redirect_allowlist=_list(
            "XPCORE_REDIRECT_ALLOWLIST", "http://127.0.0.1,http://localhost" if env != "production" else ""
        ),
        otp_max_per_email=_int("OTP_MAX_PER_EMAIL", 5, minimum=1),
        otp_max_per_ip=_int("OTP_MAX_PER_IP", 20, minimum=1),
        api_key_max_per_minute=_int("API_KEY_MAX_PER_MINUTE", 6000, minimum=1),
        secret_key=_env("XPCORE_SECRET_KEY"),
        database=DatabaseSettings(
            url=database_url,
            pool_min=_int("DATABASE_POOL_MIN", 1),
            pool_max=_int("DATABASE_POOL_MAX", 10, minimum=1),
            statement_timeout_ms=_int("DATABASE_STATEMENT_TIMEOUT_MS", 15000, minimum=0),
            award_batch_max=_int("XP_AWARD_BATCH_MAX", 32, minimum=1, maximum=64),
            award_calls_max=_int("XP_AWARD_CALLS_MAX", 2, minimum=1),
            read_batch_max=_int("XP_READ_BATCH_MAX", 32, minimum=1, maximum=1000),
            read_calls_max=_int("XP_READ_CALLS_MAX", 2, minimum=1),
            api_role=_role("DATABASE_API_ROLE", "xpcore_api"),
            replica_urls=_database_urls("DATABASE_REPLICA_URLS"),
            replica_max_lag_s=_int("DATABASE_REPLICA_MAX_LAG_S", 10, minimum=1),
            replica_pool_max=_int("DATABASE_REPLICA_POOL_MAX", 4, minimum=1),
            rank_replica_snapshot_every_s=_int("RANK_REPLICA_SNAPSHOT_EVERY_S", 30, minimum=0),
            pgbouncer=pgbouncer,
            statement_cache_size=_int("DATABASE_STATEMENT_CACHE_SIZE", 0 if pgbouncer else 100, minimum=0),
        ),
        database_direct_url=_url("DATABASE_DIRECT_URL", _env("DATABASE_DIRECT_URL"), _PG_SCHEMES) or database_url,
        redis=RedisSettings(url=redis_url, key_prefix=_env("REDIS_KEY_PREFIX", "xpcore") or "xpcore"),
        cookies=CookieSettings(
            secure=_bool("COOKIE_SECURE", env != "dev"),
            samesite=samesite,
            domain=_env("COOKIE_DOMAIN"),
        ),
        jwt=JWTSettings(
            private_key=_env("JWT_PRIVATE_KEY"),
            previous_public_keys=_env("JWT_PREVIOUS_PUBLIC_KEYS"),
            issuer=_env("JWT_ISSUER", "xpcore") or "xpcore",
            audience=_env("JWT_AUDIENCE", "xpcore") or "xpcore",
        ),
        email=EmailSettings(
            backend=_choice("EMAIL_BACKEND", "console", ("console", "ses")),
            sender=_env("EMAIL_FROM", "xpcore <no-reply@xpcore.local>") or "",
            aws_region=_env("AWS_REGION", "us-east-1") or "us-east-1",
            endpoint_url=_env("AWS_ENDPOINT_URL_SESV2"),
        ),
        google=_oauth("OAUTH_GOOGLE", metadata="https://accounts.google.com/.well-known/openid-configuration"),
        github=_oauth(
            "OAUTH_GITHUB",
            endpoints={
                "authorize": "https://github.com/login/oauth/authorize",
                "token": "https://github.com/login/oauth/access_token",
                "api": "https://api.github.com",
            },
        ),
        discord=_oauth(
            "OAUTH_DISCORD",
            endpoints={
                "authorize": "https://discord.com/oauth2/authorize",
                "token": "https://discord.com/api/oauth2/token",
                "api": "https://discord.com/api",
            },
        ),
        razorpay_key_id=_env("RAZORPAY_KEY_ID"),
        razorpay_key_secret=_env("RAZORPAY_KEY_SECRET"),
        razorpay_webhook_secret=_env("RAZORPAY_WEBHOOK_SECRET"),
        razorpay_base_url=_env("RAZORPAY_BASE_URL"),
        firebase_credentials=_env("FIREBASE_CREDENTIALS"),
        fcm_endpoint=_env("FCM_ENDPOINT"),
        worker_in_process=_bool("XPCORE_WORKER_IN_PROCESS", False),
        queue_name=_env("XPCORE_QUEUE", "xpcore") or "xpcore",
        trusted_proxies=_networks("TRUSTED_PROXIES"),
        push_lease_s=_int("PUSH_LEASE_S", 120, minimum=1),
        analytics_refresh_cron=_cron("ANALYTICS_REFRESH_CRON", "*/5 * * * *"),
        cron_every_s=_int("XPCORE_CRON_EVERY_S", 0, minimum=0, maximum=3600),
        live_max_streams=_int("LIVE_MAX_STREAMS", 10_000, minimum=1),
        fast_lane=_bool("FAST_LANE", True),
    )
    if settings.is_production:
        _check_production(settings)
    return settings


def _check_production(settings: Settings) -> None:
    """Production refuses dev-only conveniences."""
    if not settings.database.url:
        raise SettingsError("DATABASE_URL", "required in production (the embedded server is for dev and tests)")
    if not settings.redis.url:
        raise SettingsError("REDIS_URL", "required in production (the embedded server is for dev and tests)")
    if not settings.jwt.private_key:
        raise SettingsError("JWT_PRIVATE_KEY", "required in production (dev keys are generated under .xpcore/)")
    if not settings.secret_key:
        raise SettingsError("XPCORE_SECRET_KEY", "required in production (used to HMAC OTP codes and API keys)")
    if settings.email.backend == "console":
        raise SettingsError("EMAIL_BACKEND", "'console' is dev-only; use 'ses' in production")
    if not settings.cookies.secure:
        raise SettingsError("COOKIE_SECURE", "must be true in production")
    if settings.cron_every_s:
        raise SettingsError("XPCORE_CRON_EVERY_S", "is for tests; production runs the cron schedule")


def load_env_file() -> str | None:
    """Fill os.environ from `.env` the way the Litestar CLI does (python-dotenv, variables already
    set win), but before the first `get_settings()`: the CLI validates settings before Litestar
    would load the file. Looks in the working directory and its parents; returns the file used.
    `PYTHON_DOTENV_DISABLED=1` turns it off."""
    try:
        import dotenv
    except ImportError:
        return None
    path = dotenv.find_dotenv(usecwd=True)
    if not path:
        return None
    dotenv.load_dotenv(path, override=False)
    return path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def settings_or_exit() -> Settings:
    """For the entry points (`xpcore`, `make dev`): `.env` read, settings validated, or one clear
    line on stderr and exit status 2 instead of a traceback."""
    import sys

    load_env_file()
    try:
        return get_settings()
    except SettingsError as exc:
        print(f"xpcore: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
