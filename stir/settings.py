"""Stir's configuration: the `[stir]` section of luigi.cfg, overridden by STIR_* environment variables.

The embedded default (chDB, pgserver, a local staging directory) needs no settings at all.
Production is selected by configuration only: `warehouse = clickhouse`, `store = s3`,
`postgres = dsn`. Secrets never live in a file: passwords and DSNs come from the
environment (CLICKHOUSE_PASSWORD, STIR_PG_DSN, the usual AWS_* variables).
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, fields
from pathlib import Path

import luigi.configuration

from stir.errors import ConfigError

# The checkout this package was imported from, when it is one (an editable install); an
# installed wheel lives in site-packages, where there is no project.
CHECKOUT = Path(__file__).resolve().parent.parent

CHOICES = {
    "warehouse": ("chdb", "clickhouse"),
    "store": ("local", "s3"),
    "postgres": ("embedded", "dsn"),
    "transfer": ("stream", "local", "ssh"),
    "export_compression": ("auto", "none", "gzip", "zstd"),
    "heavy_guard": ("wait", "skip"),
}


MINIMUMS = {"lock_timeout": 0, "workers": 1, "keep_exports": 1, "keep_logs_days": 0, "clickhouse_port": 1,
            "clickhouse_http_port": 1, "swap_lock_timeout_ms": 1, "swap_max_wait": 0, "min_row_fraction": 0,
            "merge_max_changed": 0, "retry_delay": 0, "tier_timeout": 0, "scrape_max_failure_rate": 0,
            "scrape_max_pending_age": 0, "crawler_api_timeout": 0.001, "crawler_api_retries": 0,
            "crawler_api_backoff": 0, "rescrape_max_requests": 0, "asset_max_age_days": 0, "asset_max_requests": 0,
            "keyword_report_days": 1, "ssh_port": 1, "copy_streams": 1, "copy_streams_min_rows": 0,
            "model_threads": 1}


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse: str = "chdb"
    chdb_path: Path | None = None
    clickhouse_host: str = "localhost"
    clickhouse_port: int = 9000
    clickhouse_http_port: int = 8123
    clickhouse_user: str = "default"
    clickhouse_secure: bool = False
    clickhouse_cluster: str = ""
    store: str = "local"
    # How an export reaches PostgreSQL: stream (COPY reads the store's object, no file) | local
    # (downloaded next to Stir, then COPY FROM STDIN) | ssh (downloaded onto the PostgreSQL host
    # over SSH, checked against the manifest, then COPY FROM the server-side file).
    transfer: str = "stream"
    # The export's compression: auto is zstd where its bytes cross a network (store = s3 or
    # transfer = ssh) and none otherwise (compressing costs more CPU than it saves on a local
    # disk); gzip for a PostgreSQL host that must unpack it itself and has no zstd (without
    # zstd there, transfer = ssh unpacks on this machine and sends plain text).
    export_compression: str = "auto"
    # A whole export is written in this many parts and loaded by as many
    # COPY sessions at once (COPY is bound by one backend's CPU). 2 by default: at 1M rows on
    # a 2-core machine shared with the warehouse, a median publish took 11.0 s against 12.7 s
    # with one stream (1: one file, one session). As many sessions then build its indexes.
    copy_streams: int = 2
    # ... for marts of at least this many rows; a smaller one loads in one stream, in the
    # mart's order (parallel sessions interleave the rows on the heap, which moves the
    # planner's column correlations from run to run, and gains nothing on a small table).
    copy_streams_min_rows: int = 100_000
    ssh_host: str = ""               # transfer = ssh: the PostgreSQL host
    ssh_port: int = 22
    ssh_user: str = ""               # default: the local user name
    ssh_key_file: Path | None = None  # default: the SSH agent and ~/.ssh's keys (passphrase: STIR_SSH_KEY_PASSPHRASE)
    ssh_known_hosts: Path | None = None  # the host's key must be in here (default ~/.ssh/known_hosts)
    ssh_stage_dir: str = "/var/tmp/stir-stage"  # on the PostgreSQL host; its PostgreSQL must be able to read it
    store_path: Path | None = None
    s3_bucket: str = ""
    s3_prefix: str = "stir"
    s3_endpoint_url: str = ""
    postgres: str = "embedded"
    pgdata: Path | None = None
    pg_keep_running: bool = False
    stage_dir: Path | None = None
    lock_timeout: int = 600
    workers: int = 1
    keep_exports: int = 5
    keep_logs_days: int = 30  # days a tier run's log file (<home>/logs) is kept (0: forever)
    swap_lock_timeout_ms: int = 30  # the longest a swap (and readers queued behind it) waits per try
    swap_max_wait: int = 60         # seconds a swap keeps retrying while readers hold the live table
    min_row_fraction: float = 0.5   # a publish with fewer rows than this fraction of the live table's fails
    # A merge-mode table whose new version differs from the live one in more than this fraction
    # of its rows is swapped in whole: upserting most of a table costs more than rebuilding it.
    merge_max_changed: float = 0.3
    tier_running_exit_code: int = 0  # exit status of a start that finds its tier already running
    retry_delay: int = 60            # seconds between a failed tier run and its retry (--retries)
    tier_timeout: int = 0            # seconds before a still-running tier alerts (0: the tier table's)
    heavy_guard: str = "wait"        # a lighter tier while daily/weekly runs: wait for it | skip this run
    scrape_max_failure_rate: float = 0.2  # `stir status --scrapes` alarms above this failure rate (last hour)
    scrape_max_pending_age: int = 3600    # ... or when a request has been PENDING longer (seconds)
    crawler_api_url: str = ""        # the crawler's HTTP API (token: STIR_CRAWLER_API_TOKEN); empty: no re-scrapes
    crawler_api_timeout: float = 10.0  # seconds per request
    crawler_api_retries: int = 3     # retries on 5xx, timeouts and connection errors (never on 4xx)
    crawler_api_backoff: float = 0.5  # seconds before the first retry, doubling
    rescrape_max_requests: int = 250  # re-scrape requests sent per run at most
    rescrape_priority: int = 1        # the priority re-scrape requests carry
    asset_max_age_days: int = 30      # an uploaded picture older than this is uploaded again
    asset_max_requests: int = 10000   # asset-upload requests queued per run at most
    keyword_lists: str = ""           # keyword list files (comma-separated, relative to the project), daily
    keyword_report_days: int = 7      # the daily keyword reports cover the days before T
    central_scheduler: bool = False
    # The first day the models compute (SQLMesh's model start): an --end before it is refused;
    # rows dated before it count all the same (the first interval reads them).
    model_start: str = "2024-01-01"
    auto_plan: bool = True
    plan_tests: bool = True  # auto_plan runs the SQLMesh model tests before it applies a change
    # Count the raw rows per day that incremental models no longer re-read, and restate them
    # when a count changes (stir/late_data.py); false: late rows wait for a --restate.
    watch_late_data: bool = True
    # Incremental-by-key staging models take ClickHouse lightweight updates (25.7 or later): a
    # run deletes the rows of the keys it replaces as a patch part instead of rewriting their
    # partitions (stir/sqlmesh_clickhouse.py); false for an older server.
    lightweight_updates: bool = True
    # SQLMesh evaluates up to this many models at once where one does not read another (its
    # warehouse connection's concurrent_tasks; on chDB each thread has its own connection
    # handle, and their queries run in parallel). A 15-minute tier's models are mostly small
    # queries that keep one core busy: at 80k profiles, 2 made the run after new data
    # 0.35 s faster (1: one model at a time).
    model_threads: int = 2
    verbose: bool = False  # every Luigi scheduler line and SQLMesh log line too
    sqlmesh_project: Path | None = None

    @property
    def model_start_time(self) -> dt.datetime:
        """model_start as a datetime (midnight UTC)."""
        return dt.datetime.fromisoformat(self.model_start)

    @property
    def keyword_list_paths(self) -> list[str]:
        return [p.strip() for p in self.keyword_lists.split(",") if p.strip()]

    @property
    def compression(self) -> str:
        """The exports' compression, 'zstd', 'gzip' or 'none' (export_compression, auto resolved)."""
        if self.export_compression != "auto":
            return self.export_compression
        return "zstd" if self.store == "s3" or self.transfer == "ssh" else "none"

    # Secrets: read from the environment on use, never stored in a file or printed.
    @property
    def clickhouse_password(self) -> str:
        return os.environ.get("CLICKHOUSE_PASSWORD", "")

    @property
    def pg_dsn(self) -> str:
        dsn = os.environ.get("STIR_PG_DSN", "")
        if self.postgres == "dsn" and not dsn:
            raise ConfigError("postgres = dsn needs the STIR_PG_DSN environment variable (a libpq DSN or URL)")
        return dsn


def _coerce(name: str, raw: str, kind: type):
    if kind is bool:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"setting {name!r}: expected true/false, got {raw!r}")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"setting {name!r}: expected a whole number, got {raw!r}") from None
    if kind is float:
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"setting {name!r}: expected a number, got {raw!r}") from None
    return raw


def _is_project(path: Path) -> bool:
    return (path / "sqlmesh_project").is_dir()


def project_dir() -> Path:
    """The Stir project: the directory holding sqlmesh_project/ and luigi.cfg. It is
    STIR_PROJECT (or `stir --project`) when set; else the working directory or the nearest
    parent that is a project (so `sqlmesh plan` in sqlmesh_project/ finds it); else the
    checkout this package was imported from (an editable install run from anywhere)."""
    explicit = os.environ.get("STIR_PROJECT")
    if explicit:
        path = Path(explicit).expanduser().resolve()
        if not _is_project(path):
            raise ConfigError(f"STIR_PROJECT / --project {explicit}: {path} has no sqlmesh_project/ directory")
        return path
    cwd = Path.cwd().resolve()
    for path in (cwd, *cwd.parents):
        if _is_project(path):
            return path
    if _is_project(CHECKOUT):
        return CHECKOUT
    raise ConfigError(
        f"no Stir project found from {cwd}: run in the directory that holds luigi.cfg and sqlmesh_project/ "
        "(or below it), or set STIR_PROJECT (stir --project DIR)"
    )


def use_project_config() -> None:
    """Make Luigi read the project's luigi.cfg when no LUIGI_CONFIG_PATH is set, whatever the
    working directory (`stir` from anywhere, `sqlmesh plan` in sqlmesh_project/)."""
    config = project_dir() / "luigi.cfg"
    if "LUIGI_CONFIG_PATH" not in os.environ and config.exists():
        os.environ["LUIGI_CONFIG_PATH"] = str(config)
        luigi.configuration.get_config().reload()


def _resolve(path: Path) -> Path:
    """Relative paths in the configuration are relative to the project, not the working directory."""
    return path if path.is_absolute() else (project_dir() / path).resolve()


def load_settings() -> Settings:
    """Read luigi.cfg's [stir] section, then STIR_<NAME> environment variables (which win).
    Relative paths are taken from the project directory."""
    cfg = luigi.configuration.get_config()
    values: dict = {}
    for f in fields(Settings):
        raw = os.environ.get(f"STIR_{f.name.upper()}")
        if raw is None and cfg.has_option("stir", f.name):
            raw = cfg.get("stir", f.name)
        if raw is None or raw == "":
            continue
        if "Path" in f.type:
            values[f.name] = Path(raw).expanduser()
        else:
            values[f.name] = _coerce(f.name, raw, {"int": int, "bool": bool, "float": float}.get(f.type, str))
    home = _resolve(Path(values.pop("home", ".stir")))
    for key, allowed in CHOICES.items():
        if key in values and values[key] not in allowed:
            raise ConfigError(f"setting {key!r} must be one of {', '.join(allowed)}; got {values[key]!r}")
    defaults = {
        "chdb_path": home / "warehouse",
        "store_path": home / "store",
        "pgdata": home / "postgres",
        "stage_dir": home / "stage",
        "sqlmesh_project": project_dir() / "sqlmesh_project",
    }
    for key, default in defaults.items():
        values[key] = _resolve(Path(values[key])) if values.get(key) else default
    for key, least in MINIMUMS.items():
        if key in values and values[key] < least:
            raise ConfigError(f"setting {key!r}: must be at least {least}, got {values[key]}")
    if "model_start" in values:
        try:
            values["model_start"] = f"{dt.date.fromisoformat(values['model_start']):%Y-%m-%d}"
        except ValueError:
            raise ConfigError(f"setting 'model_start': expected a date YYYY-MM-DD, got {values['model_start']!r}") from None
    settings = Settings(home=home, **values)
    if settings.warehouse == "clickhouse" and settings.store == "local":
        raise ConfigError(
            "warehouse = clickhouse needs store = s3: a ClickHouse server cannot write into this machine's "
            f"staging directory {settings.store_path}"
        )
    if settings.transfer == "ssh" and not settings.ssh_host:
        raise ConfigError("transfer = ssh needs ssh_host, the PostgreSQL host (luigi.cfg [stir] or STIR_SSH_HOST)")
    if settings.store == "s3" and not settings.s3_bucket:
        raise ConfigError("store = s3 needs s3_bucket (luigi.cfg [stir] or STIR_S3_BUCKET)")
    return settings
