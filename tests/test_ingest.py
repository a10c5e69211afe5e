"""stir ingest: good files load; each kind of bad file fails with an error naming file, line
and column, and loads nothing of that file. Runs on chDB's real ClickHouse engine."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import write_jsonl
from stir.errors import IngestError
from stir.ingest import ingest_dir, ingest_file

ACCOUNT = "beat_replica.instagram_account"


def account(i: int, **over) -> dict:
    row = {
        "id": i, "profile_id": f"p{i}", "handle": f"h{i}", "full_name": f"Name {i}", "biography": "",
        "followers": 100 * i, "following": 5, "media_count": 3, "is_verified": 0, "is_business": 1,
        "category": "Tech", "language": None, "country": "IN", "city": None, "profile_pic_url": "u",
        "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-02 03:04:05",
    }
    row.update(over)
    return row


def count(wh, table=ACCOUNT) -> int:
    return wh.scalar(f"SELECT count() FROM {table}")


def test_good_jsonl_loads_every_row_with_its_values(warehouse, tmp_path):
    before = count(warehouse)
    path = write_jsonl(tmp_path, ACCOUNT, [account(900001), account(900002, category=None)])
    # A missing Nullable column is NULL.
    row = account(900003)
    del row["city"]
    with path.open("a") as fh:
        fh.write(json.dumps(row) + "\n")
    loaded = ingest_file(warehouse, path)
    assert loaded.rows == 3 and loaded.table == ACCOUNT
    assert count(warehouse) == before + 3
    rows = warehouse.query(
        f"SELECT id, followers, category, city, toString(updated_at) FROM {ACCOUNT} "
        "WHERE id IN (900001, 900002, 900003) ORDER BY id"
    )
    assert rows == [
        (900001, 90000100, "Tech", None, "2026-01-02 03:04:05"),
        (900002, 90000200, None, None, "2026-01-02 03:04:05"),
        (900003, 90000300, "Tech", None, "2026-01-02 03:04:05"),
    ]


def test_good_parquet_loads(warehouse, tmp_path):
    before = count(warehouse, "_e.profile_log_events")
    table = pa.table({
        "event_id": ["6f1c3c52-8a2b-4c39-9a55-1d2f3e4a5b6c", "7f1c3c52-8a2b-4c39-9a55-1d2f3e4a5b6c"],
        "platform": ["INSTAGRAM", "YOUTUBE"],
        "profile_id": ["p1", "c1"],
        "metrics": ['{"followers": 10}', '{"views": 5}'],
        "insert_timestamp": pa.array([1767225600, 1767225660], pa.timestamp("s")),
    })
    path = tmp_path / "_e.profile_log_events.parquet"
    pq.write_table(table, path)
    assert ingest_file(warehouse, path).rows == 2
    assert count(warehouse, "_e.profile_log_events") == before + 2
    assert warehouse.query(
        "SELECT toString(insert_timestamp) FROM _e.profile_log_events "
        "WHERE event_id = '7f1c3c52-8a2b-4c39-9a55-1d2f3e4a5b6c'"
    ) == [("2026-01-01 00:01:00",)]


@pytest.mark.parametrize(
    "bad_line, message",
    [
        (account(3, extra="x"), "line 3: column 'extra' is not a column of beat_replica.instagram_account"),
        (account(3, followers="many"), "line 3: column 'followers' of beat_replica.instagram_account: expected an integer (Int64), got 'many'"),
        (account(3, is_verified=300), "line 3: column 'is_verified' of beat_replica.instagram_account: 300 is out of range for UInt8"),
        (account(3, updated_at="yesterday"), "line 3: column 'updated_at' of beat_replica.instagram_account: expected a DateTime"),
        (account(3, handle=None), "line 3: column 'handle' of beat_replica.instagram_account is null, and it is not Nullable"),
        ({k: v for k, v in account(3).items() if k != "followers"}, "line 3: column 'followers' of beat_replica.instagram_account is missing"),
    ],
    ids=["unknown-column", "wrong-type", "out-of-range", "bad-datetime", "null-in-not-nullable", "missing-column"],
)
def test_bad_row_names_file_line_column_and_loads_nothing(warehouse, tmp_path, bad_line, message):
    before = count(warehouse)
    path = write_jsonl(tmp_path, ACCOUNT, [account(1), account(2), bad_line, account(4)])
    with pytest.raises(IngestError) as err:
        ingest_file(warehouse, path)
    assert str(path) in str(err.value)
    assert message in str(err.value)
    assert count(warehouse) == before
    assert warehouse.query("SELECT count() FROM system.tables WHERE database = 'stir_ingest'") == [(0,)]


def test_invalid_json_line_is_named(warehouse, tmp_path):
    path = write_jsonl(tmp_path, ACCOUNT, [account(1)])
    with path.open("a") as fh:
        fh.write('{"id": 2, "profile_id": \n')
    before = count(warehouse)
    with pytest.raises(IngestError, match=r"line 2: not valid JSON"):
        ingest_file(warehouse, path)
    assert count(warehouse) == before


def test_unknown_table_file_is_refused(warehouse, tmp_path):
    path = write_jsonl(tmp_path, "beat_replica.instagram_acount", [account(1)])
    with pytest.raises(IngestError, match=r"unknown table 'beat_replica.instagram_acount'"):
        ingest_file(warehouse, path)


def test_parquet_with_a_wrong_type_names_row_and_column(warehouse, tmp_path):
    before = count(warehouse, "beat_replica.social_profile_link")
    path = tmp_path / "beat_replica.social_profile_link.parquet"
    pq.write_table(pa.table({
        "instagram_profile_id": ["p1", "p2"],
        "channel_id": ["c1", "c2"],
        "updated_at": ["2026-01-01 00:00:00", "not a time"],
    }), path)
    with pytest.raises(IngestError, match=r"row 2: column 'updated_at' of beat_replica.social_profile_link"):
        ingest_file(warehouse, path)
    assert count(warehouse, "beat_replica.social_profile_link") == before


def test_directory_stops_at_the_bad_file_and_says_what_was_loaded(warehouse, tmp_path):
    write_jsonl(tmp_path, "beat_replica.social_profile_link",
                [{"instagram_profile_id": "x1", "channel_id": "c", "updated_at": "2026-01-01 00:00:00"}])
    write_jsonl(tmp_path, "beat_replica.youtube_audience",
                [{"channel_id": "c", "audience_gender": "{}", "audience_age": "{}", "source": 5,
                  "updated_at": "2026-01-01 00:00:00"}])
    before = count(warehouse, "beat_replica.youtube_audience")
    with pytest.raises(IngestError) as err:
        ingest_dir(warehouse, tmp_path)
    text = str(err.value)
    assert "beat_replica.youtube_audience.jsonl: line 1: column 'source'" in text
    assert "files loaded before it: beat_replica.social_profile_link.jsonl" in text
    assert count(warehouse, "beat_replica.youtube_audience") == before


def test_cli_ingest_reports_error_and_exits_non_zero(stir_home, tmp_path):
    write_jsonl(tmp_path / "in", ACCOUNT, [account(1, followers=1.5)])
    proc = stir_home.run("ingest", str(tmp_path / "in"), check=False)
    assert proc.returncode == 1
    assert "line 1: column 'followers'" in proc.stderr


def test_timestamps_are_utc_whatever_the_machine_zone(stir_home, tmp_path):
    write_jsonl(tmp_path / "in", "beat_replica.social_profile_link",
                [{"instagram_profile_id": "p", "channel_id": "c", "updated_at": "2026-01-31 23:30:00"}])
    stir_home.env["TZ"] = "Asia/Kolkata"
    stir_home.run("ingest", str(tmp_path / "in"))
    # 2026-01-31 23:30:00 UTC; read in Kolkata time it would land in February.
    assert stir_home.sql(
        "SELECT toUnixTimestamp(updated_at), toString(toStartOfMonth(updated_at)) FROM beat_replica.social_profile_link"
    ) == [[1769902200, "2026-01-01"]]


def test_same_file_twice_is_skipped_and_force_loads_it_again(warehouse, tmp_path, caplog_loguru):
    path = write_jsonl(tmp_path, ACCOUNT, [account(501), account(502)])
    before = count(warehouse)
    assert not ingest_file(warehouse, path).skipped
    again = ingest_file(warehouse, path)
    assert again.skipped and again.rows == 2
    assert count(warehouse) == before + 2
    assert any(m.startswith(f"skipped {path.name}: the same content (2 rows") for m in caplog_loguru)
    # Same content under another name is the same file.
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / path.name).write_bytes(path.read_bytes())
    assert ingest_dir(warehouse, copy)[0].skipped
    assert not ingest_file(warehouse, path, force=True).skipped
    assert count(warehouse) == before + 4


def test_staging_left_by_a_killed_ingest_is_dropped_by_the_next(warehouse, tmp_path):
    """What a SIGKILL between staging and attaching leaves: a filled staging table."""
    warehouse.script(f"""
        CREATE DATABASE IF NOT EXISTS stir_ingest;
        CREATE TABLE stir_ingest.killed_ingest AS {ACCOUNT};
    """)
    warehouse.insert("stir_ingest.killed_ingest", ["id", "profile_id", "handle", "full_name", "biography", "followers",
                     "following", "media_count", "is_verified", "is_business", "profile_pic_url"],
                     [(9, "p9", "h", "n", "", 1, 1, 1, 0, 0, "")])
    write_jsonl(tmp_path, ACCOUNT, [account(601)])
    ingest_dir(warehouse, tmp_path)
    assert warehouse.query("SELECT name FROM system.tables WHERE database = 'stir_ingest'") == []


def test_failed_directory_resumes_after_the_files_already_in(warehouse, tmp_path):
    link = "beat_replica.social_profile_link"
    write_jsonl(tmp_path, link, [{"instagram_profile_id": "r1", "channel_id": "c", "updated_at": "2026-01-01 00:00:00"}])
    write_jsonl(tmp_path, "beat_replica.youtube_audience",
                [{"channel_id": "r", "audience_gender": "{}", "audience_age": "{}", "source": 5,
                  "updated_at": "2026-01-01 00:00:00"}])
    links, audience = count(warehouse, link), count(warehouse, "beat_replica.youtube_audience")
    with pytest.raises(IngestError, match=r"files loaded before it: beat_replica.social_profile_link.jsonl"):
        ingest_dir(warehouse, tmp_path)
    write_jsonl(tmp_path, "beat_replica.youtube_audience",
                [{"channel_id": "r", "audience_gender": "{}", "audience_age": "{}", "source": "insights",
                  "updated_at": "2026-01-01 00:00:00"}])
    loaded = ingest_dir(warehouse, tmp_path)
    assert [item.skipped for item in loaded] == [True, False]
    assert count(warehouse, link) == links + 1
    assert count(warehouse, "beat_replica.youtube_audience") == audience + 1


def test_cli_says_what_it_skipped(stir_home, tmp_path):
    write_jsonl(tmp_path / "in", ACCOUNT, [account(1)])
    assert "ingested 1 rows from 1 file(s)" in stir_home.run("ingest", str(tmp_path / "in")).stdout
    again = stir_home.run("ingest", str(tmp_path / "in")).stdout
    assert "ingested 0 rows from 0 file(s); skipped 1 file(s) already loaded" in again
    assert "ingested 1 rows" in stir_home.run("ingest", "--force", str(tmp_path / "in")).stdout
    assert stir_home.sql(f"SELECT count() FROM {ACCOUNT}") == [[2]]


@pytest.mark.parametrize("content, message", [
    (b'{"instagram_profile_id": "a\xff", "channel_id": "c", "updated_at": "2026-01-01 00:00:00"}\n',
     r"line 1: not valid UTF-8 \(byte 0xff at byte 28 of the line\)"),
    (b'{"instagram_profile_id": "a\\ud800", "channel_id": "c", "updated_at": "2026-01-01 00:00:00"}\n',
     r"line 1: column 'instagram_profile_id' of beat_replica.social_profile_link: not valid Unicode"),
    (b'{"instagram_profile_id": "a", "channel_id": "c", "updated_at": "2200-01-01 00:00:00"}\n',
     r"line 1: column 'updated_at' of beat_replica.social_profile_link: 2200-01-01 00:00:00 is outside "
     r"ClickHouse's DateTime range"),
], ids=["invalid-utf8", "lone-surrogate", "datetime-after-2106"])
def test_undecodable_or_out_of_range_values_are_named(warehouse, tmp_path, content, message):
    path = tmp_path / "beat_replica.social_profile_link.jsonl"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        ingest_file(warehouse, path)


def test_parquet_datetime_before_1970_is_named(warehouse, tmp_path):
    import datetime as dt

    path = tmp_path / "beat_replica.social_profile_link.parquet"
    pq.write_table(pa.table({"instagram_profile_id": ["p1"], "channel_id": ["c1"],
                             "updated_at": [dt.datetime(1960, 5, 1)]}), path)
    with pytest.raises(IngestError, match=r"row 1: column 'updated_at' of .*1960-05-01 00:00:00 is outside"):
        ingest_file(warehouse, path)


def test_directory_named_like_a_contract_file_is_named(warehouse, tmp_path):
    (tmp_path / "beat_replica.instagram_account.jsonl").mkdir()
    with pytest.raises(IngestError, match=r"beat_replica.instagram_account.jsonl: is a directory"):
        ingest_dir(warehouse, tmp_path)
