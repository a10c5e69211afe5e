"""A publish SIGKILLed at every step of the stream, ssh and merge paths: the live table is
always the whole previous version, and re-running the steps whose targets are missing (as
Luigi does) finishes the publish. The kill comes from inside the publishing process, just
before the named SQL statement runs (its transaction open), in the middle of a COPY, or
between the ssh download and its check."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import pg_rows
from stir.errors import PublishError
from stir.publish import remote_stage, steps
from stir.publish.manifest import Manifest, data_key
from stir.publish.steps import shadow_loads
from stir.publish.remote_stage import RemoteStage
from stir.publish.specs import SPECS
from stir.serving.migrate import migrate
from stir.store.local import LocalStore

SPEC = SPECS["leaderboard"]
HEADER = "\t".join(("id", "month", "profile_platform", "platform", "platform_id", "followers",
                    "current_month_ranks", "enabled"))

CRASHING_PUBLISH = r"""
import dataclasses, os, signal, sys
from stir.postgres import connect
from stir.errors import PublishError
from stir.publish import remote_stage, steps
from stir.publish.manifest import Manifest
from stir.publish.remote_stage import RemoteStage
from stir.publish.steps import merges, shadow_loads, swaps
from stir.publish.specs import SPECS
from stir.store.local import LocalStore

transfer, mode, point, root, manifest_file = sys.argv[1:]
die = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
render = shadow_loads.render_sql
for module in (shadow_loads, swaps, merges):   # the steps that write PostgreSQL
    module.render_sql = lambda package, name, **kw: die() if name == point else render(package, name, **kw)
steps.ProgressReader.__init__.__defaults__ = (0.0,)   # report every read: a kill lands mid-COPY
if point == "mid-stage":   # part of the export is on the PostgreSQL host, unpacked as it arrives
    remote_stage._CHUNK = 256
    send = RemoteStage._exec
    class Dying:
        def __init__(self, source):
            self.source, self.reads = source, 0
        def read(self, n):
            self.reads += 1
            return die() if self.reads == 3 else self.source.read(n)
    RemoteStage._exec = lambda self, command, stdin: send(self, command, Dying(stdin))
spec = dataclasses.replace(SPECS["leaderboard"], mode=mode)
manifest = Manifest.from_json(open(manifest_file).read())
store, conn = LocalStore(root), connect()
progress = (lambda lines: die() if lines > 1000 else None) if point == "mid-copy" else None
gone = (lambda: store.open(manifest.gone_key)) if manifest.gone_key else None
if transfer == "parallel":
    parts = [lambda key=key: store.open(key) for key in manifest.parts]
    steps.load_shadow(conn, spec, manifest, parts, progress=progress)
elif transfer == "ssh":
    with remote_stage.connection() as ssh:
        stage = RemoteStage(ssh, os.environ["STIR_SSH_STAGE_DIR"])
        stage.stage(store, manifest)
        data = stage.server_file(manifest)
        steps.load_shadow(conn, spec, manifest, data, gone=gone)
else:
    steps.load_shadow(conn, spec, manifest, lambda: store.open(manifest.data_key), progress=progress, gone=gone)
steps.swap(conn, spec, manifest)
"""

CASES = [
    ("stream", "swap", "copy_shadow.sql"), ("stream", "swap", "mid-copy"), ("stream", "swap", "finish_shadow.sql"),
    ("stream", "swap", "swap.sql"),
    ("stream", "merge", "merge_delete.sql"), ("stream", "merge", "merge_upsert.sql"),
    ("stream", "merge", "merge_finish.sql"),
    ("parallel", "swap", "copy_shadow.sql"), ("parallel", "swap", "mid-copy"),
    ("parallel", "swap", "finish_shadow.sql"),
    ("ssh", "swap", "mid-stage"), ("ssh", "swap", "copy_shadow_file.sql"), ("ssh", "swap", "swap.sql"),
    ("ssh", "merge", "merge_upsert.sql"),
]


def rows(version: int, n: int = 3000) -> list[tuple]:
    """Version 0, or a later one with every 10th row changed, every 7th gone and 50 new ones."""
    ids = range(1, n + 1) if version == 0 else [i for i in range(1, n + 51) if i % 7]
    return [(i, f"p{i}", i * 10 + (version if i % 10 == 0 else 0)) for i in ids]


def put_parts(store: LocalStore, fp: str, version: int) -> Manifest:
    """An export in two parts (odd and even ids), as ExportMart writes it for two COPY streams."""
    keys = []
    for part in (0, 1):
        key = f"exports/leaderboard/{fp}/data_{part}.tsv"
        store.path(key).parent.mkdir(parents=True, exist_ok=True)
        store.path(key).write_text("\n".join([HEADER] + [
            f'{i}\t2026-01-01 00:00:00\tIA\tINSTAGRAM\t{p}\t{f}\t{{}}\ttrue'
            for i, p, f in rows(version) if i % 2 == part]) + "\n")
        keys.append(key)
    return Manifest("leaderboard", SPEC.mart, fp, len(rows(version)), keys[0], columns=tuple(HEADER.split("\t")),
                    parts=tuple(keys))


def put_export(store: LocalStore, fp: str, version: int, compression: str, base: str | None = None) -> Manifest:
    """An export of `version`; with `base` (the fingerprint of version 0, live), a merge's
    delta of it: only the new and changed rows, and the gone keys beside them."""
    if compression == "parts":
        return put_parts(store, fp, version)
    delta = [r for r in rows(version) if r not in rows(0)] if base else rows(version)
    lines = [HEADER] + [f'{i}\t2026-01-01 00:00:00\tIA\tINSTAGRAM\t{p}\t{f}\t{{}}\ttrue'
                        for i, p, f in delta]
    key = data_key("leaderboard", fp, compression)
    path = store.path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    if compression == "gzip":
        import gzip

        with gzip.open(path, "wt") as fh:
            fh.write("\n".join(lines) + "\n")
    else:
        path.write_text("\n".join(lines) + "\n")
    size, sha256 = store.checksum(key)
    gone = None
    if base:
        gone = f"exports/leaderboard/{fp}/gone.tsv"
        kept = {i for i, _, _ in rows(version)}
        store.path(gone).write_text("\n".join(["id"] + [str(i) for i, _, _ in rows(0) if i not in kept]) + "\n")
    return Manifest("leaderboard", SPEC.mart, fp, len(rows(version)), key, columns=tuple(HEADER.split("\t")),
                    size=size, sha256=sha256, base=base, changed=len(delta) if base else None, gone_key=gone)


def publish_version_0(pg, store: LocalStore, fp: str) -> Manifest:
    """The serving tables migrated, and version 0 loaded in one stream and live."""
    migrate(pg)
    before = put_export(store, fp, 0, "none")
    steps.load_shadow(pg, SPEC, before, store.path(before.data_key))
    steps.swap(pg, SPEC, before)
    return before


def live(pg) -> list[tuple]:
    return pg_rows(pg, "SELECT id, platform_id, followers FROM public.leaderboard ORDER BY id")


def pages_with_rows(pg, table: str = "public.leaderboard") -> int:
    """The pages of a table that hold rows: those VACUUM can mark all-visible (the parallel
    COPY sessions' bulk extension of the table can leave pages empty, which it never marks)."""
    return pg_rows(pg, f"SELECT count(DISTINCT (ctid::text::point)[0]) FROM {table}")[0][0]


def resume(pg, transfer: str, spec, store: LocalStore, manifest: Manifest, stage_dir: str) -> None:
    """What a re-run does: every step whose target is missing, in order."""
    fp = manifest.fingerprint
    data = lambda: store.open(manifest.data_key)  # noqa: E731
    with remote_stage.connection() if transfer == "ssh" else _nothing() as ssh:
        if transfer == "ssh":
            stage = RemoteStage(ssh, stage_dir)
            if not stage.exists("leaderboard", fp):
                stage.stage(store, manifest)
            data = stage.server_file(manifest)
        if manifest.parts:
            data = [lambda key=key: store.open(key) for key in manifest.parts]
        if not steps.has_marker(pg, "stir_shadow", "leaderboard", fp):
            gone = (lambda: store.open(manifest.gone_key)) if manifest.gone_key else None
            steps.load_shadow(pg, spec, manifest, data, gone=gone)
        if not steps.has_marker(pg, "public", "leaderboard", fp):
            steps.swap(pg, spec, manifest)
        if transfer == "ssh":
            stage.remove("leaderboard", fp)


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("transfer,mode,point", CASES, ids=["-".join(c) for c in CASES])
def test_a_sigkill_never_leaves_a_partial_live_table_and_the_rerun_finishes(request, monkeypatch, pg, own_leaderboard,
                                                                           tmp_path,
                                                                           transfer, mode, point):
    stage_dir = ""
    if transfer == "ssh":
        for name, value in request.getfixturevalue("sshd").items():
            monkeypatch.setenv(name, value)
        stage_dir = os.environ["STIR_SSH_STAGE_DIR"]
    env = dict(os.environ)
    store = LocalStore(tmp_path / "store")
    case = request.node.callspec.id.replace(".", "_")
    before = publish_version_0(pg, store, f"{case}-before")
    assert live(pg) == rows(0)
    spec = dataclasses.replace(SPEC, mode=mode)
    # A merge publishes a delta of the live version (a whole version is swapped in).
    after = put_export(store, f"{case}-after", 1, {"ssh": "gzip", "parallel": "parts"}.get(transfer, "none"),
                       base=before.fingerprint if mode == "merge" else None)
    (tmp_path / "manifest.json").write_text(after.to_json())
    killed = subprocess.run([sys.executable, "-c", CRASHING_PUBLISH, transfer, mode, point, str(store.root),
                             str(tmp_path / "manifest.json")], env=env, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert live(pg) == rows(0)            # the whole previous version, nothing of the new one
    resume(pg, transfer, spec, store, after, stage_dir)
    assert live(pg) == rows(1)
    if transfer == "ssh":
        leftovers = os.listdir(os.path.join(stage_dir, "leaderboard"))
        assert not [name for name in leftovers if name.startswith(f"{case}-after.tsv")], leftovers


def test_parallel_copy_streams_load_the_parts_and_a_refused_row_is_named(pg, own_leaderboard, tmp_path):
    """Two COPY sessions load an export's two parts; a row one of them refuses fails the load
    naming the row, leaves no shadow behind and the live table untouched."""
    store = LocalStore(tmp_path / "store")
    publish_version_0(pg, store, "par-before")
    manifest = put_parts(store, "par-after", 1)
    parts = [lambda key=key: store.open(key) for key in manifest.parts]
    seen: list[int] = []
    steps.load_shadow(pg, SPEC, manifest, parts, progress=seen.append)
    steps.swap(pg, SPEC, manifest)
    assert live(pg) == rows(1) and seen and max(seen) == len(rows(1)) + 1   # COPY's lines, one header
    # Frozen and analyzed as a single COPY FREEZE leaves it: every page that holds rows
    # all-visible, statistics in.
    (visible, tuples), = pg_rows(pg, "SELECT relallvisible, reltuples FROM pg_class "
                                     "WHERE oid = 'public.leaderboard'::regclass")
    assert visible == pages_with_rows(pg) > 1 and tuples == len(rows(1))
    bad = put_parts(store, "par-bad", 0)
    path = store.path(bad.parts[1])
    path.write_text(path.read_text().replace('\tp9\t90\t', '\tp9\tninety\t'))
    with pytest.raises(PublishError, match=r"(?s)the live table is untouched.*ninety.*refused: leaderboard row id=9"):
        steps.load_shadow(pg, SPEC, bad, [lambda key=key: store.open(key) for key in bad.parts])
    assert live(pg) == rows(1) and not steps.has_marker(pg, "stir_shadow", "leaderboard", "par-bad")
    with pg.cursor() as cur:
        cur.execute("SELECT to_regclass('stir_shadow.leaderboard')")
        assert cur.fetchone()[0] is None
    pg.rollback()


def keys_and_indexes(pg, table: str = "public.leaderboard") -> list[tuple]:
    """A table's constraints and indexes as the catalog defines them, and its NOT NULL columns."""
    return pg_rows(pg, f"""
        SELECT 'constraint', conname::text, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '{table}'::regclass
        UNION ALL
        SELECT 'index', c.relname::text, pg_get_indexdef(i.indexrelid) FROM pg_index AS i
        JOIN pg_class AS c ON c.oid = i.indexrelid WHERE i.indrelid = '{table}'::regclass
        UNION ALL
        SELECT 'not null', attname::text, '' FROM pg_attribute
        WHERE attrelid = '{table}'::regclass AND attnotnull AND attnum > 0
        ORDER BY 1, 2""")


def test_a_parallel_load_builds_the_indexes_in_as_many_sessions_and_ends_with_the_ddls_keys(monkeypatch, pg,
                                                                                          own_leaderboard, tmp_path):
    """The indexes of a shadow that two COPY sessions loaded are built by two sessions at
    once, each taking the next index when it is free (a key's as its unique index, the
    constraint added on it after): the live table has the keys, indexes and NOT NULL columns
    the serving DDL defines, as after a one-stream load. (A duplicate key across the parts:
    test_a_failed_parallel_load_drops_its_shadow.)"""
    from stir.serving import deferred_indexes

    ddl = keys_and_indexes(pg)   # the empty table `stir migrate` made from the DDL
    assert [kind for kind, _, _ in ddl].count("index") == 4   # the primary key's and three more
    store = LocalStore(tmp_path / "store")
    publish_version_0(pg, store, "idx-before")
    one_stream = keys_and_indexes(pg)
    assert one_stream == ddl
    built: list[tuple[int, str]] = []
    build = deferred_indexes.build

    def recorded(cur, share):
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]

        def taken():
            for each in share:
                built.append((pid, each.name))
                yield each
                time.sleep(0.2)   # (the test's indexes build in milliseconds) let the other session take one
        build(cur, taken())

    monkeypatch.setattr(deferred_indexes, "build", recorded)
    manifest = put_parts(store, "idx-after", 1)
    steps.load_shadow(pg, SPEC, manifest, [lambda key=key: store.open(key) for key in manifest.parts])
    steps.swap(pg, SPEC, manifest)
    assert live(pg) == rows(1)
    assert sorted(name.removeprefix("stir_shadow.") for _, name in built) == \
        sorted(name for kind, name, _ in one_stream if kind == "index")
    assert len({pid for pid, _ in built}) == 2, built
    assert keys_and_indexes(pg) == ddl


def test_a_parallel_load_waits_for_an_older_snapshot_to_go_live_all_visible(monkeypatch, pg, own_leaderboard,
                                                                             tmp_path, caplog_loguru):
    """A snapshot older than the COPY sessions' commits (an API reader's, an autoanalyze's)
    would keep VACUUM from marking their rows all-visible: the load waits for it to end before
    it freezes; one that outlasts FREEZE_WAIT_S is named in a warning and the load goes on."""
    from stir.postgres import connect

    migrate(pg)
    store = LocalStore(tmp_path / "store")

    def load_holding_a_snapshot(fp: str, version: int, release: bool) -> int:
        reader = connect()
        reader.set_session(isolation_level="REPEATABLE READ")
        with reader.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")   # takes the snapshot, kept until the commit
            pid = cur.fetchone()[0]
        stop, watch = threading.Event(), connect()

        def release_once_the_rows_are_committed():
            while not stop.wait(0.01):
                if pg_rows(watch, "SELECT to_regclass('stir_shadow.leaderboard') IS NOT NULL")[0][0] and \
                        pg_rows(watch, "SELECT count(*) FROM stir_shadow.leaderboard")[0][0]:
                    time.sleep(0.3)   # the load is waiting for this snapshot now
                    reader.commit()
                    return
        watcher = threading.Thread(target=release_once_the_rows_are_committed)
        if release:
            watcher.start()
        manifest = put_parts(store, fp, version)
        try:
            steps.load_shadow(pg, SPEC, manifest, [lambda key=key: store.open(key) for key in manifest.parts])
        finally:
            stop.set()
            if release:
                watcher.join()
            reader.close()
            watch.close()
        steps.swap(pg, SPEC, manifest)
        return pid

    def all_visible() -> bool:
        visible = pg_rows(pg, "SELECT relallvisible FROM pg_class WHERE oid = 'public.leaderboard'::regclass")[0][0]
        return visible == pages_with_rows(pg)

    load_holding_a_snapshot("held-released", 0, release=True)
    assert live(pg) == rows(0) and all_visible()
    assert not [m for m in caplog_loguru if "snapshot older than the load" in m]

    monkeypatch.setattr(shadow_loads, "FREEZE_WAIT_S", 0.3)
    pid = load_holding_a_snapshot("held-kept", 1, release=False)
    assert live(pg) == rows(1) and not all_visible()
    warned = [m for m in caplog_loguru if "snapshot older than the load" in m]
    assert len(warned) == 1 and f"pid {pid} " in warned[0], caplog_loguru


@pytest.mark.parametrize("failure", ["freeze", "duplicate key"])
def test_a_failed_parallel_load_drops_its_shadow(monkeypatch, pg, own_leaderboard, tmp_path, failure):
    """The freeze after parallel COPY sessions fails (its statement replaced by one that
    fails), or a check after it does (a key in both parts): the load fails naming the error,
    the shadow the sessions committed is dropped, not left for the next run, and the live
    table is untouched."""
    store = LocalStore(tmp_path / "store")
    publish_version_0(pg, store, "fail-before")
    manifest = put_parts(store, "fail-after", 1)
    if failure == "freeze":
        render = shadow_loads.render_sql
        monkeypatch.setattr(shadow_loads, "render_sql", lambda package, name, **kw: "SELECT 1/0"
                            if name == "freeze_shadow.sql" else render(package, name, **kw))
        message = "division by zero"
    else:
        odd, even = (store.path(key) for key in manifest.parts)
        odd.write_text("\n".join(odd.read_text().splitlines()[:-1] + [even.read_text().splitlines()[1]]) + "\n")
        message = r"Key \(id\)=\(1\) is duplicated"
    with pytest.raises(PublishError, match=rf"(?s)the live table is untouched.*{message}"):
        steps.load_shadow(pg, SPEC, manifest, [lambda key=key: store.open(key) for key in manifest.parts])
    assert live(pg) == rows(0)
    assert pg_rows(pg, "SELECT to_regclass('stir_shadow.leaderboard')") == [(None,)]
