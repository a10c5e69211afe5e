"""Gates before a swap (issue 8, item 4): schema drift between a mart and its serving table
fails before anything is exported, naming the columns; a new table much smaller than the
live one is refused; the live table stays as it was."""
from __future__ import annotations

import pytest

from stir.errors import PublishError
from stir.publish import schema, steps
from stir.publish.specs import PublishSpec
from stir.serving.migrate import migrate
from test_publish import HEADER, SPEC, export_file, live_rows, manifest

CH_TYPE = {"bigint": "Int64", "text": "String", "double precision": "Float64", "jsonb": "String",
           "timestamp without time zone": "DateTime", "boolean": "Bool"}
MART = PublishSpec(table="leaderboard", mart="stir_test.lb_mart", ddl="leaderboard.sql", tiers=())


@pytest.fixture
def fitting_mart(warehouse, pg):
    """A ClickHouse mart with exactly the leaderboard's serving columns, in loadable types."""
    columns = ", ".join(f"{name} Nullable({CH_TYPE[kind]})" for name, kind in schema.serving_columns(pg, SPEC))
    warehouse.script(f"""
        CREATE DATABASE IF NOT EXISTS stir_test;
        DROP TABLE IF EXISTS stir_test.lb_mart;
        CREATE TABLE stir_test.lb_mart ({columns}) ENGINE = Memory;
    """)
    return warehouse


def test_a_fitting_mart_passes(fitting_mart, pg):
    assert schema.drift(fitting_mart, pg, MART) == []
    schema.check(fitting_mart, pg, MART)


@pytest.mark.parametrize("change, message", [
    ("DROP COLUMN followers", "serving column followers (bigint) is missing from mart stir_test.lb_mart"),
    ("MODIFY COLUMN enabled Nullable(String)",
     "column enabled is Nullable(String) in mart stir_test.lb_mart, which does not load into the serving table's boolean"),
    ("MODIFY COLUMN platform_profile_id UInt64", "column platform_profile_id is UInt64 in mart"),
    ("ADD COLUMN surprise String", "mart column surprise is not a column of the serving table"),
], ids=["missing", "boolean-from-text", "uint64-into-bigint", "extra"])
def test_drift_is_named_before_anything_is_exported(fitting_mart, pg, change, message):
    fitting_mart.command(f"ALTER TABLE stir_test.lb_mart {change}")
    with pytest.raises(PublishError) as err:
        schema.check(fitting_mart, pg, MART)
    text = str(err.value)
    assert text.startswith("leaderboard: the mart does not fit the serving table (leaderboard.sql); nothing was "
                           "exported and the live table is untouched")
    assert message in text


def test_a_much_smaller_table_is_refused(pg, tmp_path):
    migrate(pg)
    two = export_file(tmp_path / "two.tsv.gz", [HEADER, '1\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp1\t1\t{}\ttrue',
                                                '2\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp2\t2\t{}\ttrue'])
    steps.load_shadow(pg, SPEC, manifest("two", 2), two)
    steps.swap(pg, SPEC, manifest("two", 2))
    one = export_file(tmp_path / "one.tsv.gz", [HEADER, '3\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp3\t3\t{}\ttrue'])
    with pytest.raises(PublishError, match=r"the new table has 1 rows, fewer than 0.75 of the live table's 2 "
                                           r"\(min_row_fraction\); refusing to publish it"):
        steps.load_shadow(pg, SPEC, manifest("one", 1), one, min_row_fraction=0.75)
    assert live_rows(pg) == [(1, 1), (2, 2)]
    steps.load_shadow(pg, SPEC, manifest("one", 1), one, min_row_fraction=0.5)   # half is allowed


def test_the_row_gate_reads_the_live_versions_logged_rows_or_counts_them(pg, own_leaderboard, tmp_path):
    """The live table's rows come from publish_log (its version's entry), not a count of a
    large table; with no entry (a log pruned by hand) they are counted."""
    two = export_file(tmp_path / "two.tsv.gz", [HEADER, '1\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp1\t1\t{}\ttrue',
                                                '2\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp2\t2\t{}\ttrue'])
    steps.load_shadow(pg, SPEC, manifest("logged2", 2), two)
    steps.swap(pg, SPEC, manifest("logged2", 2))
    one = export_file(tmp_path / "one.tsv.gz", [HEADER, '3\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp3\t3\t{}\ttrue'])
    with pg.cursor() as cur:
        cur.execute("UPDATE stir_meta.publish_log SET rows = 4 WHERE fingerprint = 'logged2'")
    pg.commit()
    with pytest.raises(PublishError, match=r"fewer than 0.5 of the live table's 4 \(min_row_fraction\)"):
        steps.load_shadow(pg, SPEC, manifest("logged1", 1), one, min_row_fraction=0.5)
    with pg.cursor() as cur:
        cur.execute("DELETE FROM stir_meta.publish_log WHERE fingerprint = 'logged2'")
    pg.commit()
    with pytest.raises(PublishError, match=r"fewer than 0.75 of the live table's 2 \(min_row_fraction\)"):
        steps.load_shadow(pg, SPEC, manifest("logged1", 1), one, min_row_fraction=0.75)
    assert live_rows(pg) == [(1, 1), (2, 2)]
