"""Loads the SQL that lives in .sql files inside the package and fills in identifiers.

Placeholders are `$name` (string.Template). Only identifiers and literals Stir builds
itself are substituted; each is checked so a file can never become an injection point.
"""
from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from string import Template

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def ident(name: str) -> str:
    """Validate a (possibly db-qualified) identifier for substitution into SQL."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def literal(text: str) -> str:
    """A ClickHouse string literal of `text` (backslashes and quotes escaped)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def t_literal(end: str) -> str:
    """T ('YYYY-MM-DD[ hh:mm:ss]', UTC) as a ClickHouse DateTime expression."""
    return f"toDateTime('{dt.datetime.fromisoformat(end):%Y-%m-%d %H:%M:%S}', 'UTC')"


def read_sql(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def render_sql(package: str, name: str, **params: str) -> str:
    return Template(read_sql(package, name)).substitute(params)


def render_fragment(package: str, name: str, **params: str) -> str:
    """A SQL expression file (a piece of a statement), rendered without its comment lines."""
    lines = render_sql(package, name, **params).splitlines()
    return " ".join(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("--"))


def split_statements(text: str) -> list[str]:
    """Split a SQL script on `;` at line ends, dropping `--` comment lines and blanks."""
    kept = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    parts = re.split(r";\s*(?:--[^\n]*)?\n", "\n".join(kept) + "\n")
    return [p.strip() for p in parts if p.strip()]
