"""The command line: every mistake a user can make is one `error:` line (or click's usage
error) and a non-zero exit, never a traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from stir import __version__
from stir.cli import main
from stir.process import GC_THRESHOLDS


def invoke(args, **env):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


@pytest.mark.parametrize("args, env, message", [
    (["info"], {"STIR_WAREHOUSE": "duckdb"}, "error: setting 'warehouse' must be one of chdb, clickhouse; got 'duckdb'"),
    (["info"], {"STIR_KEEP_EXPORTS": "abc"}, "error: setting 'keep_exports': expected a whole number, got 'abc'"),
    (["info"], {"STIR_LOCK_TIMEOUT": "-1"}, "error: setting 'lock_timeout': must be at least 0, got -1"),
    (["info"], {"STIR_LOG_LEVEL": "bogus"}, "error: log level 'BOGUS': expected one of DEBUG, INFO, WARNING, ERROR"),
    (["--log-level", "BOGUS", "info"], {}, "Invalid value for '--log-level': 'BOGUS' is not one of"),
    (["seed", "--profiles", "-5", "--no-ingest"], {}, "Invalid value for '--profiles': -5 is not in the range x>=1"),
    (["run-tier", "daily", "--end", "2020-01-01"], {}, "error: --end 2020-01-01 00:00:00 is before the models' start 2024-01-01 (model_start)"),
    (["run-tier", "daily", "--end", "2025-01-01"], {"STIR_MODEL_START": "2025-06-01"},
     "error: --end 2025-01-01 00:00:00 is before the models' start 2025-06-01 (model_start)"),
    (["info"], {"STIR_MODEL_START": "soon"}, "error: setting 'model_start': expected a date YYYY-MM-DD, got 'soon'"),
    (["run-tier", "daily", "--end", "2999-01-01"], {}, "error: --end 2999-01-01 00:00:00 is in the future"),
    (["run-tier", "daily", "--end", "yesterday"], {}, "error: --end: expected 'YYYY-MM-DD'"),
], ids=["warehouse", "keep-exports", "lock-timeout", "log-level-env", "log-level-option", "profiles", "end-early",
        "end-before-model-start", "model-start-garbage", "end-future", "end-garbage"])
def test_bad_configuration_and_arguments_are_one_line(args, env, message):
    result = invoke(args, **env)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_version():
    assert invoke(["--version"]).output.strip() == f"stir, version {__version__}"


def test_help_lists_tiers_and_log_levels():
    assert "{5min|15min|30min|2h|5h|daily|weekly}" in invoke(["run-tier", "--help"]).output
    assert "--log-level [debug|info|warning|error]" in invoke(["--help"]).output


@pytest.mark.parametrize("fmt, expected", [
    ("table", "n  name\n1  a\n2  NULL"),
    ("csv", "n,name\n1,a\n2,"),
    ("json", '{"n": 1, "name": "a"}\n{"n": 2, "name": null}'),
])
def test_sql_prints_column_names_in_each_format(warehouse, fmt, expected):
    query = "SELECT number + 1 AS n, if(number = 0, 'a', NULL) AS name FROM numbers(2) ORDER BY n"
    result = invoke(["sql", "--format", fmt, query])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == expected


def test_sql_error_is_one_line(warehouse):
    result = invoke(["sql", "SELECT nope FROM nowhere"])
    assert result.exit_code == 1 and result.output.startswith("error: query failed:")


def test_show_any_serving_table_by_its_key_with_nulls(pg):
    from stir.formatting import render
    from stir.publish.specs import PublishSpec
    from stir.show import show_table

    with pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS public.show_probe;"
                    "CREATE TABLE public.show_probe (id bigint PRIMARY KEY, handle text);"
                    "INSERT INTO public.show_probe VALUES (2, NULL), (1, 'a');")
    pg.commit()
    spec = PublishSpec(table="show_probe", mart="m.m", ddl="unused.sql", tiers=("2h",))
    info = show_table(pg, spec, limit=5)
    assert info["rows"] == 2 and info["last_publish"] is None
    assert render(info["columns"], info["top"]) == "id  handle\n1   a\n2   NULL"


def test_show_before_the_first_publish_says_so(stir_home):
    proc = stir_home.run("show", "leaderboard", check=False)
    assert proc.returncode == 1
    assert "error: leaderboard has not been published yet: there is no table public.leaderboard " \
           "(run bin/run_tier daily)" in proc.stderr
    assert "Traceback" not in proc.stderr


def _entry(*args: str, before: str = "") -> subprocess.CompletedProcess:
    """The `stir` console command (stir.cli:entry) in a child process."""
    code = f"import sys\n{before}\nfrom stir.cli import entry\nsys.argv = ['stir', *{list(args)!r}]\nentry()\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_console_command_exit_status_output_and_exit_handlers():
    """The console command tunes the garbage collector and ends its process without the
    interpreter's teardown, but with the status, output and exit handlers (the embedded
    PostgreSQL's stop is one) of a normal exit."""
    handler = "import atexit; atexit.register(lambda: print('exit handler ran', flush=True))"
    thresholds = "import atexit, gc; atexit.register(lambda: print(gc.get_threshold()))"
    done = _entry("--version", before=f"{handler}\n{thresholds}")
    assert (done.returncode, done.stdout) == (0, f"stir, version {__version__}\n{GC_THRESHOLDS}\nexit handler ran\n")
    usage = _entry("run-tier", "hourly", before=handler)
    assert usage.returncode == 2 and "'hourly' is not one of" in usage.stderr
    assert usage.stdout == "exit handler ran\n"
    error = _entry("run-tier", "daily", "--end", "2999-01-01")
    assert error.returncode == 1 and "error: --end 2999-01-01 00:00:00 is in the future" in error.stderr
    many = _entry("--help")   # all of a longer output arrives through the pipe
    assert many.returncode == 0 and many.stdout.rstrip().splitlines()[-1].split()[0] == sorted(main.commands)[-1]
