"""Rows for people and programs: an aligned table (NULL shown as NULL), CSV, or JSON lines."""
from __future__ import annotations

import csv
import io
import json
from typing import Sequence

FORMATS = ("table", "csv", "json")


def _cell(value) -> str:
    return "NULL" if value is None else str(value)


def render(columns: Sequence[str], rows: Sequence[Sequence], fmt: str = "table") -> str:
    if fmt == "json":
        return "\n".join(json.dumps(dict(zip(columns, row)), default=str) for row in rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        return out.getvalue().rstrip("\n")
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)
