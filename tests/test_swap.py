"""The swap never stalls readers (issue 8, item 1), on the real PostgreSQL: while a long
transaction holds the live table, the swap waits in short tries, so other readers wait no
longer than one try's lock_timeout; the swap succeeds once the long reader ends, or fails
naming it when its total wait runs out, and the live table is untouched."""
from __future__ import annotations

import threading
import time

import psycopg2
import pytest

from stir.errors import PublishError
from stir.postgres import conninfo
from stir.publish import steps
from stir.serving.migrate import migrate
from conftest import REPO
from test_publish import HEADER, SPEC, export_file, live_rows, manifest

ROW = '{id}\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp{id}\t{id}\t{{}}\ttrue'


def publish(pg, tmp_path, fp, row_id, policy=steps.SwapPolicy()):
    data = export_file(tmp_path / f"{fp}.tsv.gz", [HEADER, ROW.format(id=row_id)])
    steps.load_shadow(pg, SPEC, manifest(fp, 1), data)
    return steps.swap(pg, SPEC, manifest(fp, 1), policy)


class LongReader(threading.Thread):
    """A session that reads the live table in one transaction held open for `seconds`."""

    def __init__(self, seconds: float):
        super().__init__(daemon=True)
        self.seconds = seconds
        self.conn = psycopg2.connect(conninfo())
        self.ready = threading.Event()

    def run(self):
        with self.conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM public.leaderboard")
            cur.fetchone()
            self.ready.set()
            time.sleep(self.seconds)
        self.conn.commit()
        self.conn.close()


class Readers(threading.Thread):
    """Short queries on the live table in a loop (autocommit); records the slowest."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.slowest = 0.0
        self.queries = 0

    def run(self):
        conn = psycopg2.connect(conninfo())
        conn.autocommit = True
        with conn.cursor() as cur:
            while not self.stop.is_set():
                start = time.perf_counter()
                cur.execute("SELECT count(*) FROM public.leaderboard")
                cur.fetchone()
                self.slowest = max(self.slowest, time.perf_counter() - start)
                self.queries += 1
                time.sleep(0.005)
        conn.close()


@pytest.fixture
def live(pg, tmp_path):
    migrate(pg)
    publish(pg, tmp_path, "live", 1)
    assert live_rows(pg) == [(1, 1)]


def test_readers_do_not_stall_behind_a_swap_that_waits_for_a_long_reader(pg, tmp_path, live):
    long_reader, readers = LongReader(2.0), Readers()
    long_reader.start()
    long_reader.ready.wait(10)
    readers.start()
    tries, waited = publish(pg, tmp_path, "next", 2, steps.SwapPolicy(lock_timeout_ms=50, max_wait_s=30))
    readers.stop.set()
    readers.join()
    long_reader.join()
    assert live_rows(pg) == [(2, 2)]
    assert tries > 1 and waited >= 1.0          # it waited for the long reader, in short tries
    assert readers.queries > 20
    assert readers.slowest < 0.1, f"a reader waited {readers.slowest * 1000:.0f} ms"
    with pg.cursor() as cur:
        cur.execute("SELECT swap_tries, swap_wait_ms FROM stir_meta.publish_log "
                    "WHERE serving_table = 'leaderboard' ORDER BY published_at DESC LIMIT 1")
        logged_tries, logged_ms = cur.fetchone()
    pg.rollback()
    assert logged_tries == tries and logged_ms >= 1000


def test_swap_gives_up_naming_the_holder_and_leaves_the_live_table(pg, tmp_path, live):
    long_reader = LongReader(3.0)
    long_reader.start()
    long_reader.ready.wait(10)
    holder = long_reader.conn.get_backend_pid()
    with pytest.raises(PublishError) as err:
        publish(pg, tmp_path, "blocked", 3, steps.SwapPolicy(lock_timeout_ms=50, max_wait_s=0.5))
    long_reader.join()
    text = str(err.value)
    assert text.startswith("leaderboard: swap failed; the live table is untouched. public.leaderboard stayed locked by "
                           f"pid {holder} (idle in transaction, query started ")
    assert "swap_max_wait = 0.5s" in text
    assert live_rows(pg) == [(1, 1)]
    assert steps.has_marker(pg, "stir_shadow", "leaderboard", "blocked")   # ready for the next try


def test_autovacuum_is_off_the_shadow_until_it_is_live(pg, tmp_path, live):
    data = export_file(tmp_path / "av.tsv.gz", [HEADER, ROW.format(id=4)])
    steps.load_shadow(pg, SPEC, manifest("av", 1), data)
    options = "SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)"
    with pg.cursor() as cur:
        cur.execute(options, ("stir_shadow.leaderboard",))
        assert cur.fetchone()[0] == ["autovacuum_enabled=false"]
    pg.rollback()
    steps.swap(pg, SPEC, manifest("av", 1))
    with pg.cursor() as cur:
        cur.execute(options, ("public.leaderboard",))
        assert cur.fetchone()[0] is None
    pg.rollback()


def test_one_publish_of_a_table_at_a_time(pg, tmp_path, live):
    """Another run holding the table's publish lock is waited for, and named when the wait
    runs out; the same fingerprint swapped twice (two runs) is published once."""
    other = psycopg2.connect(conninfo())
    with other.cursor() as cur:
        cur.execute(open(REPO / "stir" / "serving" / "sql" / "publish_lock.sql").read(), {"table": "leaderboard"})
        assert cur.fetchone()[0]
    try:
        data = export_file(tmp_path / "w.tsv.gz", [HEADER, ROW.format(id=5)])
        with pytest.raises(PublishError, match=rf"Another publish of leaderboard by pid {other.get_backend_pid()} "):
            steps.load_shadow(pg, SPEC, manifest("w", 1), data, lock_wait_s=0.3)
        assert live_rows(pg) == [(1, 1)]
    finally:
        other.rollback()   # the other run's transaction ends: its lock goes with it
    steps.load_shadow(pg, SPEC, manifest("w", 1), data, lock_wait_s=0.3)
    with other.cursor() as cur:
        cur.execute(open(REPO / "stir" / "serving" / "sql" / "publish_lock.sql").read(), {"table": "leaderboard"})
    try:
        with pytest.raises(PublishError, match=rf"its publish lock stayed locked by pid {other.get_backend_pid()} "):
            steps.swap(pg, SPEC, manifest("w", 1), steps.SwapPolicy(max_wait_s=0.3))
    finally:
        other.rollback()
        other.close()
    steps.swap(pg, SPEC, manifest("w", 1))
    assert live_rows(pg) == [(5, 5)]
    count = "SELECT count(*) FROM stir_meta.publish_log WHERE fingerprint = 'w'"
    with pg.cursor() as cur:
        cur.execute(count)
        assert cur.fetchone()[0] == 1
    pg.rollback()
    steps.load_shadow(pg, SPEC, manifest("w", 1), data)   # a second run with the same data
    steps.swap(pg, SPEC, manifest("w", 1))
    with pg.cursor() as cur:
        cur.execute(count)
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT to_regclass('stir_shadow.leaderboard')")
        assert cur.fetchone()[0] is None
    pg.rollback()


def test_grants_comments_and_views_survive_swaps_and_rollbacks(pg, tmp_path):
    """The API's reader role, a column comment and a view over the table keep working on the
    new table after the first publish (over the empty placeholder), a swap and a rollback."""
    with pg.cursor() as cur:
        cur.execute("DROP VIEW IF EXISTS public.top_board; DROP TABLE IF EXISTS public.leaderboard;"
                    "DROP TABLE IF EXISTS stir_backup.leaderboard; DROP TABLE IF EXISTS stir_shadow.leaderboard;"
                    "DO $$ BEGIN CREATE ROLE api_reader LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;")
    pg.commit()
    migrate(pg)   # the empty placeholder, set up for the API before the first publish
    with pg.cursor() as cur:
        cur.execute("GRANT SELECT ON public.leaderboard TO api_reader;"
                    "COMMENT ON COLUMN public.leaderboard.followers IS 'followers at the month''s end';"
                    "CREATE VIEW public.top_board AS SELECT id, followers FROM public.leaderboard;"
                    "GRANT SELECT ON public.top_board TO api_reader;")
    pg.commit()

    def as_reader(query):
        conn = psycopg2.connect(conninfo().replace("postgres:@", "api_reader:@"))
        try:
            with conn.cursor() as cur:
                cur.execute(query)
                return cur.fetchall()
        finally:
            conn.close()

    def comment():
        with pg.cursor() as cur:
            cur.execute("SELECT col_description('public.leaderboard'::regclass, "
                        "(SELECT attnum FROM pg_attribute WHERE attrelid = 'public.leaderboard'::regclass "
                        "AND attname = 'followers'))")
            found = cur.fetchone()[0]
        pg.rollback()
        return found

    for fp, row_id in (("first", 7), ("second", 8)):
        publish(pg, tmp_path, fp, row_id)
        assert as_reader("SELECT id FROM public.leaderboard") == [(row_id,)], fp
        assert as_reader("SELECT id, followers FROM public.top_board") == [(row_id, row_id)], fp
        assert comment() == "followers at the month's end", fp
    steps.rollback(pg, SPEC)
    assert as_reader("SELECT id FROM public.leaderboard") == [(7,)]
    assert as_reader("SELECT id FROM public.top_board") == [(7,)]
    assert comment() == "followers at the month's end"


def test_the_load_builds_the_ddl_keys_and_indexes_after_the_copy(pg, tmp_path, live):
    """The shadow is copied into without indexes, then gets exactly the DDL's keys and indexes."""
    publish(pg, tmp_path, "indexed", 6)
    with pg.cursor() as cur:
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                    "AND tablename = 'leaderboard' ORDER BY indexname")
        live_indexes = cur.fetchall()
        cur.execute("SELECT conname, contype FROM pg_constraint WHERE conrelid = 'public.leaderboard'::regclass "
                    "AND contype IN ('p', 'u') ORDER BY conname")
        constraints = cur.fetchall()
    pg.rollback()
    assert [name for name, _ in live_indexes] == [
        "leaderboard_month_platform_category_rank_idx", "leaderboard_month_platform_change_rank_idx",
        "leaderboard_month_platform_profile_idx", "leaderboard_pkey"]
    assert constraints == [("leaderboard_pkey", "p")]
    assert all("ON public.leaderboard" in definition for _, definition in live_indexes)
