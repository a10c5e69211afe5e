"""Keyword reports for analysts: the posts whose caption matches any keyword of a list, with
per-post engagement, reach (the contract's estimate) and the profile's followers, written as
Parquet to the staging store under a key derived from the inputs (the keywords, the days,
T), with a manifest. A second run for the same inputs finds the manifest and writes nothing."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from loguru import logger

from stir.errors import StirError
from stir.sqlfiles import literal, render_sql, t_literal

PREFIX = "reports/keywords"
MART = "stir_marts.mart_post_metrics"


def read_keywords(path: Path) -> list[str]:
    """One keyword (or phrase) per line; blank lines and lines starting with # are skipped;
    case and repeats do not matter."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise StirError(f"keyword list {path}: {exc}") from None
    words: list[str] = []
    for line in lines:
        word = " ".join(line.split()).lower()
        if word and not word.startswith("#") and word not in words:
            words.append(word)
    if not words:
        raise StirError(f"keyword list {path}: no keywords (one per line)")
    return words


def pattern(word: str) -> str:
    """A case-insensitive whole-word pattern (ClickHouse's Hyperscan syntax) for `word`: a word
    boundary on each side that is a letter, digit or underscore (`sale` matches '#sale!' and
    'Sale', not 'wholesale'; `#sale` also matches 'x#sale')."""
    start = r"\b" if re.match(r"\w", word) else ""
    end = r"\b" if re.search(r"\w$", word) else ""
    return "(?i)" + start + re.escape(word) + end


@dataclass(frozen=True)
class Report:
    key: str           # the Parquet object in the staging store
    manifest: str      # its manifest
    rows: int
    written: bool      # False when an earlier run had written it


def report_key(name: str, words: list[str], days: int, end: str) -> str:
    digest = hashlib.sha256(json.dumps(sorted(words)).encode()).hexdigest()[:12]
    at = dt.datetime.fromisoformat(end)
    return f"{PREFIX}/{name}/{at:%Y%m%dT%H%M%S}-{days}d-{digest}"


def write(wh, store, name: str, words: list[str], days: int, end: str, metrics_until: str | None) -> Report:
    """`metrics_until`: how far mart_post_metrics has been computed (models.computed_until),
    None when it never was."""
    if metrics_until is None:
        raise StirError("no post metrics yet: run the daily tier first (bin/run_tier daily)")
    if days < 1:
        raise StirError(f"keyword report {name}: --days must be at least 1, not {days}")
    base = report_key(name, words, days, end)
    data, manifest = f"{base}/data.parquet", f"{base}/manifest.json"
    if store.exists(manifest):
        rows = json.loads(store.read_text(manifest))["rows"]
        logger.info("keyword report {}: already written for these inputs: {} ({} rows)", name, store.describe(data), rows)
        return Report(data, manifest, rows, False)
    query = render_sql("stir.jobs.sql", "keyword_posts.sql", t=t_literal(end), days=str(int(days)),
                       keywords=", ".join(literal(w) for w in words),
                       patterns=", ".join(literal(pattern(w)) for w in words))
    rows = wh.query(render_sql("stir.jobs.sql", "count_rows.sql", query=query))[0][0]
    wh.command(render_sql("stir.jobs.sql", "keyword_report.sql",
                          destination=store.clickhouse_destination(data, "Parquet"), query=query))
    store.put_text(manifest, json.dumps({"report": "keywords", "name": name, "keywords": words, "days": days,
                                         "end": end, "post_metrics_until": metrics_until, "rows": rows,
                                         "data": data}, indent=2))
    logger.info("keyword report {}: {} posts matching {} keyword(s) in the {} days before {} -> {}", name, rows,
                len(words), days, end, store.describe(data))
    return Report(data, manifest, rows, True)
