"""OpenAPI models of the health, stats, plugin, log and cache routes' answers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, RootModel

from sonic_cms.api.models.common import CountMeta, PagedMeta


class DatabaseState(BaseModel):
    """Which engine, and whether it answered."""

    engine: str = Field(description="sqlite or postgresql")
    reachable: bool
    error: str | None = Field(None, description="The exception's type when unreachable")


class MigrationState(BaseModel):
    """The applied revision, the newest shipped one, and those not yet applied."""

    current: str | None
    head: str | None
    pending: list[str]


class Health(BaseModel):
    """SonicJS's ``/health`` keys (``name``, ``version``, ``status``, ``timestamp``) and ours.

    200 with ``status: running`` and ``ready: true``; 503 with ``ready: false`` and ``status``
    ``degraded`` (migrations pending) or ``error`` (the database does not answer)."""

    name: str
    version: str
    status: Literal["running", "degraded", "error"]
    timestamp: str = Field(description="ISO 8601, UTC, milliseconds (JavaScript's toISOString)")
    ready: bool = Field(description="The verdict: serving with the database at head")
    database: DatabaseState
    migrations: MigrationState | None = Field(None, description="Null when unreachable")


class OpenAPIDocument(BaseModel):
    """``GET /api``: this OpenAPI document itself (the same JSON as ``/openapi.json``)."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


class Check(BaseModel):
    """One dependency's state and how long asking it took (milliseconds)."""

    status: Literal["healthy", "unhealthy", "not_configured"]
    latency: int


class SystemChecks(BaseModel):
    """The database, the cache tiers (Redis when configured) and media storage."""

    database: Check
    cache: Check
    storage: Check


class Configuration(BaseModel):
    """Where the server keeps its state: only for callers holding ``settings.read``."""

    environment: str
    database: dict[str, str | None] = Field(description="engine, host, name")
    cache: dict[str, Any] = Field(description="enabled, redis_host")
    storage: dict[str, str] = Field(description="backend: local or s3")


class SystemHealth(BaseModel):
    """``GET /api/system/health``: 503 only when the database does not answer."""

    status: Literal["healthy", "degraded", "unhealthy"]
    timestamp: str
    uptime: int = Field(description="Milliseconds since this server process started")
    checks: SystemChecks
    environment: str | None = Field(None, description="Only for callers holding settings.read")
    configuration: Configuration | None = Field(None, description="As `environment`")


class SystemInfo(BaseModel):
    """``GET /api/system/info``."""

    name: str
    version: str
    description: str
    endpoints: dict[str, str]
    features: dict[str, bool]
    timestamp: str
    configuration: Configuration | None = Field(None, description="Only with settings.read")


class SystemStats(BaseModel):
    """``GET /api/system/stats``: content the caller may read; media and users ``null`` for
    callers without ``media.read`` / ``users.read``."""

    content: dict[str, int]
    media: dict[str, float | int | None] = Field(
        description="total_files, total_size_bytes, total_size_mb"
    )
    users: dict[str, int | None]
    timestamp: str


class Ping(BaseModel):
    """``GET /api/system/ping``: 503 with ``pong: false`` and the error keys when the database
    does not answer."""

    pong: bool
    latency: int
    timestamp: str
    error: str | None = Field(None, description="Only when pong is false")
    code: str | None = Field(None, description="database_unavailable, with error")
    details: list[Any] | None = Field(None, description="With error")


class CollectionCounts(BaseModel):
    """One collection's counts."""

    collection_id: str
    name: str | None
    total: int
    by_status: dict[str, int]


class Stats(BaseModel):
    """Counts of what the caller may read."""

    total: int
    by_status: dict[str, int]
    by_collection: list[CollectionCounts]
    collections: int


class StatsEnvelope(BaseModel):
    """``GET /admin/api/stats``."""

    data: Stats


class PluginSummary(BaseModel):
    """A known plugin (installed or not) or an invalid one with its problems."""

    name: str
    installed: bool
    status: str | None = Field(description="active, inactive, not_installed, invalid, error")
    problems: list[str]
    display_name: str | None = None
    version: str | None = None
    category: str | None = None
    description: str | None = None
    dependencies: list[str] | None = None
    is_core: bool | None = None
    error_message: str | None = None


class PluginList(BaseModel):
    """``GET /admin/api/plugins``."""

    data: list[PluginSummary]
    meta: CountMeta


class PluginRow(BaseModel):
    """An installed plugin's row."""

    id: str
    name: str
    display_name: str
    description: str | None
    version: str
    author: str
    category: str
    icon: str | None
    status: str | None
    is_core: bool | None
    settings: dict[str, Any] | None
    permissions: list[str] | None
    dependencies: list[str] | None
    download_count: int | None
    rating: float | None
    installed_at: int
    activated_at: int | None
    last_updated: int
    error_message: str | None
    created_at: int | None
    updated_at: int | None


class PluginEnvelope(BaseModel):
    """One installed plugin."""

    data: PluginRow


class PluginSettings(BaseModel):
    """A plugin's settings: their shape is the plugin's settings model."""

    data: dict[str, Any]


class LogRecord(BaseModel):
    """One system log record."""

    id: str
    level: str
    category: str
    message: str
    data: Any = Field(description="Structured context, or null")
    user_id: str | None
    session_id: str | None
    request_id: str | None
    ip_address: str | None
    user_agent: str | None
    method: str | None
    url: str | None
    status_code: int | None
    duration: int | None
    stack_trace: str | None
    tags: Any
    source: str | None
    created_at: int


class LogList(BaseModel):
    """A page of records, newest first."""

    data: list[LogRecord]
    meta: PagedMeta


class LogEnvelope(BaseModel):
    """One record."""

    data: LogRecord


class LogConfig(BaseModel):
    """One category's logging settings."""

    id: str
    category: str
    enabled: bool
    level: str
    retention_days: int
    max_size_mb: int
    created_at: int
    updated_at: int


class LogConfigList(BaseModel):
    """``GET /admin/api/logs/config``."""

    data: list[LogConfig]
    meta: CountMeta


class LogConfigEnvelope(BaseModel):
    """``PUT /admin/api/logs/config/{category}``."""

    data: LogConfig


class Cleanup(BaseModel):
    """Records deleted, per category, by age and by size."""

    deleted: int
    by_age: dict[str, int]
    by_size: dict[str, int]


class CleanupEnvelope(BaseModel):
    """``POST /admin/api/logs/cleanup``."""

    data: Cleanup


class TierCounters(BaseModel):
    """A tier's counters (memory also reports its size; Redis whether it is configured)."""

    hits: int | None = None
    misses: int | None = None
    sets: int | None = None
    evictions: int | None = None
    errors: int | None = None
    hit_rate: float | None = None
    entries: int | None = None
    bytes: int | None = None
    configured: bool | None = None
    connected: bool | None = None
    server_evicted_keys: int | None = Field(
        None, description="Redis's own count of keys it evicted (the whole server)"
    )
    server_expired_keys: int | None = Field(
        None, description="Redis's own count of keys that expired (the whole server)"
    )


class DatabaseTier(BaseModel):
    """Loads that fell through to the database."""

    loads: int


class NamespaceStats(BaseModel):
    """One namespace's counters per tier (``redis`` null without Redis)."""

    ttl_seconds: int
    memory: TierCounters
    redis: TierCounters | None
    database: DatabaseTier


class CacheStats(BaseModel):
    """Counters per tier (of one namespace when asked), summed over every process through
    Redis (``scope`` ``cluster``) or this process's (``scope`` ``process``)."""

    enabled: bool
    namespace: str | None
    ttl_seconds: int | None
    scope: Literal["cluster", "process"]
    processes: int = Field(description="Processes whose memory size is summed")
    memory: TierCounters
    redis: TierCounters
    database: DatabaseTier
    namespaces: dict[str, NamespaceStats] | None = Field(
        None, description="Every namespace's counters (when no namespace was asked for)"
    )


class CacheStatsEnvelope(BaseModel):
    """``GET /admin/cache/stats``."""

    data: CacheStats


class Cleared(BaseModel):
    """Entries dropped per tier and the namespaces whose generation moved."""

    memory: int
    redis: int
    namespaces: list[str]


class ClearedEnvelope(BaseModel):
    """``POST /admin/cache/clear`` and ``/invalidate``."""

    data: Cleared


class LogExport(RootModel[list[LogRecord]]):
    """``GET /admin/api/logs/export?format=json``: the records as a JSON array."""


EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": LogExport,
        "description": "A download: a JSON array (format=json) or CSV (format=csv)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}
