"""The command line: every mistake a user can make is one `error:` line (or click's usage
error) and a non-zero exit, never a traceback."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from stir import __version__
from stir.cli import main


def invoke(args, **env):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


@pytest.mark.parametrize("args, env, message", [
    (["info"], {"STIR_WAREHOUSE": "duckdb"}, "error: setting 'warehouse' must be one of chdb, clickhouse; got 'duckdb'"),
    (["info"], {"STIR_KEEP_EXPORTS": "abc"}, "error: setting 'keep_exports': expected a whole number, got 'abc'"),
    (["info"], {"STIR_LOCK_TIMEOUT": "-1"}, "error: setting 'lock_timeout': must be at least 0, got -1"),
    (["info"], {"STIR_LOG_LEVEL": "bogus"}, "error: log level 'BOGUS': expected one of DEBUG, INFO, WARNING, ERROR"),
    (["--log-level", "BOGUS", "info"], {}, "Invalid value for '--log-level': 'BOGUS' is not one of"),
    (["seed", "--profiles", "-5", "--no-ingest"], {}, "Invalid value for '--profiles': -5 is not in the range x>=1"),
    (["run-tier", "daily", "--end", "2020-01-01"], {}, "error: --end 2020-01-01 00:00:00 is before the models' start 2024-01-01"),
    (["run-tier", "daily", "--end", "2999-01-01"], {}, "error: --end 2999-01-01 00:00:00 is in the future"),
    (["run-tier", "daily", "--end", "yesterday"], {}, "error: --end: expected 'YYYY-MM-DD'"),
], ids=["warehouse", "keep-exports", "lock-timeout", "log-level-env", "log-level-option", "profiles", "end-early",
        "end-future", "end-garbage"])
def test_bad_configuration_and_arguments_are_one_line(args, env, message):
    result = invoke(args, **env)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_version():
    assert invoke(["--version"]).output.strip() == f"stir, version {__version__}"
