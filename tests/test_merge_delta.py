"""Merge publishes by delta (stir.publish.delta) on chDB's real engine and a real PostgreSQL:
the warehouse keeps each exported version's row hashes, so the next export of a merge-mode
table holds only its new and changed rows and the keys it lost; the live table then equals a
full rebuild of the mart, untouched rows keep their tuples, the reverse delta rolls it back
(and forward again), and a delta of a version that is no longer live is refused."""
from __future__ import annotations

import dataclasses
import datetime
import threading
import time

import pytest

from conftest import pg_rows
from stir.postgres import connect
from stir.publish import delta, steps
from stir.publish.specs import SPECS
from stir.serving.migrate import migrate
from stir.store.local import LocalStore

SPEC = dataclasses.replace(SPECS["leaderboard"], mart="stir_test.merge_mart", mode="merge")


def set_mart(wh, rows: list[tuple[int, int | None]]) -> None:
    wh.script("""
        CREATE DATABASE IF NOT EXISTS stir_test;
        DROP TABLE IF EXISTS stir_test.merge_mart;
        CREATE TABLE stir_test.merge_mart (id Int64, month DateTime, profile_platform String, platform String,
            platform_id String, followers Nullable(Int64), current_month_ranks String, enabled Bool)
        ENGINE = MergeTree ORDER BY id;
    """)
    wh.insert("stir_test.merge_mart", ["id", "month", "profile_platform", "platform", "platform_id", "followers",
                                       "current_month_ranks", "enabled"],
              [(i, datetime.datetime(2026, 9, 1), "IA", "INSTAGRAM", f"p{i}", f, "{}", i % 2 == 0)
               for i, f in rows])


def live(pg) -> list[tuple]:
    return pg_rows(pg, "SELECT id, followers FROM public.leaderboard ORDER BY id")


def pages(pg) -> dict[int, int]:
    """The heap page each live row is on (the block of its ctid)."""
    return {i: int(block) for i, block in pg_rows(
        pg, "SELECT id, (ctid::text::point)[0] FROM public.leaderboard")}


def xmins(pg) -> dict[int, str]:
    with pg.cursor() as cur:
        cur.execute("SELECT id, xmin::text FROM public.leaderboard")
        found = dict(cur.fetchall())
    pg.rollback()
    return found


def export(wh, pg, store, max_changed: float = 1.0):
    """ExportMart's step: a delta of the live version when its row hashes are kept."""
    fp, _ = steps.publish_fingerprint(wh, SPEC)
    return steps.export(wh, store, SPEC, fp, compression="none",
                        base=steps.delta_base(pg, SPEC), max_changed=max_changed)


def load(pg, store, manifest):
    gone = (lambda: store.open(manifest.gone_key)) if manifest.gone_key else None
    steps.load_shadow(pg, SPEC, manifest, lambda: store.open(manifest.data_key), gone=gone, min_row_fraction=0)


def publish(wh, pg, store, max_changed: float = 1.0):
    """The chain as the Luigi tasks run it."""
    manifest = export(wh, pg, store, max_changed)
    load(pg, store, manifest)
    steps.swap(pg, SPEC, manifest)
    return manifest


V0 = [(i, i * 10) for i in range(1, 201)]
V1 = [(i, i * 10 + (1 if i % 20 == 0 else 0)) for i in range(1, 201) if i % 40] + [(201, None), (202, 5), (203, 6)]


@pytest.fixture
def stage(warehouse, pg, own_leaderboard, tmp_path):
    migrate(pg)
    set_mart(warehouse, V0)
    store = LocalStore(tmp_path / "store")
    publish(warehouse, pg, store)          # no hashes of the live version yet: the whole version
    set_mart(warehouse, V0)
    first = publish(warehouse, pg, store)  # now it has them: a delta of nothing
    assert first.base is None and live(pg) == V0
    return warehouse, store


def test_a_delta_export_carries_only_the_change_and_equals_a_full_rebuild(stage, pg):
    wh, store = stage
    before, pages_before = xmins(pg), pages(pg)
    set_mart(wh, V1)
    manifest = publish(wh, pg, store)
    # The changed rows were updated in place: their pages kept room for them (fillfactor 90,
    # kept since the table's first publish), so they stayed there and no index took an entry.
    assert pg_rows(pg, "SELECT reloptions FROM pg_class WHERE oid = 'public.leaderboard'::regclass") == \
        [(["fillfactor=90"],)]
    changed = [i for i, f in V1 if i <= 200 and i % 20 == 0]
    assert len(set(pages_before.values())) > 1 and all(pages(pg)[i] == pages_before[i] for i in changed)
    # 5 changed rows (every 20th but every 40th, which is gone), 3 new ones; 5 keys gone.
    assert manifest.base is not None and (manifest.changed, manifest.rows) == (8, len(V1))
    data = store.path(manifest.data_key).read_text().splitlines()
    assert len(data) == 1 + 8 and data[0].startswith('id\tmonth\t')
    assert sorted(int(line) for line in store.path(manifest.gone_key).read_text().splitlines()[1:]) == \
        [40, 80, 120, 160, 200]
    # Every column equals a full rebuild of the same mart (a whole export, loaded as a shadow).
    whole = steps.export(wh, store, SPEC, "wholev1", compression="none")
    load(pg, store, whole)
    with pg.cursor() as cur:
        cur.execute("SELECT * FROM public.leaderboard ORDER BY id")
        merged = cur.fetchall()
        cur.execute("SELECT * FROM stir_shadow.leaderboard ORDER BY id")
        assert merged == cur.fetchall() and len(merged) == len(V1)
    pg.rollback()
    assert live(pg) == sorted(V1)
    after = xmins(pg)
    untouched = [i for i, f in V1 if i <= 200 and i % 20]
    assert all(after[i] == before[i] for i in untouched)
    with pg.cursor() as cur:
        cur.execute("SELECT count(*) FROM stir_backup.leaderboard")
        assert cur.fetchone()[0] == 5 + 5     # the changed rows and the deleted ones, as they were
        cur.execute("SELECT id FROM stir_backup.leaderboard__inserted ORDER BY id")
        assert cur.fetchall() == [(201,), (202,), (203,)]
    pg.rollback()
    # Rollback applies the reverse delta; rolling back again rolls forward.
    assert steps.rollback(pg, SPEC) != manifest.fingerprint
    assert live(pg) == V0
    assert steps.rollback(pg, SPEC) == manifest.fingerprint
    assert live(pg) == sorted(V1)


def indexes(pg, schema: str) -> list[str]:
    """The names of <schema>.leaderboard's indexes."""
    return [name for (name,) in pg_rows(pg, f"SELECT indexname FROM pg_indexes WHERE schemaname = '{schema}' "
                                            "AND tablename = 'leaderboard' ORDER BY indexname")]


def test_a_delta_shadow_gets_its_keys_but_not_the_other_indexes(stage, pg):
    """A delta's shadow is read once, by the merge, by its key: its primary key is built (it
    checks the delta's keys), the serving table's other indexes are not; a whole version's
    shadow, which goes live, gets them all."""
    wh, store = stage
    live_indexes = indexes(pg, "public")
    assert "leaderboard_pkey" in live_indexes and len(live_indexes) > 1
    set_mart(wh, V1)
    delta_manifest = export(wh, pg, store)
    assert delta_manifest.base is not None
    load(pg, store, delta_manifest)
    assert indexes(pg, "stir_shadow") == ["leaderboard_pkey"]
    load(pg, store, steps.export(wh, store, SPEC, "wholeindexes", compression="none"))
    assert indexes(pg, "stir_shadow") == live_indexes


def test_a_delta_of_a_version_no_longer_live_is_refused(stage, pg):
    wh, store = stage
    set_mart(wh, V1)
    publish(wh, pg, store)
    set_mart(wh, V0[:150])
    stale = export(wh, pg, store)   # a delta against V1 ...
    steps.rollback(pg, SPEC)        # ... but V0 is live again
    load(pg, store, stale)
    assert stale.base and live(pg) == V0
    with pytest.raises(steps.StaleDelta, match=r"leaderboard: not published: export \w+ holds the rows that differ "
                                                r"from version \w+, but the live table is now \w+; the live table "
                                                r"is untouched"):
        steps.swap(pg, SPEC, stale)
    assert live(pg) == V0


def test_row_hashes_of_other_versions_are_pruned(stage, pg):
    wh, _ = stage
    live_fp = steps.marked_fingerprint(pg, "public", "leaderboard")
    delta.keep_hashes(wh, SPEC, delta.write_hashes(wh, SPEC, [("id", "Int64"), ("followers", "Nullable(Int64)")]), "oldversion")
    crashed = delta.write_hashes(wh, SPEC, [("id", "Int64")])    # a publish killed before it named its hashes
    assert delta.has_hashes(wh, SPEC, "oldversion") and wh.table_exists(crashed)
    time.sleep(1.1)
    started = time.time()
    delta.keep_hashes(wh, SPEC, delta.write_hashes(wh, SPEC, [("id", "Int64")]), "concurrent")   # another run's, since
    assert "oldversion" in delta.prune_hashes(wh, SPEC, {live_fp}, started)
    assert not delta.has_hashes(wh, SPEC, "oldversion") and delta.has_hashes(wh, SPEC, live_fp)
    assert not wh.table_exists(crashed)
    assert delta.has_hashes(wh, SPEC, "concurrent")
    assert "concurrent" in delta.prune_hashes(wh, SPEC, {live_fp}, time.time() + 1)


def test_two_publishes_naming_the_same_hashes_at_once(stage, monkeypatch):
    """A publish that finds no hashes of its version, then loses the rename to a concurrent
    publish of the same version, drops its own copy: same rows, same hashes."""
    wh, _ = stage
    delta.keep_hashes(wh, SPEC, delta.write_hashes(wh, SPEC, [("id", "Int64")]), "raced")
    mine = delta.write_hashes(wh, SPEC, [("id", "Int64")])
    real, calls = delta.has_hashes, []
    def checked_before_the_other_renamed(*args):
        calls.append(args)
        return len(calls) > 1 and real(*args)
    monkeypatch.setattr(delta, "has_hashes", checked_before_the_other_renamed)
    delta.keep_hashes(wh, SPEC, mine, "raced")
    assert len(calls) == 2 and not wh.table_exists(mine) and real(wh, SPEC, "raced")


def test_the_fingerprint_of_a_merge_table_is_summed_from_the_hashes_it_keeps(stage):
    """publish_fingerprint hashes the mart once: the same fingerprint as fingerprint()'s scan,
    and the version's hashes kept under it for the export."""
    wh, _ = stage
    set_mart(wh, V1)
    fp, rows = steps.publish_fingerprint(wh, SPEC)
    assert (fp, rows) == steps.fingerprint(wh, SPEC) and rows == len(V1)
    assert delta.has_hashes(wh, SPEC, fp)
    assert steps.publish_fingerprint(wh, SPEC) == (fp, rows)   # again: the kept hashes stay
    set_mart(wh, V0)
    assert steps.publish_fingerprint(wh, SPEC)[0] == steps.fingerprint(wh, SPEC)[0] != fp


def test_a_ddl_change_publishes_the_whole_version_by_swap_then_merges_again(stage, pg):
    """The live table was built by an older DDL (here: without search_phrase): a delta cannot
    be merged into it, so the whole version is exported and swapped in, and the next change
    is a delta again. A delta exported before the DDL changed is refused, not half-merged."""
    wh, store = stage
    set_mart(wh, V1)
    early = export(wh, pg, store)            # a delta, exported before the DDL change ...
    load(pg, store, early)
    with pg.cursor() as cur:
        cur.execute("ALTER TABLE public.leaderboard DROP COLUMN search_phrase")
    pg.commit()
    with pytest.raises(steps.StaleDelta, match=r"leaderboard: not published: export \w+ is a delta, but the "
                                                r"serving table's columns changed \(leaderboard.sql\)"):
        steps.swap(pg, SPEC, early)           # ... is refused
    assert live(pg) == V0
    whole = publish(wh, pg, store)
    assert whole.base is None and whole.changed is None
    assert live(pg) == sorted(V1)
    with pg.cursor() as cur:
        cur.execute("SELECT count(*) FROM public.leaderboard WHERE search_phrase IS NULL")
        assert cur.fetchone()[0] == len(V1)   # the DDL's new column is served
        cur.execute("SELECT to_regclass('stir_backup.leaderboard__inserted')")
        assert cur.fetchone()[0] is None      # the backup is the old table, not a reverse delta
    pg.rollback()
    assert steps.rollback(pg, SPEC) and live(pg) == V0
    assert steps.rollback(pg, SPEC) == whole.fingerprint and live(pg) == sorted(V1)
    set_mart(wh, V0)
    again = publish(wh, pg, store)
    assert again.base == whole.fingerprint and live(pg) == V0


def table_oid(pg) -> int:
    return pg_rows(pg, "SELECT 'public.leaderboard'::regclass::oid")[0][0]


def test_a_delta_checks_the_text_of_its_own_rows_and_leaves_no_table_behind(stage, pg, caplog_loguru):
    """The changed keys are found once, into a table the count, the text check and the export
    read, dropped after the export; the text check counts the delta's rows only (the others
    were counted when they were exported)."""
    wh, store = stage
    set_mart(wh, V0)
    wh.command("ALTER TABLE stir_test.merge_mart UPDATE platform_id = concat('x', char(0), 'y') "
               "WHERE id IN (1, 2, 3) SETTINGS mutations_sync = 2")
    publish(wh, pg, store)
    assert "leaderboard: column platform_id: 3 value(s) had NUL characters" in "\n".join(caplog_loguru)
    caplog_loguru.clear()
    wh.command("ALTER TABLE stir_test.merge_mart UPDATE followers = followers + 1 WHERE id IN (2, 150) "
               "SETTINGS mutations_sync = 2")
    manifest = publish(wh, pg, store)
    assert manifest.changed == 2
    assert "leaderboard: column platform_id: 1 value(s) had NUL characters" in "\n".join(caplog_loguru)
    assert pg_rows(pg, "SELECT platform_id FROM public.leaderboard WHERE id IN (1, 2) ORDER BY id") == \
        [("xy",), ("xy",)]
    assert [name for (name,) in wh.query("SELECT name FROM system.tables WHERE database = 'stir_publish' "
                                         "AND name LIKE 'leaderboard__changed%'")] == []


def test_a_change_larger_than_merge_max_changed_is_swapped_in_whole_then_merges_again(stage, pg):
    """Upserting most of a table costs more than rebuilding it: a version that differs from
    the live one in more than `max_changed` of its rows is exported whole and swapped in (at
    the merge table's fillfactor); a change within it is a delta again."""
    wh, store = stage
    oid = table_oid(pg)
    most = [(i, i * 10 + (i % 3 > 0)) for i in range(1, 201)]        # 133 of 200 rows changed
    set_mart(wh, most)
    whole = publish(wh, pg, store, max_changed=0.5)
    assert whole.base is None and whole.changed is None and live(pg) == most
    assert table_oid(pg) != oid               # a new table, the old one kept whole as the backup
    assert pg_rows(pg, "SELECT count(*), to_regclass('stir_backup.leaderboard__inserted') "
                       "FROM stir_backup.leaderboard") == [(200, None)]
    assert pg_rows(pg, "SELECT reloptions FROM pg_class WHERE oid = 'public.leaderboard'::regclass") == \
        [(["fillfactor=90"],)]
    oid = table_oid(pg)
    fewer = [(i, f + (i <= 100)) for i, f in most]                    # 100 of 200: at the limit
    set_mart(wh, fewer)
    merged = publish(wh, pg, store, max_changed=0.5)
    assert (merged.base, merged.changed) == (whole.fingerprint, 100) and live(pg) == fewer
    assert table_oid(pg) == oid


def analyzes(pg) -> int:
    return pg_rows(pg, "SELECT analyze_count FROM pg_stat_user_tables "
                       "WHERE schemaname = 'public' AND relname = 'leaderboard'")[0][0]


def test_a_merge_analyzes_the_live_table_only_when_it_changed_a_tenth_of_it(stage, pg):
    """Below autovacuum's analyze threshold (10% of the rows) the statistics are left to it."""
    wh, store = stage
    before = analyzes(pg)
    set_mart(wh, V1)                  # 8 rows written and 5 deleted of 203: 6%
    publish(wh, pg, store)
    assert analyzes(pg) == before
    set_mart(wh, V1[:150])            # 53 deleted of 150
    publish(wh, pg, store)
    assert analyzes(pg) == before + 1


def test_a_merge_waits_out_autovacuums_lock_in_one_try_while_readers_go_on(stage, pg):
    """A merge takes no lock readers conflict with, so it waits for a SHARE UPDATE EXCLUSIVE
    holder (autovacuum of the live table, here a session standing in for it) in one long try:
    a wait past deadlock_timeout is what makes PostgreSQL cancel an autovacuum, where 30 ms
    tries would wait for its end. Readers meanwhile are not held up."""
    wh, store = stage
    set_mart(wh, V1)
    manifest = export(wh, pg, store)
    load(pg, store, manifest)
    holder, reader = connect(), connect()
    locked = threading.Event()

    def hold():
        with holder.cursor() as cur:
            cur.execute("LOCK TABLE public.leaderboard IN SHARE UPDATE EXCLUSIVE MODE")
            locked.set()
            time.sleep(1.5)
        holder.commit()

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait(5)
    started = time.monotonic()
    merging = threading.Thread(target=lambda: results.append(steps.swap(pg, SPEC, manifest)))
    results: list = []
    merging.start()
    time.sleep(0.5)                            # the merge is waiting now
    read_started = time.monotonic()
    assert len(pg_rows(reader, "SELECT id FROM public.leaderboard")) == len(V0)
    assert time.monotonic() - read_started < 0.5
    merging.join(10)
    thread.join(5)
    holder.close()
    reader.close()
    tries, _ = results[0]
    assert tries == 1 and time.monotonic() - started >= 1.0
    assert live(pg) == sorted(V1)
