"""The load and swap steps against a real PostgreSQL: bad exports fail with an error naming
the table, line and column, and the live serving table stays exactly as it was."""
from __future__ import annotations

import gzip

import pytest

from conftest import pg_rows
from stir.errors import PublishError
from stir.publish import steps
from stir.publish.manifest import Manifest
from stir.publish.specs import SPECS
from stir.serving.migrate import migrate

SPEC = SPECS["leaderboard"]
HEADER = "\t".join(("id", "month", "profile_platform", "platform", "platform_id", "followers",
                    "current_month_ranks", "enabled"))


def export_file(path, lines):
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def manifest(fp, rows):
    return Manifest("leaderboard", SPEC.mart, fp, rows, "unused")


def live_rows(pg):
    return pg_rows(pg, "SELECT id, followers FROM public.leaderboard ORDER BY id")


def shadow_exists(pg):
    with pg.cursor() as cur:
        cur.execute("SELECT to_regclass('stir_shadow.leaderboard') IS NOT NULL")
        found = cur.fetchone()[0]
    pg.rollback()
    return found


@pytest.fixture
def live(pg, tmp_path):
    """A live leaderboard published through load + swap, holding two rows."""
    migrate(pg)
    data = export_file(tmp_path / "good.tsv.gz", [
        HEADER,
        '1\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp1\t100\t{"followers_rank":1}\ttrue',
        '2\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp2\t\\N\t{}\tfalse',
    ])
    steps.load_shadow(pg, SPEC, manifest("good", 2), data)
    steps.swap(pg, SPEC, manifest("good", 2))
    assert live_rows(pg) == [(1, 100), (2, None)]
    return live_rows(pg)


def test_good_export_is_live_with_nulls_json_and_booleans(pg, live):
    with pg.cursor() as cur:
        cur.execute("SELECT current_month_ranks, enabled FROM leaderboard ORDER BY id")
        assert cur.fetchall() == [({"followers_rank": 1}, True), ({}, False)]
        # Loaded with COPY FREEZE: every page is all-visible (and frozen) before it goes live,
        # so no reader sets hint bits and no anti-wraparound vacuum comes for it later.
        cur.execute("SELECT relpages, relallvisible FROM pg_class WHERE oid = 'public.leaderboard'::regclass")
        pages, visible = cur.fetchone()
        assert pages > 0 and visible == pages
    pg.rollback()
    assert steps.has_marker(pg, "public", "leaderboard", "good")


@pytest.mark.parametrize("lines, rows, message", [
    ([HEADER, '3\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp3\t1\t{}\ttrue',
      '4\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp4\tlots\t{}\ttrue'], 2,
     r'leaderboard: loading the shadow table failed; the live table is untouched.[\s\S]*line 3, column followers'
     r'[\s\S]*refused: leaderboard row id=4'),
    ([HEADER, '5\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp5\t1\t{"a": "x\\\\u0000y"}\ttrue'], 1,
     r'unsupported Unicode escape sequence[\s\S]*column current_month_ranks[\s\S]*refused: leaderboard row id=5'),
    ([HEADER, '3\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp3\t1\t{}\ttrue',
      '3\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp4\t1\t{}\ttrue'], 2, r"could not create unique index \"leaderboard_pkey\"[\s\S]*Key \(id\)=\(3\) is duplicated"),
    ([HEADER, '3\t2026-01-01 00:00:00\tIA\t\\N\tp3\t1\t{}\ttrue'], 1, r'column "platform"'),
    ([HEADER + "\tsurprise", '3\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp3\t1\t{}\ttrue\tx'], 1,
     r"has column 'surprise', which the serving table does not"),
    ([HEADER, '3\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp3\t1\t{not json\ttrue'], 1, r"invalid input syntax for type json"),
    ([HEADER, '3\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp3\t1\t{}\ttrue'], 5, r"loaded 1 rows but the export has 5"),
    ([HEADER], 0, r"is empty; refusing to publish an empty table"),
], ids=["wrong-type", "json-nul-escape", "duplicate-id", "null-in-not-null", "unknown-column", "bad-json", "row-count", "empty"])
def test_bad_export_fails_and_leaves_live_untouched(pg, live, tmp_path, lines, rows, message):
    data = export_file(tmp_path / "bad.tsv.gz", lines)
    with pytest.raises(PublishError, match=message):
        steps.load_shadow(pg, SPEC, manifest("bad", rows), data)
    assert live_rows(pg) == live
    assert not shadow_exists(pg)


def test_swap_refuses_a_shadow_of_another_fingerprint(pg, live, tmp_path):
    data = export_file(tmp_path / "next.tsv.gz", [HEADER, '9\t2026-02-01 00:00:00\tIA\tINSTAGRAM\tp9\t9\t{}\ttrue'])
    steps.load_shadow(pg, SPEC, manifest("next", 1), data)
    with pytest.raises(PublishError, match=r"holds stir:next, not fingerprint other"):
        steps.swap(pg, SPEC, manifest("other", 1))
    assert live_rows(pg) == live
    steps.swap(pg, SPEC, manifest("next", 1))
    assert live_rows(pg) == [(9, 9)]
    with pg.cursor() as cur:
        cur.execute("SELECT count(*) FROM stir_backup.leaderboard")
        assert cur.fetchone()[0] == 2
    pg.rollback()


def autovacuum(pg) -> dict:
    """The storage options of the live leaderboard and its backup."""
    return dict(pg_rows(pg, "SELECT n.nspname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE c.relname = 'leaderboard' AND n.nspname IN ('public', 'stir_backup')"))


def test_rollback_swaps_backup_and_live(pg, live, tmp_path):
    data = export_file(tmp_path / "next.tsv.gz", [HEADER, '9\t2026-02-01 00:00:00\tIA\tINSTAGRAM\tp9\t9\t{}\ttrue'])
    steps.load_shadow(pg, SPEC, manifest("next", 1), data)
    steps.swap(pg, SPEC, manifest("next", 1))
    # Autovacuum stays off the backup (no reader uses it; its lock would hold the next swap's DROP).
    assert autovacuum(pg) == {"public": None, "stir_backup": ["autovacuum_enabled=false"]}
    assert steps.rollback(pg, SPEC) == "good"
    assert autovacuum(pg) == {"public": None, "stir_backup": ["autovacuum_enabled=false"]}
    assert live_rows(pg) == live
    assert steps.has_marker(pg, "public", "leaderboard", "good")
    assert steps.has_marker(pg, "stir_backup", "leaderboard", "next")
    with pg.cursor() as cur:
        cur.execute("SELECT source, rows FROM stir_meta.publish_log ORDER BY published_at DESC LIMIT 1")
        assert cur.fetchone() == ("rollback", 2)
    pg.rollback()


def test_rollback_without_backup_is_refused(pg):
    migrate(pg)
    with pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS stir_backup.leaderboard")
    pg.commit()
    with pytest.raises(PublishError, match=r"there is no earlier version to roll back to: no backup of the live table"):
        steps.rollback(pg, SPEC)


def test_first_publish_keeps_no_backup_of_the_empty_table_and_rollback_says_so(pg, tmp_path, caplog_loguru):
    with pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS public.leaderboard; DROP TABLE IF EXISTS stir_backup.leaderboard")
    pg.commit()
    migrate(pg)  # the empty placeholder the API can read before the first publish
    with pytest.raises(PublishError, match=r"nothing to roll back: the table has not been published yet"):
        steps.rollback(pg, SPEC)
    data = export_file(tmp_path / "first.tsv.gz", [HEADER, '7\t2026-02-01 00:00:00\tIA\tINSTAGRAM\tp7\t7\t{}\ttrue'])
    steps.load_shadow(pg, SPEC, manifest("first", 1), data)
    steps.swap(pg, SPEC, manifest("first", 1))
    assert live_rows(pg) == [(7, 7)]
    assert not steps.has_marker(pg, "stir_backup", "leaderboard", "first")
    with pg.cursor() as cur:
        cur.execute("SELECT to_regclass('stir_backup.leaderboard')")
        assert cur.fetchone()[0] is None
    pg.rollback()
    assert any("first publish, no earlier version" in m for m in caplog_loguru)
    assert not any("previous table kept" in m for m in caplog_loguru)
    with pytest.raises(PublishError, match=r"no earlier version to roll back to: no backup of the live table \(fingerprint first\) is kept, as after a first publish"):
        steps.rollback(pg, SPEC)
    assert live_rows(pg) == [(7, 7)]
