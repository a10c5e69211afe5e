"""Re-runs: a model change publishes again; a model that produces rows the serving table
rejects fails the tier naming the table and column while the live table keeps serving; a
crashed publish resumes at the step that was not finished."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, Stir

MART = "models/marts/mart_leaderboard.sql"


def live(stir):
    conn = stir.pg()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), count(*) FILTER (WHERE enabled) FROM leaderboard")
        counts = cur.fetchone()
        cur.execute("SELECT count(*) FROM stir_meta.publish_log WHERE serving_table = 'leaderboard'")
        publishes = cur.fetchone()[0]
    conn.close()
    return counts, publishes


@pytest.fixture(scope="module")
def seeded_project(tmp_path_factory):
    """One seeded home with a daily run done, on a copy of the SQLMesh project, for the module."""
    base = tmp_path_factory.mktemp("republish")
    project = base / "project"
    shutil.copytree(REPO / "sqlmesh_project", project, ignore=shutil.ignore_patterns(".cache", "logs"))
    stir = Stir(base / "home")
    stir.env["STIR_SQLMESH_PROJECT"] = str(project)
    stir.run("seed", "--profiles", "60", "--months", "3", "--end", "2026-09-01")
    stir.run_tier("daily", "--end", "2026-09-02")
    return stir, project


@pytest.fixture
def project_stir(seeded_project):
    """The module's home and project; the model files a test edits are put back after it (the
    next test's run applies them again), so each test starts from the project as checked in."""
    stir, project = seeded_project
    models = {path: path.read_text() for path in (project / "models").rglob("*.sql")}
    yield stir, project
    for path, text in models.items():
        if path.read_text() != text:
            path.write_text(text)


def edit(project, old, new):
    path = project / MART
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def model_state(stir) -> tuple[bool, str]:
    """(prod runs the project's models as they are, where the daily run's search for missing
    intervals starts), from the module's home and project."""
    script = (
        "from stir import models\n"
        "ctx = models.context()\n"
        "print(models.prod_is_current(ctx), models.search_start(ctx, 'tag:daily'))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], env=stir.env, check=True, capture_output=True, text=True)
    current, start = proc.stdout.strip().splitlines()[-1].split(" ", 1)
    return current == "True", start


def test_a_run_plans_only_for_a_changed_project_and_searches_from_its_last_intervals(project_stir):
    stir, project = project_stir
    current, start = model_state(stir)
    # After the daily run to 2026-09-02: no plan needed, and the search for missing intervals
    # starts a day and a lookback before the first gap, not at the models' start (2024-01-01).
    assert current
    assert "2026-08-01 00:00:00" <= start < "2026-09-02 00:00:00", start
    edit(project, "cur.country = 'IN' AND", "cur.country = 'IN' AND false AND")
    assert model_state(stir)[0] is False


def project_digest(stir) -> str:
    script = ("from stir import project_record\n"
              "from stir.settings import load_settings\n"
              "from stir.sqlmesh_config import build_config\n"
              "print(project_record.digest(load_settings().sqlmesh_project, build_config()))\n")
    proc = subprocess.run([sys.executable, "-c", script], env=stir.env, check=True, capture_output=True, text=True)
    return proc.stdout.strip().splitlines()[-1]


def test_a_run_trusts_its_record_of_prod_only_for_the_same_project_and_plan(project_stir):
    """A run skips loading the project when its record says prod, at prod's current plan,
    already runs a project of this digest (stir/project_record.py). Shown here by a record
    that lies about an edited project: believed at prod's plan, not at another."""
    stir, project = project_stir
    stir.run_tier("daily", "--end", "2026-09-02")
    path = stir.home / "sqlmesh_prod.json"
    recorded = json.loads(path.read_text())
    assert recorded["digest"] == project_digest(stir)
    edit(project, "cur.country = 'IN' AND", "cur.country = 'IN' AND false AND")
    edited = project_digest(stir)
    assert edited != recorded["digest"]
    path.write_text(json.dumps({"digest": edited, "plan_id": recorded["plan_id"]}))
    stir.run_tier("daily", "--end", "2026-09-02")
    assert model_state(stir)[0] is False          # the run believed the record: no plan
    path.write_text(json.dumps({"digest": edited, "plan_id": "a plan applied from elsewhere"}))
    stir.run_tier("daily", "--end", "2026-09-02")
    assert model_state(stir)[0] is True           # prod's plan differs: loaded, compared, applied
    now = json.loads(path.read_text())
    assert now["digest"] == edited and now["plan_id"] not in (recorded["plan_id"], "a plan applied from elsewhere")
    edit(project, "cur.country = 'IN' AND false AND", "cur.country = 'IN' AND")
    stir.run_tier("daily", "--end", "2026-09-02")   # prod and the board as the project is, for the next test


def test_without_auto_plan_a_run_runs_prods_models_and_leaves_the_project_unloaded(project_stir, monkeypatch):
    """auto_plan = false (production, where `sqlmesh plan` applies changes): a run evaluates
    prod's models from state, never the edited project's, and writes no record of it."""
    stir, project = project_stir
    path = stir.home / "sqlmesh_prod.json"
    path.unlink(missing_ok=True)
    before = live(stir)
    monkeypatch.setitem(stir.env, "STIR_AUTO_PLAN", "false")
    edit(project, "cur.country = 'IN' AND", "cur.country = 'IN' AND false AND")
    stir.run_tier("daily", "--end", "2026-09-02", "--restate")   # every interval computed again
    assert model_state(stir)[0] is False and not path.exists()
    assert live(stir)[0] == before[0]   # prod's version of the board, computed again: the same rows


def test_model_change_publishes_again(project_stir):
    stir, project = project_stir
    (rows, enabled), publishes = live(stir)
    edit(project, "cur.country = 'IN' AND", "cur.country = 'IN' AND cur.followers > 0 AND false AND")
    stir.run_tier("daily", "--end", "2026-09-02")  # same end: only the model changed
    assert live(stir) == ((rows, 0), publishes + 1) and enabled > 0


def test_a_failing_model_test_applies_nothing(project_stir, monkeypatch):
    """With plan_tests on (the default; this suite turns it off in every other home), a
    project change whose model test fails is not applied: the run fails naming the test, and
    prod and the live table stay as they were."""
    stir, project = project_stir
    before = live(stir)
    monkeypatch.setitem(stir.env, "STIR_PLAN_TESTS", "true")
    path = project / "models/marts/mart_instagram_account_monthly.sql"
    path.write_text(path.read_text().replace("  f.followers AS followers,", "  f.followers + 1 AS followers,"))
    proc = stir.run_tier("daily", "--end", "2026-09-02", check=False)
    assert proc.returncode == 1
    assert "sqlmesh: model test(s) failed, so the project's changes were not applied to prod and no model ran: " \
           "test_instagram_account_monthly" in proc.stderr, proc.stderr
    assert model_state(stir)[0] is False and live(stir) == before


def test_rejected_rows_fail_the_tier_and_keep_the_live_table(project_stir):
    stir, project = project_stir
    before = live(stir)
    edit(project, "cur.audience_gender AS audience_gender,", "'{broken' AS audience_gender,")
    proc = stir.run_tier("daily", "--end", "2026-09-02", check=False)
    assert proc.returncode == 1
    assert 'leaderboard: loading the shadow table failed; the live table is untouched' in proc.stderr
    assert "invalid input syntax for type json" in proc.stderr and "column audience_gender" in proc.stderr
    assert live(stir) == before


def test_crashed_publish_resumes_after_the_finished_steps(tmp_path):
    stir = Stir(tmp_path / "home")
    stir.env["STIR_TRANSFER"] = "local"   # a chain with a staged download, stopped after staging
    stir.run("seed", "--profiles", "30", "--months", "2", "--end", "2026-09-01")
    # A run that got as far as staging the export, then stopped.
    script = (
        "import luigi\n"
        "from stir.models import run_models\n"
        "from stir.publish import steps\n"
        "from stir.publish.specs import SPECS\n"
        "from stir.publish.tasks import StageExport\n"
        "from stir.warehouse import get_warehouse\n"
        "run_models('tag:daily', end='2026-09-02')\n"
        "fp, _ = steps.fingerprint(get_warehouse(), SPECS['leaderboard'])\n"
        "assert luigi.build([StageExport(table='leaderboard', fingerprint=fp)], local_scheduler=True)\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=stir.env, check=True, capture_output=True)
    stage = stir.home / "stage" / "leaderboard"
    assert [p.is_dir() for p in stage.iterdir()] == [True]   # the staged export: one directory
    proc = stir.run_tier("daily", "--end", "2026-09-02", "--verbose")
    assert list(stage.iterdir()) == []   # removed once the table is live
    summary = proc.stderr.split("===== Luigi Execution Summary =====")[1]
    ran = summary.split("ran successfully")[1]
    assert "LoadShadow" in ran and "SwapTable" in ran
    assert "ExportMart(table=leaderboard" not in ran and "StageExport(table=leaderboard" not in ran
    assert "complete ones were encountered" in summary and "StageExport(table=leaderboard" in summary


def test_failed_audit_stops_the_tier_before_publishing(project_stir):
    stir, project = project_stir
    before = live(stir)
    edit(project, "@stable_id(cur.month, cur.platform, cur.platform_id) AS id", "toInt64(1) AS id")
    proc = stir.run_tier("daily", "--end", "2026-09-02", check=False)
    assert proc.returncode == 1
    assert "'unique_values' audit error" in proc.stdout + proc.stderr
    assert live(stir) == before


def test_schema_drift_fails_before_any_export(project_stir):
    """A model change that breaks the serving table is caught before the export, by the tier
    and by `stir check`, and the live table keeps serving."""
    stir, project = project_stir
    before = live(stir)
    exports = stir.home / "store" / "exports" / "leaderboard"
    exported = sorted(p.name for p in exports.iterdir())
    assert "leaderboard: fits its serving table" in stir.run("check").stdout
    edit(project, "  cur.handle AS handle,", "  cur.handle AS handle_name,")
    proc = stir.run_tier("daily", "--end", "2026-09-02", check=False)
    assert proc.returncode == 1
    assert "leaderboard: the mart does not fit the serving table (leaderboard.sql); nothing was exported" in proc.stderr
    assert "serving column handle (text) is missing from mart stir_marts.mart_leaderboard" in proc.stderr
    assert "mart column handle_name is not a column of the serving table" in proc.stderr
    assert sorted(p.name for p in exports.iterdir()) == exported
    assert live(stir) == before
    check = stir.run("check", "leaderboard", check=False)
    assert check.returncode == 1 and "leaderboard: DRIFT" in check.stdout
    # A person's `sqlmesh plan` stops at the lint rule (sqlmesh_project/linter/serving_drift.py).
    plan = subprocess.run([str(Path(sys.executable).parent / "sqlmesh"), "plan", "--no-prompts"], cwd=project,
                          env=stir.env, capture_output=True, text=True, timeout=600)
    assert plan.returncode != 0
    assert "servingdrift: leaderboard: mart stir_marts.mart_leaderboard does not fit the" in " ".join(
        (plan.stdout + plan.stderr).split())


def test_a_failed_audit_stops_only_its_own_table(project_stir):
    """One mart's audit fails: its table is not published (the live one untouched) and the tier
    fails naming the audit, while the tier's other tables are published."""
    stir, project = project_stir
    view = project / "models" / "marts" / "mart_youtube_account.sql"
    text = view.read_text()
    assert "engagement_rate IS NULL OR engagement_rate >= 0" in text
    view.write_text(text.replace("engagement_rate IS NULL OR engagement_rate >= 0",
                                 "engagement_rate IS NULL OR engagement_rate < 0"))
    proc = stir.run_tier("15min", "--end", "2026-09-02 12:00:00", check=False)
    assert proc.returncode == 1
    output = proc.stdout + proc.stderr
    assert "'forall' audit error" in output
    assert "youtube_account: not published: its mart stir_marts.mart_youtube_account did not compute" in output
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: tier 15min (T = 2026-09-02 12:00:00 UTC): failed: youtube_account: Publish, "
        "model stir_marts.mart_youtube_account; published nevertheless: instagram_account")
    conn = stir.pg()
    with conn.cursor() as cur:
        cur.execute("SELECT serving_table FROM stir_meta.publish_log")
        published = {r[0] for r in cur.fetchall()}
    conn.close()
    assert "instagram_account" in published and "youtube_account" not in published
