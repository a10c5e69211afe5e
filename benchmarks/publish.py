"""Benchmark: publishing a mart of the leaderboard's shape (1,000,000 rows by default) into
the embedded PostgreSQL, everything measured in one run on the same mart, DDL and server:

- Stir's chain (fingerprint, export, transfer, load into an index-free shadow, index
  builds and checks, swap) per transfer mode: stream and local (with `copy_streams` COPY
  sessions), ssh (a real sshd on 127.0.0.1, when one is installed);
- the legacy path (JSONEachRow export, jsonb COPY, cast-insert, SET LOGGED, indexes);
- the raw floor (uncompressed CSV export, COPY into an unlogged table without indexes);
- the longest a reader waits while a swap queues behind a 5-second reader transaction;
- a merge publish of a version with 5% of rows changed against a full rebuild of it, and the
  merge's floor: PostgreSQL alone writing those rows into the live table.

    .venv/bin/python benchmarks/publish.py [--rows 1000000] [--repeat 3]

With --repeat N everything is measured N times (each on a mart built afresh) and each
ratio's median is printed besides: on a shared machine one run's ratios move by a tenth.

Every path starts after a CHECKPOINT, so none pays for the WAL the one before it wrote (each
full load writes hundreds of MB; without it, the paths measured later ran up to 20% slower).
It prints seconds per step and the ratios between the paths, with the targets of issue 8.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOME = Path(tempfile.mkdtemp(prefix="stir-bench-publish-"))
os.environ.update(STIR_HOME=str(HOME), STIR_PROJECT=str(REPO), LUIGI_CONFIG_PATH=str(REPO / "luigi.cfg"),
                  STIR_LOG_LEVEL="WARNING")

from loguru import logger  # noqa: E402

from stir.postgres import connect  # noqa: E402  (after STIR_HOME is set)
from stir.publish import local_stage, remote_stage, schema, steps  # noqa: E402
from stir.publish.specs import SPECS  # noqa: E402
from stir.serving.migrate import create_table, migrate  # noqa: E402
from stir.settings import load_settings  # noqa: E402
from stir.sqlfiles import ident  # noqa: E402
from stir.store.local import LocalStore  # noqa: E402
from stir.warehouse import get_warehouse  # noqa: E402

from phases import sql  # noqa: E402

MART = "stir_bench.mart_leaderboard"
SPEC = dataclasses.replace(SPECS["leaderboard"], mart=MART)


def column_expression(name: str, pg_type: str, changed_every: int) -> str:
    """A ClickHouse expression for a generated column of the serving table's type."""
    if name == "id":
        return "toInt64(number + 1) AS id"
    if name == "followers":
        bump = f" + if(number % {changed_every} = 0, 1, 0)" if changed_every else ""
        return f"toInt64(number % 100000{bump}) AS followers"
    return {
        "bigint": f"toInt64((number * 7919) % 1000003) AS {name}",
        "double precision": f"(number % 1000) / 7.0 AS {name}",
        "text": f"concat('{name[:3]}', toString(number % 5000)) AS {name}",
        "timestamp without time zone": f"toDateTime('2026-09-01 00:00:00') AS {name}",
        "boolean": f"number % 2 = 0 AS {name}",
        "jsonb": f"'{{\"followers_rank\": 1}}' AS {name}",
    }[pg_type]


def build_mart(rows: int, changed_every: int = 0) -> None:
    wh = get_warehouse()
    wh.command("CREATE DATABASE IF NOT EXISTS stir_bench")
    columns = ", ".join(column_expression(n, t, changed_every) for n, t in schema.ddl_columns(SPEC))
    wh.command(sql("bench_mart.sql", mart=MART, rows=rows, columns=columns, changed_every=changed_every))
    wh.command(sql("settle_table.sql", table=MART))


@contextmanager
def timed(figures: dict, name: str):
    started = time.perf_counter()
    yield
    figures[name] = time.perf_counter() - started


def stir_publish(conn, store: LocalStore, transfer: str, spec=SPEC, ssh_settings: dict | None = None,
                 streams: int | None = None) -> dict:
    """One publish through Stir's steps, as the Luigi chain runs them (`streams`: COPY
    sessions with transfer = stream, copy_streams by default); seconds per step."""
    checkpoint(conn)
    figures: dict = {}
    compression = dataclasses.replace(load_settings(), transfer=transfer).compression   # export_compression = auto
    with timed(figures, "fingerprint"):
        fp, _ = steps.publish_fingerprint(get_warehouse(), spec)
    if spec.mode == "swap":   # a fresh publish every time (each merge publishes a new version)
        fp = f"{fp}_{transfer}_{random.randrange(10**6)}"
    base = steps.delta_base(conn, spec)
    with timed(figures, "export"):
        manifest = steps.export(get_warehouse(), store, spec, fp, compression=compression,
                                checksum=transfer == "ssh", base=base,
                                parts=streams or load_settings().copy_streams,
                                parts_min_rows=load_settings().copy_streams_min_rows)
    if transfer == "local":
        with timed(figures, "download"):
            local_stage.stage(store, manifest, HOME / "stage" / fp)
        data = local_stage.staged(manifest, HOME / "stage" / fp)
    elif transfer == "ssh":
        ssh = remote_stage.connection()
        connection = ssh.__enter__()
        stage = remote_stage.RemoteStage(connection, ssh_settings["STIR_SSH_STAGE_DIR"])
        with timed(figures, "ssh stage"):
            stage.stage(store, manifest)
        data = stage.server_file(manifest)
    elif manifest.parts:   # one COPY stream per part
        data = [lambda key=key: store.open(key) for key in manifest.parts]
    else:
        data = lambda: store.open(manifest.data_key)  # noqa: E731
    gone = (lambda: store.open(manifest.gone_key)) if manifest.gone_key else None
    with timed(figures, "load"):
        steps.load_shadow(conn, spec, manifest, data, gone=gone)
    with timed(figures, "swap"):
        steps.swap(conn, spec, manifest)
    if transfer == "ssh":
        stage.remove(SPEC.table, fp)
        ssh.__exit__(None, None, None)
    figures["total"] = sum(figures.values())
    return figures


def legacy_publish(conn, store: LocalStore) -> dict:
    checkpoint(conn)
    figures: dict = {}
    wh = get_warehouse()
    key = "legacy/data.jsonl"
    with timed(figures, "export JSONEachRow"):
        wh.command(sql("legacy_export.sql", destination=store.clickhouse_destination(key, "JSONEachRow"), mart=MART))
    with timed(figures, "jsonb COPY, cast-insert, SET LOGGED, indexes"):
        with conn.cursor() as cur:
            cur.execute(sql("legacy_load.sql", table=SPEC.table))
            with store.open(key) as fh:
                cur.copy_expert(sql("legacy_copy.sql"), fh)
            cur.execute(sql("legacy_finish.sql", table=SPEC.table))
            cur.execute(sql("template_indexes.sql"), {"table": SPEC.table})
            for (definition,) in cur.fetchall():
                cur.execute(definition.replace(" ON stir_bench_template.", " ON legacy."))
        conn.commit()
    figures["total"] = sum(figures.values())
    return figures


def raw_floor(conn, store: LocalStore) -> dict:
    checkpoint(conn)
    figures: dict = {}
    wh = get_warehouse()
    key = "floor/data.csv"
    with timed(figures, "export CSV"):
        wh.command(sql("raw_export.sql", destination=store.clickhouse_destination(key, "CSVWithNames"), mart=MART,
                       columns=steps.export_select(steps.exported_columns(wh, SPEC))))
    with timed(figures, "COPY into an unlogged table, no indexes"):
        with conn.cursor() as cur:
            cur.execute(sql("raw_floor.sql", table=SPEC.table))
            with store.open(key) as fh:
                cur.copy_expert(sql("raw_copy.sql"), fh)
        conn.commit()
    figures["total"] = sum(figures.values())
    return figures


def reader_wait(conn, store: LocalStore, hold_s: float = 5.0) -> tuple[float, float, int]:
    """(longest reader query in s, the swap's total wait in s, its tries) while a reader
    transaction holds the live table for `hold_s` seconds and a publish swaps."""
    stop = threading.Event()
    latencies: list[float] = []
    holding = threading.Event()

    def long_reader():
        c = connect()
        with c.cursor() as cur:
            cur.execute(sql("reader_hold.sql", table=SPEC.table))
            holding.set()
            time.sleep(hold_s)
        c.rollback()
        c.close()

    def readers():
        c = connect()
        c.autocommit = True
        with c.cursor() as cur:
            while not stop.is_set():
                started = time.perf_counter()
                cur.execute(sql("reader_query.sql", table=SPEC.table), {"id": random.randint(1, 1000)})
                cur.fetchall()
                latencies.append(time.perf_counter() - started)
                time.sleep(0.005)
        c.close()

    fp, _ = steps.fingerprint(get_warehouse(), SPEC)
    manifest = steps.export(get_warehouse(), store, SPEC, f"{fp}_readers", compression="none")
    steps.load_shadow(conn, SPEC, manifest, lambda: store.open(manifest.data_key))
    threads = [threading.Thread(target=long_reader), threading.Thread(target=readers)]
    for thread in threads:
        thread.start()
    holding.wait()
    started = time.perf_counter()
    settings = load_settings()
    tries, _ = steps.swap(conn, SPEC, manifest, steps.SwapPolicy(settings.swap_lock_timeout_ms, 60))
    waited = time.perf_counter() - started
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()
    return max(latencies), waited, tries


def checkpoint(conn) -> None:
    conn.autocommit = True   # CHECKPOINT cannot run inside a transaction block
    with conn.cursor() as cur:
        cur.execute(sql("checkpoint.sql"))
    conn.autocommit = False


def merge_floor(conn, every: int) -> float:
    """Seconds PostgreSQL alone takes to write a merge's changed rows (every `every`-th id,
    changed again) into the live table by the merge's own upsert (merge_upsert.sql), from a
    shadow already on the server, after a checkpoint as the merge was: the least a merge of
    them can cost."""
    columns = [ident(name) for name, _ in schema.ddl_columns(SPEC)]
    with conn.cursor() as cur:
        cur.execute(sql("merge_floor_delta.sql", table=SPEC.table, every=every))
    conn.commit()
    checkpoint(conn)
    started = time.perf_counter()
    with conn.cursor() as cur:   # the merge's own upsert, of these rows alone
        cur.execute(steps.upsert_sql(ident(SPEC.table), columns, [ident(k) for k in SPEC.key]))
    conn.commit()
    seconds = time.perf_counter() - started
    with conn.cursor() as cur:
        cur.execute(sql("merge_floor_drop.sql", table=SPEC.table))
    conn.commit()
    return seconds


def show(title: str, figures: dict) -> None:
    steps_text = ", ".join(f"{k} {v:.1f}" for k, v in figures.items() if k != "total")
    print(f"  {title:<28} {figures['total']:7.1f} s   ({steps_text})")


def measure(conn, store: LocalStore, rows: int) -> dict:
    """One run of every measurement, on a mart built afresh."""
    from sshd_server import SSHD, sshd_server

    build_mart(rows)
    results: dict[str, dict] = {}
    results["stir stream"] = stir_publish(conn, store, "stream")
    other = 1 if load_settings().copy_streams > 1 else 2   # the other choice of copy_streams, for comparison
    results[f"stir stream, {other} COPY"] = stir_publish(conn, store, "stream", streams=other)
    results["stir local"] = stir_publish(conn, store, "local")
    if SSHD:
        base = Path(tempfile.mkdtemp(prefix="stir-bench-sshd-"))
        with sshd_server(base) as ssh_settings:
            os.environ.update(ssh_settings)
            results["stir ssh"] = stir_publish(conn, store, "ssh", ssh_settings=ssh_settings)
        shutil.rmtree(base, ignore_errors=True)
    results["legacy"] = legacy_publish(conn, store)
    results["raw floor"] = raw_floor(conn, store)
    # Merge of 5% changed rows against a full rebuild of the same version.
    build_mart(rows, changed_every=20)
    results["full rebuild (5% changed)"] = stir_publish(conn, store, "stream")
    merge_spec = dataclasses.replace(SPEC, mode="merge")
    build_mart(rows)
    # The first version as a merge table's first publish makes it (a swap into the empty
    # table `stir migrate` creates, at the merge table's fillfactor), its row hashes kept.
    with conn.cursor() as cur:
        cur.execute(sql("drop_live.sql", table=SPEC.table))
    conn.commit()
    migrate(conn)
    stir_publish(conn, store, "stream", spec=merge_spec)
    build_mart(rows, changed_every=20)
    results["merge (5% changed)"] = stir_publish(conn, store, "stream", spec=merge_spec)
    with conn.cursor() as cur:   # the merge's session statistics, flushed to pg_stat_user_tables now
        cur.execute(sql("flush_stats.sql"))
    conn.commit()
    time.sleep(0.2)
    with conn.cursor() as cur:
        cur.execute(sql("hot_updates.sql", table=SPEC.table))
        updated, hot = cur.fetchone()
    conn.rollback()
    floor_s = merge_floor(conn, every=20)
    longest, waited, tries = reader_wait(conn, store)
    return {"results": results, "updated": updated, "hot": hot, "merge_floor": floor_s,
            "longest": longest, "waited": waited, "tries": tries}


def report(run: dict) -> dict[str, float]:
    """Print one run's seconds and ratios; return the ratios, by name."""
    results = run["results"]
    print("\nseconds, end to end (steps):")
    for name, figures in results.items():
        show(name, figures)
    legacy, floor = results["legacy"]["total"], results["raw floor"]["total"]
    ratios: dict[str, float] = {}
    print("\nratios (targets of issue 8):")
    for name in [n for n in results if n.startswith("stir ")]:
        total = results[name]["total"]
        ratios[f"{name}: x the legacy path (target >= 3)"] = legacy / total
        ratios[f"{name}: of the raw floor (target >= 0.6)"] = floor / total
        print(f"  {name:<20} {legacy / total:4.2f}x the legacy path (target >= 3), "
              f"{floor / total:4.2f} of the raw floor's throughput (target >= 0.6)")
    merge, full = results["merge (5% changed)"]["total"], results["full rebuild (5% changed)"]["total"]
    ratios["merge: of a full rebuild (target <= 0.10)"] = merge / full
    ratios["merge floor: of a full rebuild"] = run["merge_floor"] / full
    ratios["reader wait, ms (target <= 50)"] = run["longest"] * 1000
    print(f"  merge of 5% changed rows: {merge / full:4.2f} of a full rebuild (target <= 0.10); "
          f"{run['hot']:,} of its {run['updated']:,} row updates in place (HOT)")
    print(f"  merge floor: PostgreSQL alone writing the same rows into the live table took {run['merge_floor']:.1f} s, "
          f"{run['merge_floor'] / full:4.2f} of a full rebuild, before a merge reads the mart to find them")
    print(f"  longest reader query while a swap waited behind a 5 s reader: {run['longest'] * 1000:.0f} ms "
          f"(target <= 50 ms); the swap waited {run['waited']:.1f} s over {run['tries']} tries "
          f"(swap_lock_timeout_ms = {load_settings().swap_lock_timeout_ms})")
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure everything this many times, each on a mart built afresh, and print "
                             "each ratio's median")
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    sys.path.insert(0, str(REPO / "tests"))   # sshd_server, for transfer = ssh

    conn = connect()
    migrate(conn)
    with conn.cursor() as cur:
        cur.execute(sql("template.sql"))
        create_table(cur, "stir_bench_template", SPEC)
    conn.commit()
    store = LocalStore(HOME / "store")
    print(f"publish benchmark: {args.rows:,} rows of the leaderboard's shape, in {HOME}")
    runs = []
    for n in range(args.repeat):
        if args.repeat > 1:
            print(f"\n== run {n + 1} of {args.repeat}")
        runs.append(report(measure(conn, store, args.rows)))
    if args.repeat > 1:
        print(f"\nmedians over {args.repeat} runs (each run's values in brackets):")
        for name in runs[0]:
            values = [r[name] for r in runs]
            print(f"  {name:<58} {statistics.median(values):7.2f}  "
                  f"[{', '.join(f'{v:.2f}' for v in values)}]")
    conn.close()
    shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
