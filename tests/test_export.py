"""The export step on chDB's real engine: a whole mart lands in the store with a manifest; a
failing export names table and destination and never shows the store's credentials."""
from __future__ import annotations

import datetime
import gzip
from pathlib import Path

import pytest

from stir.errors import PublishError
from stir.publish import local_stage, steps
from stir.publish.specs import PublishSpec
from stir.store.local import LocalStore

SPEC = PublishSpec(table="leaderboard", mart="stir_test.mart", ddl="leaderboard.sql", tiers=())


@pytest.fixture
def mart(warehouse):
    warehouse.script("""
        CREATE DATABASE IF NOT EXISTS stir_test;
        DROP TABLE IF EXISTS stir_test.mart;
        CREATE TABLE stir_test.mart (id Int64, name Nullable(String), ok Bool) ENGINE = MergeTree ORDER BY id;
        INSERT INTO stir_test.mart VALUES (1, 'a,"b"', true), (2, NULL, false);
    """)
    return warehouse


def test_export_writes_data_then_manifest(mart, tmp_path):
    store = LocalStore(tmp_path)
    fp, rows = steps.fingerprint(mart, SPEC)
    manifest = steps.export(mart, store, SPEC, fp)
    assert (manifest.rows, rows) == (2, 2)
    assert steps.read_manifest(store, "leaderboard", fp) == manifest
    text = gzip.open(tmp_path / manifest.data_key, "rt").read().splitlines()
    assert text[0] == 'id\tname\tok'
    assert sorted(text[1:]) == ['1\ta,"b"\ttrue', '2\t\\N\tfalse']


def test_uncompressed_export_with_checksum(mart, tmp_path):
    """export_compression = none (a local or streamed transfer): plain text, its size and
    SHA-256 in the manifest (for transfer = ssh); the loader tells the formats apart itself."""
    import hashlib

    store = LocalStore(tmp_path)
    fp, _ = steps.fingerprint(mart, SPEC)
    manifest = steps.export(mart, store, SPEC, fp, compression="none", checksum=True)
    raw = (tmp_path / manifest.data_key).read_bytes()
    assert manifest.data_key.endswith("/data.tsv") and raw.startswith(b'id\tname\tok\n')
    assert (manifest.size, manifest.sha256) == (len(raw), hashlib.sha256(raw).hexdigest())
    assert manifest.columns == ("id", "name", "ok") and manifest.rows == 2
    with steps.export_stream(tmp_path / manifest.data_key, text=True) as fh:
        assert fh.read() == raw.decode()


def test_zstd_export_reads_back_as_it_was_written(mart, tmp_path):
    """export_compression = zstd (auto's choice where bytes cross a network): ClickHouse
    compresses by the key's suffix, and the loader unpacks it by its first bytes."""
    store = LocalStore(tmp_path)
    fp, _ = steps.fingerprint(mart, SPEC)
    manifest = steps.export(mart, store, SPEC, fp, compression="zstd", checksum=True)
    assert manifest.data_key.endswith("/data.tsv.zst")
    assert (tmp_path / manifest.data_key).read_bytes()[:4] == b"\x28\xb5\x2f\xfd"   # zstd's magic number
    with steps.export_stream(tmp_path / manifest.data_key, text=True) as fh:
        lines = fh.read().splitlines()
    assert lines[0] == "id\tname\tok" and sorted(lines[1:]) == ['1\ta,"b"\ttrue', '2\t\\N\tfalse']


def test_changed_mart_is_refused(mart, tmp_path, monkeypatch):
    """A ClickHouse server can change a mart under an export (another run): the export is
    fingerprinted again and refused. (chDB is this process's alone: `exclusive` skips that.)"""
    monkeypatch.setattr(mart, "exclusive", False)
    fp, _ = steps.fingerprint(mart, SPEC)
    mart.command("INSERT INTO stir_test.mart VALUES (3, 'c', true)")
    with pytest.raises(PublishError, match=r"changed while it was exported"):
        steps.export(mart, LocalStore(tmp_path), SPEC, fp)


class LeakyStore(LocalStore):
    """A store whose destination carries a credential and cannot be written."""

    def clickhouse_destination(self, key, fmt):
        # Under a regular file, so it cannot be created; ClickHouse's error quotes the path.
        blocker = self.root / "blocker"
        blocker.write_text("")
        return f"file('{blocker}/sekrit-value/x.tsv', 'TabSeparatedWithNames')"

    def secrets(self):
        return ["sekrit-value"]


def test_failed_export_names_table_and_hides_credentials(mart, tmp_path):
    fp, _ = steps.fingerprint(mart, SPEC)
    with pytest.raises(PublishError) as err:
        steps.export(mart, LeakyStore(Path(tmp_path)), SPEC, fp)
    text = str(err.value)
    assert text.startswith(f"leaderboard: exporting stir_test.mart to {tmp_path}/exports/leaderboard/{fp}/data.tsv.gz failed")
    assert "sekrit-value" not in text


def test_missing_mart_says_run_the_models(warehouse):
    with pytest.raises(PublishError, match=r"mart stir_test.nope does not exist; run the models first"):
        steps.fingerprint(warehouse, PublishSpec("leaderboard", "stir_test.nope", "leaderboard.sql", ()))


def test_prune_keeps_the_newest_whole_exports_and_drops_abandoned_ones(tmp_path):
    import os

    store = LocalStore(tmp_path)
    for age, fp in enumerate(["f0", "f1", "f2", "f3"]):
        store.put_text(f"exports/leaderboard/{fp}/data.tsv.gz", "x")
        store.put_text(f"exports/leaderboard/{fp}/manifest.json", "{}")
        os.utime(tmp_path / f"exports/leaderboard/{fp}/manifest.json", (1000 - age, 1000 - age))
    # A crash mid-export (no manifest, untouched since before the run), with put_text's .tmp.
    store.put_text("exports/leaderboard/crashed/data.tsv.gz", "half")
    (tmp_path / "exports/leaderboard/crashed/manifest.json.tmp").write_text("{")
    for name in ("data.tsv.gz", "manifest.json.tmp"):
        os.utime(tmp_path / "exports/leaderboard/crashed" / name, (1500, 1500))
    store.put_text("exports/leaderboard/partial/data.tsv.gz", "still being written")  # written during the run
    assert steps.prune_exports(store, "leaderboard", keep=2, current="f3", started=2000) == ["f2", "crashed"]
    left = sorted(p.name for p in (tmp_path / "exports/leaderboard").iterdir())
    assert left == ["f0", "f1", "f3", "partial"]


def test_prune_stage_drops_downloads_of_abandoned_fingerprints(tmp_path):
    """transfer = local: staged exports (directories) of other fingerprints, whole or .tmp,
    untouched since the run started, go; the current one and newer ones stay."""
    import os

    stage = tmp_path / "leaderboard"
    for name in ("old", "old2.tmp", "cur", "new.tmp"):
        (stage / name).mkdir(parents=True)
        (stage / name / "data_0.tsv").write_text("x")
    (stage / "older.tsv.gz").write_text("x")   # a download of an earlier layout
    for name in ("old", "old2.tmp", "cur", "older.tsv.gz"):
        os.utime(stage / name, (1000, 1000))
    removed = local_stage.prune(tmp_path, "leaderboard", current="cur", started=2000)
    assert sorted(p.name for p in removed) == ["old", "old2.tmp", "older.tsv.gz"]
    assert sorted(p.name for p in stage.iterdir()) == ["cur", "new.tmp"]


@pytest.mark.parametrize("change", [
    "ALTER TABLE stir_test.mart UPDATE name = '' WHERE id = 2",          # NULL -> ''
    "ALTER TABLE stir_test.mart UPDATE ok = true WHERE id = 2",          # change in a row with a NULL
    "ALTER TABLE stir_test.mart UPDATE name = NULL WHERE id = 1",        # a value becomes NULL
    "ALTER TABLE stir_test.mart UPDATE n = 0 WHERE id = 2",              # NULL -> 0
    "ALTER TABLE stir_test.mart UPDATE name = 'a', ok = false WHERE id = 2",  # rows swap values
], ids=["null-to-empty", "row-with-null", "value-to-null", "null-to-zero", "swap"])
def test_fingerprint_sees_every_value_of_every_row(mart, change):
    """A change confined to rows that contain NULLs must change the fingerprint (the old
    sum(cityHash64(*)) skipped every such row, so 85% of a real mart was invisible)."""
    mart.command("ALTER TABLE stir_test.mart ADD COLUMN n Nullable(Int64)")
    mart.command("ALTER TABLE stir_test.mart UPDATE n = 5 WHERE id = 1 SETTINGS mutations_sync = 1")
    before, rows = steps.fingerprint(mart, SPEC)
    mart.command(change + " SETTINGS mutations_sync = 1")
    after, rows_after = steps.fingerprint(mart, SPEC)
    assert rows == rows_after == 2
    assert after != before


def test_fingerprint_is_order_independent_and_sees_column_names(mart):
    fp, _ = steps.fingerprint(mart, SPEC)
    mart.script("""
        CREATE TABLE stir_test.mart2 (id Int64, name Nullable(String), ok Bool) ENGINE = MergeTree ORDER BY ok;
        INSERT INTO stir_test.mart2 VALUES (2, NULL, false);
        INSERT INTO stir_test.mart2 VALUES (1, 'a,"b"', true);
        DROP TABLE stir_test.mart;
        RENAME TABLE stir_test.mart2 TO stir_test.mart;
    """)
    assert steps.fingerprint(mart, SPEC)[0] == fp
    mart.command("ALTER TABLE stir_test.mart RENAME COLUMN name TO title")
    assert steps.fingerprint(mart, SPEC)[0] != fp


def test_export_makes_text_postgresql_safe_and_counts_per_column(warehouse, tmp_path, caplog_loguru):
    warehouse.script("""
        CREATE DATABASE IF NOT EXISTS stir_test;
        DROP TABLE IF EXISTS stir_test.texts;
        CREATE TABLE stir_test.texts (id Int64, handle String, bio Nullable(String), n Int64)
            ENGINE = MergeTree ORDER BY id;
    """)
    warehouse.insert("stir_test.texts", ["id", "handle", "bio", "n"],
                     [(1, "creator\x00x", None, 1), (2, "ok", "a\x00\x00b", 2), (3, "fine", "fine", 3)])
    warehouse.command("INSERT INTO stir_test.texts SELECT 4, 'b' || unhex('FF') || 'd', NULL, 4")
    spec = PublishSpec(table="leaderboard", mart="stir_test.texts", ddl="leaderboard.sql", tiers=())
    fp, _ = steps.fingerprint(warehouse, spec)
    manifest = steps.export(warehouse, LocalStore(tmp_path), spec, fp)
    text = gzip.open(tmp_path / manifest.data_key, "rt", encoding="utf-8").read().splitlines()
    assert sorted(text[1:]) == ['1\tcreatorx\t\\N\t1', '2\tok\tab\t2', '3\tfine\tfine\t3', '4\tb\ufffdd\t\\N\t4']
    logged = "\n".join(caplog_loguru)
    assert "leaderboard: column handle: 2 value(s) had NUL characters" in logged
    assert "leaderboard: column bio: 1 value(s)" in logged


def test_extra_mart_columns_are_refused_or_left_out_per_spec(mart, tmp_path):
    """extra_columns = 'refuse' (default): a mart column the serving table lacks is drift;
    'ignore': it is no drift and the export leaves it out."""
    import dataclasses

    from stir.publish import schema

    serving = [("id", "bigint"), ("ok", "boolean")]
    mart_columns = dict(mart.columns(SPEC.mart))
    assert schema.compare(SPEC, mart_columns, serving) == [
        "mart column name is not a column of the serving table (add it to leaderboard.sql, drop it, "
        "or set extra_columns = 'ignore' in its PublishSpec)"]
    lenient = dataclasses.replace(SPEC, extra_columns="ignore")
    assert schema.compare(lenient, mart_columns, serving) == []
    assert schema.compare(lenient, {"id": "String"}, serving) == [
        "column id is String in mart stir_test.mart, which does not load into the serving table's bigint",
        "serving column ok (boolean) is missing from mart stir_test.mart"]
    fp, _ = steps.fingerprint(mart, lenient)
    manifest = steps.export(mart, LocalStore(tmp_path), lenient, fp, compression="none", only=frozenset(["id", "ok"]))
    assert manifest.columns == ("id", "ok")
    assert (tmp_path / manifest.data_key).read_text().splitlines()[0] == 'id\tok'
    with pytest.raises(ValueError, match="extra_columns must be 'refuse' or 'ignore'"):
        dataclasses.replace(SPEC, extra_columns="add")


AWKWARD = ["tab\there", "two\nlines", "cr\rlf\r\n", "back\\slash\\", "quotes '\" and \\N inside", "\\N", "\\.", "",
           "comma, semicolon; pipe|", "ünïcødé ✓"]


def test_awkward_text_survives_the_export_and_copy_exactly(warehouse, pg, own_leaderboard, tmp_path):
    """Every character the text format escapes (tab, newline, carriage return, backslash),
    the NULL marker and the end-of-data marker spelled as values, quotes and JSON holding
    escapes reach the live table exactly as the mart has them; NULL stays NULL."""
    warehouse.script("""
        CREATE DATABASE IF NOT EXISTS stir_test;
        DROP TABLE IF EXISTS stir_test.awkward;
        CREATE TABLE stir_test.awkward (id Int64, month DateTime, profile_platform String, platform String,
            platform_id String, handle Nullable(String), current_month_ranks String) ENGINE = MergeTree ORDER BY id;
    """)
    ranks = '{"note": "say \\"hi\\"\\tthen\\\\leave", "n": 1}'
    month = datetime.datetime(2026, 1, 1)
    rows = [(i + 1, month, "IA", "INSTAGRAM", text, text, ranks) for i, text in enumerate(AWKWARD)]
    rows.append((len(rows) + 1, month, "IA", "INSTAGRAM", "null handle", None, "{}"))
    warehouse.insert("stir_test.awkward", ["id", "month", "profile_platform", "platform", "platform_id", "handle",
                                           "current_month_ranks"], rows)
    spec = PublishSpec(table="leaderboard", mart="stir_test.awkward", ddl="leaderboard.sql", tiers=())
    store = LocalStore(tmp_path)
    fp, _ = steps.fingerprint(warehouse, spec)
    manifest = steps.export(warehouse, store, spec, fp, compression="none")
    steps.load_shadow(pg, spec, manifest, lambda: store.open(manifest.data_key))
    steps.swap(pg, spec, manifest)
    with pg.cursor() as cur:
        cur.execute("SELECT platform_id, handle, current_month_ranks FROM public.leaderboard ORDER BY id")
        got = cur.fetchall()
    pg.rollback()
    assert got == [(text, text, {"note": 'say "hi"\tthen\\leave', "n": 1}) for text in AWKWARD] + \
        [("null handle", None, {})]


def test_a_local_download_is_a_link_and_a_new_export_never_changes_it(mart, tmp_path):
    """transfer = local with the local store: the staged file is the export itself (a hard
    link, no copy). Writing the export again (a retried ExportMart) makes a new file, so the
    staged one keeps the bytes it was downloaded with."""
    store = LocalStore(tmp_path / "store")
    fp, _ = steps.fingerprint(mart, SPEC)
    manifest = steps.export(mart, store, SPEC, fp, compression="none")
    directory = tmp_path / "stage" / "leaderboard" / fp
    local_stage.stage(store, manifest, directory)
    staged = local_stage.staged(manifest, directory)
    before = staged.read_bytes()
    assert staged.stat().st_ino == store.path(manifest.data_key).stat().st_ino
    mart.command("INSERT INTO stir_test.mart VALUES (3, 'c', true)")
    steps.export(mart, store, SPEC, fp, compression="none")
    assert staged.read_bytes() == before
    assert store.path(manifest.data_key).read_bytes() != before


def test_an_export_in_parts_is_staged_whole_for_parallel_copy(mart, tmp_path):
    """transfer = local with copy_streams = 2: both parts are staged, in order, and the stage
    appears only once all of them are there."""
    mart.command("INSERT INTO stir_test.mart SELECT number + 10, toString(number), true FROM numbers(20)")
    store = LocalStore(tmp_path / "store")
    fp, _ = steps.fingerprint(mart, SPEC)
    manifest = steps.export(mart, store, SPEC, fp, compression="none", parts=2)
    directory = tmp_path / "stage" / "leaderboard" / fp
    local_stage.stage(store, manifest, directory)
    files = local_stage.staged(manifest, directory)
    assert [f.name for f in files] == ["data_0.tsv", "data_1.tsv"]
    assert sorted(p.name for p in directory.parent.iterdir()) == [fp]   # no .tmp left
    assert sum(len(f.read_text().splitlines()) - 1 for f in files) == 22
