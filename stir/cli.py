"""`stir`: the command line. Each command is a thin layer over a library function."""
from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from stir import __version__, log
from stir.errors import StirError
from stir.formatting import FORMATS
from stir.publish.specs import SPECS
from stir.tiers import TIERS


def _fail(exc: Exception) -> None:
    click.echo(click.style("error: ", fg="red", bold=True) + log.mask(str(exc)), err=True)
    sys.exit(1)


class _Stir(click.Group):
    """Every error Stir raises on purpose (bad input, bad configuration, a failed publish) is
    one `error:` line and exit status 1, whichever command raised it."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except StirError as exc:
            _fail(exc)


@click.group(cls=_Stir)
@click.version_option(__version__, prog_name="stir")
@click.option("--log-level", type=click.Choice(log.LEVELS, case_sensitive=False), default=None,
              help="How much to log (default: INFO, or STIR_LOG_LEVEL).")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The Stir project (luigi.cfg + sqlmesh_project/); default: STIR_PROJECT, the working "
                   "directory or a parent of it, or this checkout.")
def main(log_level, project):
    """Stir: raw social-media crawls -> ClickHouse marts -> PostgreSQL serving tables."""
    from stir.settings import use_project_config

    if project is not None:
        os.environ["STIR_PROJECT"] = str(project.resolve())  # Luigi's worker processes read it too
    use_project_config()
    log.setup(log_level)


def _ingest_summary(loaded) -> str:
    new = [item for item in loaded if not item.skipped]
    line = f"ingested {sum(item.rows for item in new):,} rows from {len(new)} file(s)"
    skipped = len(loaded) - len(new)
    return line + (f"; skipped {skipped} file(s) already loaded (--force loads them again)" if skipped else "")


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Load files again even if the ledger says they are in.")
def ingest(directory, force):
    """Load <database>.<table>.jsonl / .parquet files from DIRECTORY into the raw tables.

    Each file is loaded whole or not at all; files already loaded (same content) are skipped."""
    from stir.ingest import ingest_dir
    from stir.warehouse import get_warehouse

    click.echo(_ingest_summary(ingest_dir(get_warehouse(), directory, force=force)))


@main.command()
@click.option("--profiles", default=500, show_default=True, type=click.IntRange(min=1),
              help="Instagram profiles (a third as many YouTube channels).")
@click.option("--months", default=6, show_default=True, type=click.IntRange(min=1), help="Calendar months of history.")
@click.option("--seed", "seed_", default=1, show_default=True, help="Random seed: same seed, same files.")
@click.option("--end", default=None, help="First day after the data, YYYY-MM-01 (default: this month's first day).")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Where to write the files (default: <home>/seed).")
@click.option("--no-ingest", is_flag=True, help="Only write the files.")
def seed(profiles, months, seed_, end, out, no_ingest):
    """Write deterministic synthetic raw data as contract files, then ingest them."""
    from stir.ingest import ingest_dir
    from stir.seed import generate, month_start
    from stir.settings import load_settings
    from stir.warehouse import get_warehouse

    try:
        end_day = month_start(dt.date.fromisoformat(end) if end else dt.datetime.now(dt.timezone.utc).date())
    except ValueError:
        _fail(StirError(f"--end: expected a date YYYY-MM-DD, got {end!r}"))
    out = out or load_settings().home / "seed"
    counts = generate(out, profiles, months, seed_, end_day)
    click.echo(f"wrote {sum(counts.values()):,} rows in {len(counts)} files to {out} (months before {end_day})")
    if not no_ingest:
        click.echo(_ingest_summary(ingest_dir(get_warehouse(), out)))


@main.command("run-tier")
@click.argument("tier", type=click.Choice(TIERS))
@click.option("--end", default=None, help="T, the run's end: 'YYYY-MM-DD[ hh:mm:ss]' UTC (default: now, to the second).")
@click.option("--restate", is_flag=True, help="Run the tier's model intervals up to --end again (data changed in them).")
@click.option("--central-scheduler/--local-scheduler", default=None, help="Use luigid (default from luigi.cfg).")
@click.option("--verbose", "-v", is_flag=True, help="Also print Luigi's scheduler lines and summary, and SQLMesh's log.")
@click.option("--retries", default=0, show_default=True, type=click.IntRange(min=0),
              help="Start a failed run again this many times, a minute apart (same T).")
def run_tier_command(tier, end, restate, central_scheduler, verbose, retries):
    """Run one frequency tier once: its models, then its publishes."""
    from stir.run import run_tier_job
    from stir.timing import resolve_end

    if verbose:
        os.environ["STIR_VERBOSE"] = "1"  # Luigi's worker processes read it too
    from stir.settings import load_settings
    from stir.tier_lock import TierRunning

    try:
        result = run_tier_job(tier, resolve_end(end), retries, load_settings().retry_delay,
                                       central_scheduler=central_scheduler, restate=restate)
    except TierRunning as exc:
        click.echo(str(exc))
        sys.exit(load_settings().tier_running_exit_code)
    line = result.last_line()
    if not result.ok:
        _fail(StirError(line))
    hints = "; ".join(f"stir show {table}" for table in result.published)
    click.echo(line + (f". Inspect with: {hints}" if hints else ""))


@main.command()
@click.argument("tables", nargs=-1, type=click.Choice(list(SPECS)))
def check(tables):
    """Check that each mart fits its serving table (columns and types), as a publish does
    before exporting. Exits 1 when one does not."""
    from stir.postgres import connected
    from stir.publish.schema import drift
    from stir.warehouse import get_warehouse

    failed = False
    with connected() as conn:
        for table in tables or SPECS:
            problems = drift(get_warehouse(), conn, SPECS[table])
            click.echo(f"{table}: " + ("fits its serving table" if not problems else "\n  ".join(["DRIFT", *problems])))
            failed = failed or bool(problems)
    if failed:
        sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for monitoring.")
@click.option("--scrapes", is_flag=True,
              help="The crawler's task queue instead, per flow and status (from the 5min tier); exits 1 when a "
                   "flow's failure rate or oldest PENDING request passes scrape_max_failure_rate / "
                   "scrape_max_pending_age.")
def status(as_json, scrapes):
    """Freshness of every serving table and the last run of every tier. Exits 1 when a table
    is stale (older than two periods of its tier's schedule) or a tier's last run failed."""
    import json

    from stir.formatting import render
    from stir.postgres import connected
    from stir.status import as_dict, healthy, status as read_status

    if scrapes:
        _scrape_status(as_json)
        return

    with connected() as conn:
        tables, tiers = read_status(conn)
    if as_json:
        click.echo(json.dumps(as_dict(tables, tiers), indent=2))
    else:
        def age(seconds):
            return "-" if seconds is None else f"{seconds / 3600:.1f} h"

        click.echo(render(["table", "tier", "last publish (UTC)", "rows", "fingerprint", "age", "state"], [
            (t.table, t.tier, t.published_at or "never", t.rows, t.fingerprint, age(t.age_s),
             "STALE" if t.stale else "fresh") for t in tables]))
        click.echo()
        click.echo(render(["tier", "last T (UTC)", "started (UTC)", "duration", "result"], [
            (t.tier, t.last_end or "-", t.started_at or "never", "-" if t.duration_s is None else f"{t.duration_s:.0f} s",
             "running" if t.running else (t.result or "-")) for t in tiers]))
    if not healthy(tables, tiers):
        sys.exit(1)


def _scrape_status(as_json: bool) -> None:
    import json

    from stir.formatting import render
    from stir.scrape_status import scrape_status
    from stir.settings import load_settings
    from stir.warehouse import get_warehouse

    found = scrape_status(get_warehouse(), load_settings())
    if as_json:
        click.echo(json.dumps(found.as_dict(), indent=2))
    else:
        def age(seconds):
            return "-" if seconds is None else f"{seconds / 60:.0f} min"

        def rate(value):
            return "-" if value is None else f"{value:.1%}"

        click.echo(f"scrape requests at {found.at or '-'} UTC (the 5min tier's last T)")
        click.echo(render(["flow", "status", "last hour", "last day", "failed (1 h)", "failed (1 d)",
                           "oldest PENDING", "newest COMPLETE"], [
            (r.flow, r.status, r.requests_last_hour, r.requests_last_day, rate(r.failure_rate_last_hour),
             rate(r.failure_rate_last_day), age(r.oldest_pending_age_s), age(r.newest_complete_age_s))
            for r in found.rows]))
        for alarm in found.alarms:
            click.echo(f"ALARM {alarm}")
    if found.alarms:
        sys.exit(1)


@main.group()
def report():
    """Reports for analysts, written to the staging store."""


@report.command("keywords")
@click.argument("keyword_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--days", default=7, show_default=True, type=click.IntRange(min=1),
              help="Posts published in this many days before --end.")
@click.option("--end", default=None, help="T: 'YYYY-MM-DD[ hh:mm:ss]' UTC (default: now, to the second).")
@click.option("--name", default=None, help="The report's name in its key (default: the file's name without suffix).")
def report_keywords(keyword_file, days, end, name):
    """Posts whose caption matches any keyword of KEYWORD_FILE (one per line; case-insensitive,
    whole words), with engagement, reach and followers, as Parquet in the staging store under
    reports/keywords/NAME/. The same inputs (keywords, days, T) write nothing new."""
    from stir.jobs.keyword_report import MART, read_keywords, write
    from stir.models import computed_until
    from stir.store import get_store
    from stir.timing import resolve_end
    from stir.warehouse import get_warehouse

    store = get_store()
    found = write(get_warehouse(), store, name or keyword_file.stem, read_keywords(keyword_file), days,
                  resolve_end(end), computed_until(MART))
    click.echo(f"{found.rows} posts: {store.describe(found.key)}" + ("" if found.written else " (already written)"))


@main.command()
@click.argument("job", type=click.Choice(["rescrape", "assets"]))
@click.option("--end", default=None, help="T: 'YYYY-MM-DD[ hh:mm:ss]' UTC (default: now, to the second).")
def job(job, end):
    """Run one crawler job now, outside its tier, on the marts as they are: `rescrape` sends
    re-scrape requests for recent collection posts to the crawler's API (never a shortcode
    twice within 12 hours); `assets` queues asset-upload requests in the crawler's task queue."""
    from stir.jobs import asset_upload, rescrape
    from stir.postgres import connected
    from stir.settings import load_settings
    from stir.timing import resolve_end
    from stir.warehouse import get_warehouse

    settings, end = load_settings(), resolve_end(end)
    with connected() as conn:
        counts = (rescrape if job == "rescrape" else asset_upload).run_configured(get_warehouse(), conn, end, settings)
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@main.command()
def tiers():
    """List the tiers: models' cadence, schedule (UTC), timeout, retries, publishes, jobs."""
    from stir.formatting import render
    from stir.jobs.tasks import JOB_TIERS
    from stir.tiers import TIER_TABLE, publishes

    rows = [(t.name, t.models_cron, t.schedule, f"{t.timeout_min} min", t.retries,
             ", ".join(spec.table for spec in publishes(t.name)) or "-",
             ", ".join(job for job, tier in JOB_TIERS.items() if tier == t.name) or "-") for t in TIER_TABLE]
    click.echo(render(["tier", "models", "schedule (UTC)", "timeout", "retries", "publishes", "jobs"], rows))


@main.command()
@click.option("--systemd", "systemd_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write systemd service and timer units for every tier into this directory.")
@click.option("--prefork/--no-prefork", default=True, show_default=True,
              help="Runs fork from a `stir prefork` server (started at boot, or as a service; under "
                   "cron, a run finding none starts it) at STIR_PREFORK_SOCKET, or <home>/run/prefork.sock; "
                   "with --no-prefork each run is a process of its own.")
def schedule(systemd_dir, prefork):
    """Print a crontab that runs every tier on its schedule (or write systemd units)."""
    from stir.schedule import crontab, write_systemd
    from stir.prefork import default_socket
    from stir.settings import project_dir

    socket_path = default_socket() if prefork else None
    if systemd_dir is None:
        click.echo(crontab(project_dir(), socket_path), nl=False)
        return
    written = write_systemd(project_dir(), systemd_dir, socket_path)
    enable = [p.name for p in written if p.suffix == ".timer" or p.name == "stir-prefork.service"]
    click.echo(f"wrote {len(written)} units to {systemd_dir}; install them with: "
               f"cp {systemd_dir}/stir-* /etc/systemd/system/ && systemctl daemon-reload && "
               "systemctl enable --now " + " ".join(enable))


@main.command()
def migrate():
    """Create Stir's schemas and any missing serving table in PostgreSQL, and add the
    projections Stir keeps on the raw tables that lack them (source_projections.sql)."""
    from stir.postgres import connected
    from stir.serving.migrate import migrate as apply
    from stir.settings import load_settings
    from stir.warehouse import get_warehouse
    from stir.warehouse.sources import ensure_projections

    with connected() as conn:
        created = apply(conn)
    click.echo(f"serving database ready; created: {', '.join(created) or 'nothing'}")
    settings = load_settings()
    added = ensure_projections(get_warehouse(settings), settings.clickhouse_cluster)
    click.echo(f"raw tables' projections ready; added: {', '.join(added) or 'nothing'}")


@main.command()
@click.argument("table", type=click.Choice(list(SPECS)))
def rollback(table):
    """Put TABLE's backup (kept by the last publish) live again, in one transaction."""
    from stir.postgres import connected
    from stir.publish.steps import rollback as roll_back

    with connected() as conn:
        fingerprint = roll_back(conn, SPECS[table])
    click.echo(f"{table}: live again with fingerprint {fingerprint}. The next tier run republishes the mart "
               "if it differs: fix the cause first.")


@main.command()
@click.argument("table", type=click.Choice(list(SPECS)), default="leaderboard")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(min=0))
def show(table, limit):
    """Show a serving table: row count, last publish and its top rows."""
    from stir.formatting import render
    from stir.postgres import connected, conninfo
    from stir.show import show_table

    with connected() as conn:
        info = show_table(conn, SPECS[table], limit)
    last = info["last_publish"]
    if last:
        when = f"{last[2]:%Y-%m-%d %H:%M:%S} UTC, {last[1]:,} rows, fingerprint {last[0]}"
    else:
        when = f"never (run bin/run_tier {' or '.join(SPECS[table].tiers)})"
    click.echo(f"{table}: {info['rows']:,} rows; last publish: {when}")
    if info["top"]:
        click.echo(render(info["columns"], info["top"]))
    click.echo(f"(PostgreSQL: {log.mask(conninfo())})")


@main.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table: aligned columns (NULL as NULL); csv: with a header; json: one object per row.")
def sql(query, fmt):
    """Run one ClickHouse query against the warehouse and print its rows with column names."""
    from stir.formatting import render
    from stir.warehouse import get_warehouse

    try:
        columns, rows = get_warehouse().query_with_columns(query)
    except StirError:
        raise
    except Exception as exc:  # the engine's own message says what is wrong with the query
        raise StirError(f"query failed: {exc}") from None
    if columns:
        click.echo(render(columns, rows, fmt))


@main.group()
def pg():
    """The embedded PostgreSQL: start it for psql, see who uses it, stop it."""


def _embedded_pgdata():
    from stir.settings import load_settings

    settings = load_settings()
    if settings.postgres != "embedded":
        raise StirError("postgres = dsn: the serving PostgreSQL is a server Stir does not manage")
    return settings.pgdata


@pg.command("start")
def pg_start():
    """Start it and keep it running after Stir exits (until `stir pg stop`)."""
    from stir.postgres import embedded

    uri = embedded.start(_embedded_pgdata())
    click.echo(f"embedded PostgreSQL running; it keeps running until `stir pg stop`.\npsql '{uri}'")


@pg.command("status")
def pg_status():
    """Whether it runs, its URI, and which Stir processes use it. Exits 3 when it is stopped."""
    from stir.postgres import embedded

    now = embedded.status(_embedded_pgdata())
    if not now.running:
        click.echo("embedded PostgreSQL: stopped")
        sys.exit(3)
    users = ", ".join(map(str, now.users)) or "none"
    click.echo(f"embedded PostgreSQL: running (postmaster pid {now.postmaster_pid}); "
               f"keep running: {'yes' if now.keep_running else 'no'}; Stir processes using it: {users}")
    if now.dead:
        click.echo(f"  killed processes still listed (forgotten at the next start): {', '.join(map(str, now.dead))}")
    click.echo(f"psql '{now.uri}'")


@pg.command("stop")
@click.option("--force", is_flag=True, help="Stop it even while Stir processes use it.")
def pg_stop(force):
    """Stop it (refused while another Stir process uses it)."""
    from stir.postgres import embedded

    stopped = embedded.stop(_embedded_pgdata(), force=force)
    click.echo("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")


@main.command()
@click.option("--socket", "socket_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to listen (default: STIR_PREFORK_SOCKET, or <home>/run/prefork.sock).")
def prefork(socket_path):
    """Serve `stir` commands from a process that has imported Stir's libraries already.

    Each command sent to the socket (bin/run_tier sends its run there when STIR_PREFORK_SOCKET
    is set) runs in a child forked from this server, about 1.4 s sooner than a new process.
    Runs until SIGTERM or SIGINT, or until Stir's code changes."""
    from stir.prefork import default_socket, serve

    serve(socket_path or default_socket())


@main.command()
def info():
    """Print the active configuration (secrets are never printed)."""
    from stir.settings import load_settings

    settings = load_settings()
    for key, value in vars(settings).items():
        click.echo(f"{key:18} {value}")


def entry() -> None:
    """The `stir` console command: `main`, with the garbage collector tuned for a short batch
    process, which ends without Python's interpreter teardown (stir/process.py says why both
    are safe and what they save)."""
    from stir.process import end_process, tune_gc

    tune_gc()
    try:
        main()
    except SystemExit as exc:   # click's standalone mode always ends so
        end_process(exc.code)


if __name__ == "__main__":
    entry()
