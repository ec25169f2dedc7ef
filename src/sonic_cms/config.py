"""One Settings object for the whole application.

Settings come, highest priority first, from explicit keyword arguments (the CLI's
``--database-url``), ``SONIC_*`` environment variables, an optional ``.env`` file, and an
optional ``sonic.toml`` whose top level is the default and whose ``[env.<name>]`` sections
override it, as ``wrangler.toml``'s ``[env.production]`` does for SonicJS. A toml value may
refer to an environment variable instead of holding a secret: ``secret_key = {env = "PROD_KEY"}``.
"""

from __future__ import annotations

import os
import secrets
import stat
import tempfile
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from sonic_cms.locale_tags import LocaleTagError, canonical_tag

PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "your-secret-key", "changethis", "dev", "development"}
)
DEFAULT_DATABASE_URL = "sqlite:///./data/sonic.db"
DEFAULT_MEDIA_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/svg+xml",
    "application/pdf",
    "text/plain",
    "video/mp4",
    "video/webm",
    "audio/mpeg",
    "audio/ogg",
    "audio/x-wav",
)
#: The development signing key's file inside ``data_dir`` (kept so restarts keep tokens).
DEVELOPMENT_KEY_FILE = ".secret_key"
#: Development keys already read, by file: a process reads its file once.
_DEVELOPMENT_KEYS: dict[Path, str] = {}


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which setting and why."""


class TomlEnvSource(PydanticBaseSettingsSource):
    """Reads ``sonic.toml``: the top level, then the ``[env.<name>]`` section on top of it."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path, env_name: str | None) -> None:
        super().__init__(settings_cls)
        self._values = _read_toml_env(path, env_name)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


def _read_toml_env(path: Path, env_name: str | None) -> dict[str, Any]:
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        document = tomllib.load(fh)
    sections = document.pop("env", {})
    values = dict(document)
    if env_name:
        if sections and env_name not in sections and env_name != "development":
            known = ", ".join(sorted(sections)) or "none"
            raise ConfigError(f"environment {env_name!r} is not in {path} (known: {known})")
        values.update(sections.get(env_name, {}))
        values.setdefault("env", env_name)
    return {key: _resolve_reference(key, value) for key, value in values.items()}


def _resolve_reference(key: str, value: Any) -> Any:
    """``{env = "VAR"}`` reads VAR, so secrets never need to live in the toml file."""
    if isinstance(value, dict) and set(value) == {"env"}:
        name = value["env"]
        if name not in os.environ:
            raise ConfigError(f"setting {key!r} refers to environment variable {name}, not set")
        return os.environ[name]
    return value


def toml_environments(path: Path) -> dict[str, dict[str, Any]]:
    """Every environment ``sonic.toml`` defines (``default`` for the top level), unresolved."""
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        document = tomllib.load(fh)
    sections = document.pop("env", {})
    result = {"default": document}
    for name, section in sections.items():
        result[name] = {**document, **section}
    return result


class Settings(BaseSettings):
    """Every knob of sonic-cms. Each field is documented in the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="SONIC_", env_file=".env", extra="ignore", validate_default=True
    )

    env: str = Field("development", description="Environment name; `development` relaxes checks")
    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the database")
    secret_key: str = Field("", description="Key for signing tokens; required outside development")
    auto_migrate: bool = Field(True, description="Apply pending migrations when the server starts")
    host: str = Field("127.0.0.1", description="Address `sonic serve` binds")
    port: int = Field(8000, ge=1, le=65535, description="Port `sonic serve` binds")
    workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes for `sonic serve`")
    worker_healthcheck_seconds: int = Field(
        30,
        ge=1,
        description="How long uvicorn waits for a worker's health ping before restarting it",
    )
    shutdown_timeout_seconds: int = Field(
        30,
        ge=1,
        description="On SIGTERM, how long in-flight requests may run before they are cancelled",
    )
    health_probe_timeout_ms: int = Field(
        2000, ge=10, description="Longest one check of `/health/ready` may take before it fails"
    )
    # Logs on stdout (issue 19, docs/operations.md "Logs on stdout").
    log_format: Literal["auto", "json", "text"] = Field(
        "auto", description="`sonic serve`'s stdout: JSON lines or text; auto: text in development"
    )
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        "info", description="Lowest level `sonic serve` prints on stdout"
    )
    sqlite_synchronous: Literal["FULL", "NORMAL", "EXTRA"] = Field(
        "FULL", description="SQLite `PRAGMA synchronous`; FULL survives a power cut"
    )
    sqlite_busy_timeout_ms: int = Field(
        30000, ge=0, description="How long a SQLite writer waits for the lock, in ms"
    )
    sqlite_cache_size_mb: int = Field(
        64, ge=1, description="SQLite page cache per connection, in MiB (`PRAGMA cache_size`)"
    )
    sqlite_mmap_size_mb: int = Field(
        256, ge=0, description="SQLite memory-mapped I/O per connection, in MiB; 0 turns it off"
    )
    db_pool_size: int = Field(10, ge=1, description="PostgreSQL connection pool size per process")
    db_ping_after_idle_seconds: float = Field(
        1.0,
        ge=0,
        description="PostgreSQL: a pooled connection idle this long is pinged before reuse "
        "(one that the server closed is always replaced); 0 pings every checkout",
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest JSON request body accepted (413 beyond)"
    )
    d1_batch_max_statements: int = Field(
        10_000, ge=1, description="Most statements one `db.batch()` call may run"
    )
    execute_max_rows: int = Field(10_000, ge=1, description="Most rows `sonic db execute` prints")
    access_token_ttl_seconds: int = Field(
        900, ge=30, le=86400, description="Lifetime of a signed access token (JWT), in seconds"
    )
    collections_dir: Path = Field(
        Path("./collections"), description="Folder of config-managed collection files (YAML/JSON)"
    )
    collections_sync_on_start: bool = Field(
        True, description="Sync the collections folder into the database when the server starts"
    )
    content_default_limit: int = Field(
        50, ge=1, le=1000, description="Page size of content lists when `limit` is not given"
    )
    content_max_limit: int = Field(
        1000, ge=1, le=10000, description="Largest `limit` a content list accepts (400 beyond)"
    )
    content_count_limit: int = Field(
        1000,
        ge=1,
        description="Page-numbered lists count matches up to this many (`totalCapped` beyond)",
    )
    content_import_batch_size: int = Field(
        1000, ge=1, le=100_000, description="Items per transaction of `sonic content import`"
    )
    filter_max_depth: int = Field(
        5, ge=1, le=20, description="Deepest nesting of and/or groups in a `where` filter"
    )
    filter_max_conditions: int = Field(
        50, ge=1, le=1000, description="Most conditions one content query may combine"
    )
    search_max_length: int = Field(
        200, ge=1, le=2000, description="Longest full-text `search` query accepted, in characters"
    )
    search_rank_window: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="Relevance-ranked searches rank the newest this many visible matches",
    )
    scheduler_interval_seconds: float = Field(
        30.0, ge=0, description="Seconds between scheduler passes in `sonic serve` (0: off)"
    )
    refresh_token_ttl_seconds: int = Field(
        2_592_000, ge=60, description="Lifetime of a sign-in session and its refresh token"
    )
    registration_enabled: bool = Field(
        False,
        description="Whether `POST /auth/register` creates viewer accounts, until an admin "
        "saves the Registration setting (`/admin/settings`), which then wins",
    )
    site_settings_cache_ttl_seconds: int = Field(
        5,
        ge=0,
        description="How long a process caches the site settings (maintenance mode, "
        "registration); changes on this host apply at once, other hosts see them within this time",
    )
    maintenance_retry_after_seconds: int = Field(
        300, ge=1, le=86_400, description="`Retry-After` of the 503 answered in maintenance mode"
    )
    auth_cookie_secure: bool = Field(
        True, description="Mark the auth cookies Secure (sent over HTTPS only)"
    )
    csrf_trusted_origins: str = Field(
        "",
        description="Comma-separated extra origins (`https://admin.example.com`) allowed to make "
        "cookie-authenticated writes, besides `SONIC_PUBLIC_URL`'s",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated proxy addresses whose X-Forwarded-For and X-Request-ID "
        "are believed",
    )
    cors_origins: str = Field(
        "*",
        description="CORS of `/api`, `/api/*` and `/files/*`, comma-separated: `*` answers any "
        "origin without credentials (SonicJS's default); each listed origin "
        "(`https://app.example.com`) is answered with credentials, on `/auth/*` too; empty "
        "turns CORS off",
    )
    cors_max_age_seconds: int = Field(
        600, ge=0, le=86_400, description="How long a browser may reuse a CORS preflight answer"
    )
    login_max_failures_per_account: int = Field(
        5, ge=1, description="Failed logins per account within the window before 429"
    )
    login_max_failures_per_ip: int = Field(
        30, ge=1, description="Failed logins per client IP within the window before 429"
    )
    login_throttle_window_seconds: int = Field(
        900, ge=1, description="Window (and lockout length) of login throttling, in seconds"
    )
    password_reset_ttl_seconds: int = Field(
        3600, ge=60, description="How long a password reset token stays valid"
    )
    password_reset_requests_per_hour: int = Field(
        5, ge=1, description="Reset requests per email address per hour (ten times that per IP)"
    )
    invitation_ttl_seconds: int = Field(
        604_800, ge=60, description="How long an invitation token stays valid"
    )
    email_verification_ttl_seconds: int = Field(
        172_800, ge=60, description="How long an email verification link stays valid"
    )
    api_token_touch_interval_seconds: int = Field(
        60, ge=0, description="Least time between two writes of an API token's last_used_at"
    )
    permission_cache_ttl_seconds: int = Field(
        5, ge=0, description="How long a process caches role permissions (local changes: at once)"
    )
    totp_issuer: str = Field("sonic-cms", description="Issuer name in TOTP provisioning URIs")
    public_url: str = Field(
        "",
        description="Public base URL of the site (`https://cms.example.com`, a path allowed): "
        "links in mail start with it, and cookie-authenticated writes must come from its origin",
    )
    mail_sender: Literal["console", "smtp"] = Field(
        "console", description="Where outgoing mail goes: `console` (stdout) or `smtp`"
    )
    mail_from: str = Field("sonic-cms <noreply@localhost>", description="From address of mail")
    smtp_host: str = Field("localhost", description="SMTP server host")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP server port")
    smtp_username: str = Field("", description="SMTP user name (empty: no login)")
    smtp_password: str = Field("", description="SMTP password")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS")
    smtp_timeout_seconds: int = Field(10, ge=1, description="SMTP connect and send timeout")
    admin_email: str = Field("", description="First admin's email for `make run`")
    admin_password: str = Field("", description="First admin's password for `make run`")
    data_dir: Path = Field(
        Path("./data"), description="Folder for local state (development: the kept .secret_key)"
    )
    config_file: Path = Field(
        Path("sonic.toml"), description="Path of the optional toml file with environments"
    )
    media_storage: Literal["local", "s3"] = Field(
        "local", description="Where media objects live: a local folder or an S3-compatible bucket"
    )
    media_local_dir: Path = Field(
        Path("./data/media"), description="Folder of the local media backend"
    )
    media_public_base_url: str = Field(
        "/files", description="Prefix of media public URLs (a CDN origin, or the app's /files)"
    )
    media_s3_endpoint_url: str = Field("", description="S3 endpoint URL; empty for AWS itself")
    media_s3_bucket: str = Field("sonic-media", description="S3 bucket holding media objects")
    media_s3_region: str = Field("us-east-1", description="S3 region")
    media_s3_path_style: bool = Field(
        False, description="Address the bucket in the path (MinIO, moto) instead of the host"
    )
    media_s3_access_key_id: str = Field(
        "", description="S3 access key id; empty uses boto3's credential chain"
    )
    media_s3_secret_access_key: str = Field(
        "", description="S3 secret access key; empty uses boto3's credential chain"
    )
    media_max_bytes: int = Field(
        52_428_800, ge=1, description="Largest media file accepted, in bytes (413 beyond)"
    )
    media_multipart_overhead_bytes: int = Field(
        65_536, ge=1024, description="Bytes a multipart upload body may carry beyond its files"
    )
    media_max_files_per_request: int = Field(
        20, ge=1, le=1000, description="Most files one upload-multiple request may carry"
    )
    media_allowed_types: list[str] = Field(
        default_factory=lambda: list(DEFAULT_MEDIA_TYPES),
        description="MIME types accepted after sniffing the bytes (415 otherwise)",
    )
    media_max_filename_bytes: int = Field(
        200, ge=16, le=240, description="Longest stored file name, in UTF-8 bytes (cut beyond)"
    )
    media_max_image_pixels: int = Field(
        50_000_000, ge=1, description="Most pixels an image may decode to (decompression bombs)"
    )
    media_thumbnail_size: int = Field(
        320, ge=16, le=2048, description="Longest side of generated thumbnails, in pixels"
    )
    media_variant_max_dimension: int = Field(
        2048, ge=16, le=8192, description="Largest `?w=`/`?h=` a resized variant may ask for"
    )
    media_cache_max_age_seconds: int = Field(
        86_400, ge=0, description="Cache-Control max-age of files served at /files"
    )
    media_presign_ttl_seconds: int = Field(
        3600, ge=1, le=604_800, description="Lifetime of presigned media URLs, in seconds"
    )
    media_max_tags: int = Field(50, ge=0, le=1000, description="Most tags one media item may carry")
    media_max_text_chars: int = Field(
        2000, ge=1, description="Longest alt text or caption, in characters"
    )
    media_page_size_max: int = Field(
        100, ge=1, le=1000, description="Largest `limit` the media list accepts"
    )
    media_bulk_max_ids: int = Field(
        50, ge=1, le=1000, description="Most ids one bulk-delete or bulk-move request may name"
    )
    media_import_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Total deadline of one URL import (DNS, connect, every redirect hop, "
        "headers and body together), in seconds",
    )
    media_import_max_concurrent: int = Field(
        20, ge=1, le=10_000, description="Most URL imports in flight at once, per server process"
    )
    media_import_max_concurrent_per_user: int = Field(
        3,
        ge=1,
        le=10_000,
        description="Most URL imports one user (all their sessions and tokens) may have in "
        "flight at once, per server process",
    )
    media_import_max_redirects: int = Field(
        3, ge=0, le=10, description="Most redirects a URL import follows (each one re-checked)"
    )
    media_import_allow_loopback: bool = Field(
        False, description="Test/development knob: let URL imports fetch from 127.0.0.0/8 and ::1"
    )
    backup_dir: Path = Field(
        Path("./backups"), description="Folder of `sonic db backup` files and time-travel snapshots"
    )
    backup_s3_bucket: str = Field(
        "",
        description="With S3 media: the bucket backups go to (empty: the media bucket's backups/)",
    )
    backup_retention_days: int = Field(
        30, ge=1, description="Days `sonic db backup` keeps older backups before deleting them"
    )
    time_travel_interval_seconds: int = Field(
        3600, ge=0, description="Seconds between the server's automatic snapshots; 0 disables"
    )
    time_travel_retention_days: int = Field(
        30, ge=1, description="Days time-travel snapshots and the change log are kept"
    )
    telemetry_enabled: bool = Field(
        False,
        description="FastAPI's native OpenTelemetry instrumentation (tracing, metrics, logs) "
        "when an OpenTelemetry provider is configured",
    )
    # Metrics (issue 19): GET /metrics for Prometheus, docs/metrics.md.
    metrics_enabled: bool = Field(
        False, description="Serve GET /metrics (Prometheus text format); needs metrics_token"
    )
    metrics_token: SecretStr = Field(
        SecretStr(""),
        description="Bearer token a scraper sends to GET /metrics (at least 16 characters)",
    )
    # Cache (issue 7): memory LRU -> Redis -> database.
    redis_url: str = Field(
        "", description="Redis URL for the shared cache tier; empty: memory only"
    )
    cache_redis_prefix: str = Field(
        "sonic:", description="Prefix of every Redis key (several sites may share one Redis)"
    )
    cache_enabled: bool = Field(True, description="Serve cached reads; false: always the database")
    cache_memory_max_entries: int = Field(
        10_000, ge=1, description="Most entries the per-process memory cache holds"
    )
    cache_memory_max_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="Byte budget of the per-process memory cache"
    )
    cache_ttl_content: int = Field(3600, ge=1, description="TTL of `content` cache entries, s")
    cache_ttl_user: int = Field(900, ge=1, description="TTL of `user` cache entries, s")
    cache_ttl_config: int = Field(7200, ge=1, description="TTL of `config` cache entries, s")
    cache_ttl_media: int = Field(3600, ge=1, description="TTL of `media` cache entries, s")
    cache_ttl_api: int = Field(300, ge=1, description="TTL of `api` cache entries, s")
    cache_ttl_session: int = Field(1800, ge=1, description="TTL of `session` cache entries, s")
    cache_ttl_plugin: int = Field(3600, ge=1, description="TTL of `plugin` cache entries, s")
    cache_ttl_collection: int = Field(
        7200, ge=1, description="TTL of `collection` cache entries, s"
    )
    cache_generations_file: str = Field(
        "",
        description="File the processes of one host share cache generations through; "
        "empty: next to the SQLite file, or in the temporary directory for PostgreSQL",
    )
    cache_degraded_ttl_seconds: int = Field(
        5,
        ge=1,
        description="Memory TTL while Redis is unreachable (bounds cross-process staleness)",
    )
    cache_redis_timeout_ms: int = Field(
        250, ge=10, description="Socket timeout of one Redis call before the tier counts as down"
    )
    cache_redis_retry_seconds: float = Field(
        2.0, gt=0, description="How long to wait before trying Redis again after a failure"
    )
    cache_stats_flush_seconds: float = Field(
        5.0,
        gt=0,
        description="How often a process adds its cache counters to the Redis sums (docs/cache.md)",
    )
    # System logs (issue 7).
    log_to_database: bool = Field(True, description="Write structured records to system_logs")
    log_queue_max: int = Field(
        10_000, ge=10, description="Records waiting for the writer before new ones are dropped"
    )
    log_batch_size: int = Field(200, ge=1, description="Most records written in one transaction")
    log_flush_interval_ms: int = Field(
        500, ge=10, description="Longest a record waits in the queue before it is written"
    )
    log_routine_requests_per_second: float = Field(
        10.0,
        ge=0,
        description=(
            "Most routine requests (safe method, status < 400, not slow) one process logs per"
            " second; errors, writes and slow requests are always logged (docs/logging.md)"
        ),
    )
    log_slow_request_ms: int = Field(
        1000, ge=1, description="A request at least this slow is always logged"
    )
    log_prune_interval_seconds: int = Field(
        3600, ge=0, description="How often the server prunes system_logs; 0 disables the task"
    )
    log_query_max_limit: int = Field(
        1000, ge=1, description="Largest page size of the log query API"
    )
    log_export_max_rows: int = Field(100_000, ge=1, description="Most rows one log export returns")
    # Webhooks (issue 18, docs/webhooks.md): endpoints, the outbox and its delivery worker.
    webhooks_enabled: bool = Field(
        True, description="Run the webhook delivery worker in `sonic serve`"
    )
    webhooks_poll_seconds: float = Field(
        1.0, gt=0, le=3600, description="How often the delivery worker looks for due deliveries"
    )
    webhooks_timeout_seconds: float = Field(
        10.0, gt=0, le=120, description="Deadline of one delivery attempt (connect to last byte)"
    )
    webhooks_max_attempts: int = Field(
        8, ge=1, le=50, description="Attempts per delivery before it is given up as failed"
    )
    webhooks_retry_base_seconds: float = Field(
        5.0,
        gt=0,
        le=86_400,
        description="First retry delay; each next one doubles, with full jitter",
    )
    webhooks_retry_max_seconds: float = Field(
        3600.0, gt=0, le=604_800, description="Longest delay between two attempts"
    )
    webhooks_disable_after_failures: int = Field(
        10,
        ge=1,
        le=10_000,
        description="Consecutive failed attempts after which an endpoint is disabled",
    )
    webhooks_claim_seconds: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="How long a worker's claim on a delivery holds before another may take it",
    )
    webhooks_max_url_chars: int = Field(
        2048, ge=32, le=65_536, description="Longest webhook endpoint URL, in characters"
    )
    webhooks_max_redirects: int = Field(
        0,
        ge=0,
        le=10,
        description="Redirects a delivery follows (each target re-checked); 0: none, a "
        "redirect is a failed attempt",
    )
    webhooks_max_endpoints: int = Field(
        100, ge=1, le=10_000, description="Most webhook endpoints a site may register"
    )
    webhooks_response_body_chars: int = Field(
        1000, ge=0, le=100_000, description="How much of a receiver's answer an attempt keeps"
    )
    webhooks_retention_days: int = Field(
        30,
        ge=1,
        le=3650,
        description="Days delivered and failed webhook events (with their attempts) are kept",
    )
    webhooks_allow_loopback: bool = Field(
        False,
        description="Development/test knob: let webhooks target 127.0.0.0/8 and ::1",
    )
    # Comments (issue 18, docs/comments.md).
    comments_trusted_roles: str = Field(
        "admin,editor",
        description="Roles whose new comments are approved at once (comma-separated); "
        "everyone else's wait as pending for a moderator",
    )
    comments_edit_window_seconds: int = Field(
        900, ge=0, description="How long after writing it an author may edit or delete a comment"
    )
    comments_max_body_chars: int = Field(
        5000, ge=1, le=100_000, description="Longest comment body, in characters (422 beyond)"
    )
    comments_per_user_per_window: int = Field(
        10, ge=1, description="Most comments one user may post per rate window (429 beyond)"
    )
    comments_rate_window_seconds: int = Field(
        600, ge=1, description="The window of the per-user comment rate limit, in seconds"
    )
    comments_max_depth: int = Field(
        8, ge=1, le=50, description="Deepest reply nesting (a top-level comment is depth 1)"
    )
    comments_bulk_max: int = Field(
        200, ge=1, le=10_000, description="Most comment ids one moderation request may name"
    )
    # Plugins (issue 7).
    plugins_autoload: bool = Field(
        True, description="Discover plugins from the `sonic_cms.plugins` entry-point group"
    )
    plugin_status_ttl_ms: int = Field(
        1000, ge=0, description="How long a process trusts its view of which plugins are active"
    )
    # Localised content (issue 18, docs/localisation.md).
    default_locale: str = Field(
        "en",
        description="BCP 47 tag of the default locale: the language of every item without a "
        "`locale` (reads without `?locale=` answer in it)",
    )
    locales: str = Field(
        "",
        description="Enabled locales, comma-separated BCP 47 tags (`en,fr,fr-CA`); empty: the "
        "default locale alone (which is always enabled)",
    )
    locale_fallbacks: str = Field(
        "",
        description="Extra fallback steps, comma-separated `from:to` pairs (`pt-BR:pt-PT`), "
        "tried after a tag's own prefixes (`fr-CA` -> `fr`) and before the default locale",
    )

    @field_validator("database_url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql")):
            raise ValueError("database_url must be sqlite:///PATH or postgresql+psycopg://...")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("public_url", "csrf_trusted_origins")
    @classmethod
    def _http_origins(cls, value: str, info: ValidationInfo) -> str:
        for url in _split_list(value):
            if origin_of(url) is None:
                raise ValueError(f"{info.field_name}: {url!r} is not an http(s)://host[:port] URL")
        return value.strip()

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        value = value.strip()
        if value and not _url_with_host(value, ("redis", "rediss"), allow=("unix",)):
            raise ValueError(
                f"{value!r} is not a Redis URL; use redis://HOST:PORT/DB, "
                "rediss://... or unix:///path.sock (empty: no Redis)"
            )
        return value

    @field_validator("media_s3_endpoint_url")
    @classmethod
    def _s3_endpoint(cls, value: str) -> str:
        value = value.strip()
        if value and not _url_with_host(value, ("http", "https")):
            raise ValueError(f"{value!r} is not an http(s)://HOST[:PORT] URL (empty: AWS itself)")
        return value

    @field_validator("default_locale")
    @classmethod
    def _default_locale(cls, value: str) -> str:
        return _locale_setting("default_locale", value.strip())

    @field_validator("locales")
    @classmethod
    def _locales(cls, value: str) -> str:
        return ",".join(_locale_setting("locales", tag) for tag in _split_list(value))

    @field_validator("locale_fallbacks")
    @classmethod
    def _locale_fallbacks(cls, value: str) -> str:
        pairs = []
        for pair in _split_list(value):
            source, _, target = pair.partition(":")
            if not target:
                raise ValueError(f"locale_fallbacks: {pair!r} is not a from:to pair (pt-BR:pt-PT)")
            pairs.append(
                f"{_locale_setting('locale_fallbacks', source.strip())}:"
                f"{_locale_setting('locale_fallbacks', target.strip())}"
            )
        return ",".join(pairs)

    @field_validator("cors_origins")
    @classmethod
    def _cors_origins(cls, value: str) -> str:
        for entry in _split_list(value):
            if entry != "*" and origin_of(entry) is None:
                raise ValueError(f"cors_origins: {entry!r} is neither * nor an http(s) origin")
        return value.strip()

    @model_validator(mode="after")
    def _secret_outside_development(self) -> Settings:
        if self.env != "development" and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                f"SONIC_SECRET_KEY is empty or a placeholder; set a random key "
                f"(at least 32 characters) to run with SONIC_ENV={self.env}"
            )
        if self.env != "development" and len(self.secret_key) < 32:
            raise ValueError("SONIC_SECRET_KEY must be at least 32 characters outside development")
        return self

    @model_validator(mode="after")
    def _metrics_token_when_enabled(self) -> Settings:
        # No open mode, not even on loopback: behind a reverse proxy on the same host every
        # scrape would come from 127.0.0.1 (docs/metrics.md).
        if self.metrics_enabled and len(self.metrics_token.get_secret_value()) < 16:
            raise ValueError(
                "SONIC_METRICS_ENABLED needs SONIC_METRICS_TOKEN of at least 16 characters "
                "(the bearer token Prometheus sends)"
            )
        return self

    @property
    def effective_secret_key(self) -> str:
        """The signing key: ``secret_key``, or in development without one the key kept in
        ``data_dir/.secret_key`` (made on first use), so the CLI and the server sign alike and
        a restart keeps every token and session.

        Raises:
            ConfigError: outside development without a key (Settings refuses that earlier), or
                the key file cannot be read or written.
        """
        if self.secret_key:
            return self.secret_key
        if self.env != "development":
            raise ConfigError(f"SONIC_SECRET_KEY is required with SONIC_ENV={self.env}")
        return development_key(self.data_dir)

    @property
    def enabled_locales(self) -> tuple[str, ...]:
        """The enabled locales in canonical spelling, the default locale first."""
        tags = [self.default_locale, *_split_list(self.locales)]
        return tuple(dict.fromkeys(tags))

    @property
    def fallback_steps(self) -> dict[str, str]:
        """``locale_fallbacks`` as a map from a locale to the one tried after it."""
        return dict(pair.split(":", 1) for pair in _split_list(self.locale_fallbacks))

    @property
    def site_url(self) -> str:
        """The base of the links we send: ``public_url``, else this server's loopback address."""
        return self.public_url.rstrip("/") or f"http://127.0.0.1:{self.port}"

    @property
    def trusted_origins(self) -> frozenset[str]:
        """The origins a cookie-authenticated write may come from (never the request's Host).

        ``public_url``'s origin and ``csrf_trusted_origins``. In development without a
        ``public_url``, the server's own addresses (``http://127.0.0.1:<port>``,
        ``http://localhost:<port>``, ``http://[::1]:<port>`` and the bind address), so
        ``make run`` and a local admin UI work without configuration.
        """
        origins = {origin_of(url) for url in _split_list(self.csrf_trusted_origins)}
        if self.public_url:
            origins.add(origin_of(self.public_url))
        elif self.env == "development":
            hosts = {"127.0.0.1", "localhost", "[::1]"}
            if self.host not in WILDCARD_HOSTS:
                hosts.add(f"[{self.host}]" if ":" in self.host else self.host)
            origins.update(origin_of(f"http://{host}:{self.port}") for host in hosts)
        return frozenset(origin for origin in origins if origin is not None)

    @property
    def cors_credentialed_origins(self) -> frozenset[str]:
        """The origins ``cors_origins`` lists by name: answered with credentials."""
        named = (origin_of(entry) for entry in _split_list(self.cors_origins) if entry != "*")
        return frozenset(origin for origin in named if origin is not None)

    @property
    def cors_any_origin(self) -> bool:
        """Whether ``cors_origins`` holds ``*``: any origin, never with credentials."""
        return "*" in _split_list(self.cors_origins)

    @property
    def stdout_log_format(self) -> Literal["json", "text"]:
        """``log_format`` decided: ``auto`` is text for a person at a terminal (development
        and the test suite) and JSON lines for a log collector everywhere else."""
        if self.log_format != "auto":
            return self.log_format
        return "text" if self.env in ("development", "test") else "json"

    @property
    def trusted_proxy_addresses(self) -> frozenset[str]:
        """``trusted_proxies`` as a set of addresses."""
        return frozenset(_split_list(self.trusted_proxies))

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured engine is SQLite."""
        return self.database_url.startswith("sqlite")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        init_values = init_settings()
        path = Path(
            init_values.get("config_file") or os.environ.get("SONIC_CONFIG_FILE") or "sonic.toml"
        )
        env_name = init_values.get("env") or os.environ.get("SONIC_ENV")
        toml_source = TomlEnvSource(settings_cls, path, env_name)
        return init_settings, env_settings, dotenv_settings, toml_source


#: Bind addresses that mean "every interface": not an origin a browser can name.
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 (names them, binds nothing)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, as browsers send it in ``Origin``.

    Lower-case, the default port dropped, any path ignored; None for anything else (other
    schemes, no host, a bad port, userinfo).
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _url_with_host(url: str, schemes: tuple[str, ...], allow: tuple[str, ...] = ()) -> bool:
    """Whether ``url`` has one of ``schemes`` and a host (or one of the host-less ``allow``)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    if parts.scheme in allow:
        return True
    return parts.scheme in schemes and bool(parts.hostname)


def _locale_setting(name: str, tag: str) -> str:
    """``tag`` in canonical spelling, or the error pydantic reports for setting ``name``."""
    try:
        return canonical_tag(tag)
    except LocaleTagError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _split_list(value: str) -> list[str]:
    """The non-empty items of a comma-separated setting."""
    return [item.strip() for item in value.split(",") if item.strip()]


def development_key(data_dir: Path) -> str:
    """The development key kept in ``data_dir``, created once (mode 600) if it is missing.

    The file is written under a temporary name and linked into place, so two processes
    starting together (a CLI command and the server's workers) end up with one key: the
    loser of the race reads the winner's file.
    """
    # The folder is resolved, the file itself never: a symlink planted there is refused.
    path = data_dir.resolve() / DEVELOPMENT_KEY_FILE
    if path in _DEVELOPMENT_KEYS:
        return _DEVELOPMENT_KEYS[path]
    try:
        key = _read_key(path) if os.path.lexists(path) else _create_key(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot keep the development secret key in {path}: {exc.strerror or exc}; "
            "make the folder writable (SONIC_DATA_DIR) or set SONIC_SECRET_KEY"
        ) from exc
    _DEVELOPMENT_KEYS[path] = key
    return key


def _read_key(path: Path) -> str:
    """The key in ``path``, only from a regular file (not a symlink) of this user that no one
    else may read or write: a key others can see or plant signs nothing."""
    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(handle, encoding="utf-8") as key_file:
        info = os.fstat(key_file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
            raise ConfigError(
                f"the development secret key {path} must be a file of this user with mode 600 "
                f"(it is {stat.filemode(info.st_mode)}, uid {info.st_uid}); fix it or delete it "
                "to make a new one"
            )
        key = key_file.read().strip()
    if len(key) < 32:
        raise ConfigError(
            f"the development secret key in {path} is shorter than 32 characters; "
            "delete the file to make a new one (tokens signed with it stop working)"
        )
    return key


def _create_key(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)  # mkstemp's mode already, said out loud
            out.write(f"{key}\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)  # atomic and refuses to replace: one key per folder
        except FileExistsError:
            return _read_key(path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return key


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, dropping overrides left as None (CLI options the user did not give)."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValueError as exc:
        message = _one_line(exc) if isinstance(exc, ValidationError) else str(exc)
        unknown = _unknown_environment(given.get("env"), given.get("config_file"))
        raise ConfigError(unknown or message) from exc


def _unknown_environment(name: str | None, config_file: Path | None) -> str | None:
    """Why ``--env NAME`` failed when no ``sonic.toml`` section defines it, else None.

    Without this, a mistyped or undefined name surfaces as whatever setting it lacks (often the
    secret key), which hides the real mistake.
    """
    if not name or name == "development":
        return None
    path = Path(config_file or os.environ.get("SONIC_CONFIG_FILE") or "sonic.toml")
    try:
        defined = set(toml_environments(path)) - {"default"}
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if name in defined:
        return None
    known = ", ".join(["development", *sorted(defined)])
    return (
        f"unknown environment {name!r}: {path} defines no [env.{name}] section (known: {known}); "
        "add one, or configure that environment with SONIC_* variables (SONIC_SECRET_KEY first)"
    )


def _one_line(exc: ValidationError) -> str:
    """pydantic's report as one line: ``SONIC_NAME: reason; ...`` (the CLI prints one line)."""
    problems = []
    for error in exc.errors(include_url=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["loc"]:
            name = str(error["loc"][0])
            message = f"SONIC_{name.upper()}: {message.removeprefix(f'{name}: ')}"
        problems.append(message)
    return "; ".join(problems)
