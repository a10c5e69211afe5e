"""Small pure pieces: value checks, SQL script splitting, seed determinism, settings."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import time

import pytest

from conftest import REPO
from stir.errors import ConfigError
from stir.ingest.values import converter
from stir.log import prune_run_logs
from stir.seed import generate
from stir.settings import load_settings
from stir.sqlfiles import ident, split_statements


def test_converters():
    conv, nullable = converter("Nullable(Int64)")
    assert nullable and conv(5) == 5
    with pytest.raises(ValueError):
        conv(True)
    arr, _ = converter("Array(String)")
    assert arr(["a"]) == ["a"]
    with pytest.raises(ValueError):
        arr([1])
    dtc, _ = converter("DateTime")
    assert dtc("2026-01-02T03:04:05Z") == dt.datetime(2026, 1, 2, 3, 4, 5)
    assert dtc("2026-01-02 03:04:05") == dt.datetime(2026, 1, 2, 3, 4, 5)
    assert dtc("2026-01-02T08:34:05+05:30") == dt.datetime(2026, 1, 2, 3, 4, 5)
    for bad in ("2026-01-02", "yesterday", "2026-13-02 03:04:05", 1767225600):
        with pytest.raises(ValueError):
            dtc(bad)
    lc, nullable = converter("LowCardinality(String)")
    assert not nullable and lc("x") == "x"


def test_split_statements_ignores_comments():
    assert split_statements("-- a; comment\nSELECT 1;\n\nSELECT 2; -- tail\nSELECT 3") == ["SELECT 1", "SELECT 2", "SELECT 3"]


def test_ident_refuses_injection():
    assert ident("db.table") == "db.table"
    with pytest.raises(ValueError):
        ident("t; DROP TABLE x")


def test_seed_is_deterministic(tmp_path):
    def digest(directory):
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}

    generate(tmp_path / "a", 30, 3, 9, dt.date(2026, 6, 1))
    generate(tmp_path / "b", 30, 3, 9, dt.date(2026, 6, 1))
    generate(tmp_path / "c", 30, 3, 10, dt.date(2026, 6, 1))
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_settings_env_overrides_and_validation(monkeypatch):
    monkeypatch.setenv("STIR_LOCK_TIMEOUT", "7")
    assert load_settings().lock_timeout == 7
    monkeypatch.setenv("STIR_WAREHOUSE", "duckdb")
    with pytest.raises(ConfigError, match="warehouse"):
        load_settings()
    monkeypatch.setenv("STIR_WAREHOUSE", "clickhouse")
    with pytest.raises(ConfigError, match="needs store = s3"):
        load_settings()
    monkeypatch.setenv("STIR_WAREHOUSE", "chdb")
    monkeypatch.setenv("STIR_STORE", "s3")
    with pytest.raises(ConfigError, match="s3_bucket"):
        load_settings()


def test_sources_sql_is_the_contract():
    from conftest import CONTRACT, REPO

    if not (CONTRACT / "sources.sql").exists():
        pytest.skip("shared/contract is not beside this checkout")
    ours = (REPO / "stir" / "warehouse" / "sql" / "sources.sql").read_text()
    assert ours == (CONTRACT / "sources.sql").read_text()


def test_relative_paths_are_relative_to_the_project(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STIR_HOME", "some-home")
    settings = load_settings()
    assert settings.home == REPO / "some-home"
    assert settings.chdb_path == REPO / "some-home" / "warehouse"
    assert settings.sqlmesh_project == REPO / "sqlmesh_project"


def test_project_is_found_from_the_environment_the_working_directory_or_the_checkout(monkeypatch, tmp_path):
    from stir.errors import ConfigError
    from stir.settings import CHECKOUT, project_dir

    project = tmp_path / "deploy"
    (project / "sqlmesh_project" / "models").mkdir(parents=True)
    monkeypatch.delenv("STIR_PROJECT")
    monkeypatch.chdir(project / "sqlmesh_project" / "models")
    assert project_dir() == project                      # a parent of the working directory
    monkeypatch.chdir(tmp_path)
    if (CHECKOUT / "sqlmesh_project").is_dir():
        assert project_dir() == CHECKOUT                 # the checkout of an editable install
    else:                                                # an installed wheel has none
        with pytest.raises(ConfigError, match=r"no Stir project found from .*set STIR_PROJECT"):
            project_dir()
    monkeypatch.setenv("STIR_PROJECT", str(project))
    assert project_dir() == project
    monkeypatch.setenv("STIR_HOME", "state")
    assert load_settings().home == project / "state"
    monkeypatch.setenv("STIR_PROJECT", str(tmp_path))
    with pytest.raises(ConfigError, match=r"has no sqlmesh_project/ directory"):
        project_dir()


def test_the_package_under_test_is_the_installed_one_under_tox():
    """tox sets STIR_EXPECT_INSTALLED: the tests must import the built wheel, not the checkout."""
    import os

    import stir

    if not os.environ.get("STIR_EXPECT_INSTALLED"):
        pytest.skip("only under tox")
    assert "site-packages" in stir.__file__ and not stir.__file__.startswith(str(REPO / "stir"))


def test_seed_is_shaped_like_the_real_crawl(tmp_path):
    import json
    from collections import Counter, defaultdict

    counts = generate(tmp_path, 400, 4, 5, dt.date(2026, 6, 1))
    assert set(counts) >= {"beat_replica.instagram_account", "beat_replica.instagram_post", "_e.profile_log_events",
                           "beat_replica.youtube_account", "beat_replica.youtube_post", "beat_replica.instagram_audience"}
    accounts = [json.loads(line) for line in (tmp_path / "beat_replica.instagram_account.jsonl").open()]
    latest = {a["profile_id"]: a for a in sorted(accounts, key=lambda a: a["updated_at"])}
    followers = sorted(a["followers"] for a in latest.values())
    assert followers[0] == 0                                  # some zero-follower profiles
    assert followers[-1] > 20 * followers[len(followers) // 2]  # a heavy tail
    assert len({a["category"] for a in latest.values()}) >= 5 and None in {a["category"] for a in latest.values()}
    assert len({a["country"] for a in latest.values()}) >= 4
    months = defaultdict(set)
    for line in (tmp_path / "_e.profile_log_events.jsonl").open():
        event = json.loads(line)
        if event["platform"] == "INSTAGRAM":
            months[event["profile_id"]].add(event["insert_timestamp"][:7])
    assert Counter(len(m) for m in months.values())[3] > 0     # profiles with a missing month
    assert all(a["updated_at"] < "2026-06-01" for a in accounts)


def test_every_model_runs_at_its_tiers_cadence():
    """A model's cron is its tier's (a 15min model is due every 15 minutes; a model of several
    tiers, the fastest one's): SQLMesh only computes an interval once it is due, so a
    mismatch makes a tier skip new data. A checkpoint (tag `checkpoint`) is daily whatever its
    tier: the models that read it read the data after it themselves."""
    import re

    from stir.tiers import TIER_CRON

    models = sorted((REPO / "sqlmesh_project" / "models").rglob("*.sql"))
    assert models
    for path in models:
        text = path.read_text()
        tags = re.search(r"^\s*tags\s*\(([^)]*)\)", text, re.M)
        assert tags, f"{path.name}: no tier tag"
        names = [t.strip() for t in tags.group(1).split(",")]
        tiers = [t for t in names if t in TIER_CRON]
        assert tiers, f"{path.name}: tagged with no tier"
        # A model read by several tiers runs at the fastest one's cadence.
        fastest = min(tiers, key=list(TIER_CRON).index)
        cron = re.search(r"^\s*cron\s+'([^']+)'", text, re.M)
        due = "@daily" if "checkpoint" in names else TIER_CRON[fastest]
        assert (cron.group(1) if cron else "@daily") == due, path.name


def test_copy_progress_counts_the_lines_read():
    """LoadShadow's progress during COPY: the reader counts lines as COPY reads them and reports
    along the way and at the end."""
    import io

    from stir.publish.steps import ProgressReader

    seen: list[int] = []
    reader = ProgressReader(io.BytesIO(b"id,name\n" + b"".join(b"%d,x\n" % i for i in range(1000))), seen.append,
                            every_s=0)
    while reader.read(512):
        pass
    assert seen == sorted(seen) and len(seen) > 5
    assert seen[-1] == 1001


def test_run_logs_older_than_keep_logs_days_are_removed(tmp_path):
    def log(name, days_old):
        path = tmp_path / name
        path.write_text("x")
        os.utime(path, (time.time() - days_old * 86400,) * 2)
        return path

    old = log("15min-20261001T120000-41.log", 31)
    recent = log("daily-20261020T190000-42.log", 29)
    current = log("5min-20261101T120500-43.log", 40)   # this run's own file, whatever its date
    other = log("notes.log", 90)                        # not a run log: never touched
    assert prune_run_logs(tmp_path, 30, current) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (recent, current, other))
    assert not old.exists()
    assert prune_run_logs(tmp_path, 0, current) == 0 and recent.exists()   # 0 keeps them all


def test_the_project_digest_follows_the_files_and_the_config_that_reach_fingerprints(tmp_path):
    import shutil
    from types import SimpleNamespace

    from stir.project_record import digest

    project = tmp_path / "sqlmesh_project"
    shutil.copytree(REPO / "sqlmesh_project", project, ignore=shutil.ignore_patterns(".cache", "logs"))

    from sqlmesh.core.config import ModelDefaultsConfig

    config = SimpleNamespace(model_defaults=ModelDefaultsConfig(dialect="clickhouse", start="2024-01-01"),
                             variables={"model_start": "2024-01-01"})
    first = digest(project, config)
    for ignored in ("logs/sqlmesh_1.log", ".cache/model_definition/x", "macros/__pycache__/m.cpython-311.pyc"):
        (project / ignored).parent.mkdir(parents=True, exist_ok=True)
        (project / ignored).write_text("anything")
    assert digest(project, config) == first
    model = project / "models" / "marts" / "mart_leaderboard.sql"
    model.write_text(model.read_text() + "\n")
    edited = digest(project, config)
    assert edited != first
    config.variables = {"model_start": "2025-01-01"}
    assert digest(project, config) not in (first, edited)
    config.variables = {"model_start": "2024-01-01"}
    assert digest(project, config) == edited
    config.model_defaults = ModelDefaultsConfig(dialect="clickhouse", start="2024-01-01", cron="@hourly")
    assert digest(project, config) != edited
    config.model_defaults = ModelDefaultsConfig(dialect="clickhouse", start="2024-01-01")
    (project / "models" / "staging" / "stg_new.sql").write_text("MODEL (name s.x); SELECT 1")
    assert digest(project, config) != edited


def test_model_runs_skip_sqlmeshs_usage_analytics_wrapper():
    # Context.run's wrapper imports IPython and walks the stack on every call; Stir calls the
    # method it wraps (if SQLMesh drops or renames the wrapper, this says so).
    from sqlmesh.core.context import GenericContext

    from stir.models import _without_analytics

    run = _without_analytics(GenericContext.run)
    assert run is not GenericContext.run and run.__name__ == "run" and not hasattr(run, "__wrapped__")
