"""Step 4: making the loaded shadow live in one transaction (the previous table kept as
stir_backup.<table>), waiting for the live table's lock in short tries."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

import psycopg2
import psycopg2.errors
from loguru import logger

from stir.errors import PublishError
from stir.publish.manifest import Manifest
from stir.publish.schema import live_fits_ddl, table_columns
from stir.publish.specs import PublishSpec
from stir.publish.steps.merges import StaleDelta, merge
from stir.publish.steps.pg import MARKER_PREFIX, lock_holder, marked_fingerprint, table_marker, transaction
from stir.serving import api_objects
from stir.serving.migrate import table_exists
from stir.sqlfiles import ident, read_sql, render_sql


@dataclass(frozen=True)
class SwapPolicy:
    """How a swap waits for its lock: each try waits at most `lock_timeout_ms` (readers queued
    behind it wait no longer), then backs off (doubling from 50 ms to 2 s, with jitter) and
    tries again, until `max_wait_s` has passed."""

    lock_timeout_ms: int = 30
    max_wait_s: float = 60.0


class _PublishLocked(Exception):
    """Another session holds the table's publish lock (publish_lock.sql)."""


def swap(conn, spec: PublishSpec, manifest: Manifest, policy: SwapPolicy = SwapPolicy()) -> tuple[int, float]:
    """Make the loaded shadow live and keep the previous live table as stir_backup.<table>.
    Retries while another session holds the live table (see SwapPolicy); returns (tries,
    seconds waited)."""
    table = ident(spec.table)
    started = time.monotonic()
    tries, delay = 0, 0.05
    while True:
        tries += 1
        waited = time.monotonic() - started
        try:
            outcome = _swap_once(conn, spec, manifest, policy, tries, waited)
            break
        except (psycopg2.errors.LockNotAvailable, _PublishLocked) as exc:
            if isinstance(exc, _PublishLocked):
                what, holder = "its publish lock", lock_holder(conn, "publish_lock_holder.sql", {"table": spec.table})
            else:
                what, holder = f"public.{table}", lock_holder(conn, "lock_holder.sql", {"name": f"public.{table}"})
            waited = time.monotonic() - started
            if waited + delay > policy.max_wait_s:
                raise PublishError(
                    f"{spec.table}: swap failed; the live table is untouched. {what} stayed locked by "
                    f"{holder} for {waited:.1f}s over {tries} tries (swap_max_wait = {policy.max_wait_s:g}s)"
                ) from None
            if tries == 1:
                logger.info("{}: the live table is in use by {}; retrying the swap", spec.table, holder)
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 2.0)
    if outcome == "already live":
        logger.info("{}: fingerprint {} is already live (another run published it); nothing to swap",
                    spec.table, manifest.fingerprint)
        return tries, waited
    if outcome.startswith("merged"):
        logger.info("{}: published {:,} rows (fingerprint {}) by merge, {}; previous version kept as stir_backup.{}; "
                    "took {} tries, {:.2f}s waiting", spec.table, manifest.rows, manifest.fingerprint,
                    outcome.removeprefix("merged: "), table, tries, waited)
        return tries, waited
    kept = "first publish, no earlier version" if outcome == "first" else f"previous table kept as stir_backup.{table}"
    logger.info("{}: published {:,} rows (fingerprint {}); {}; swap took {} tries, {:.2f}s waiting", spec.table,
                manifest.rows, manifest.fingerprint, kept, tries, waited)
    return tries, waited


def _swap_once(conn, spec: PublishSpec, manifest: Manifest, policy: SwapPolicy, tries: int, waited: float) -> str:
    """One try of the swap transaction: 'first' (the table's first publish), 'swapped',
    'merged: <counts>' (a merge-mode table), or 'already live' (another run published the same
    fingerprint meanwhile)."""
    table = ident(spec.table)
    with transaction(conn, f"{spec.table}: swap failed; the live table is untouched.",
                     passthrough=(psycopg2.errors.LockNotAvailable,)) as cur:
        cur.execute(read_sql("stir.serving.sql", "publish_lock.sql"), {"table": spec.table})
        if not cur.fetchone()[0]:
            raise _PublishLocked()
        marker = table_marker(cur, "stir_shadow", table)
        if table_marker(cur, "public", table) == MARKER_PREFIX + manifest.fingerprint:
            if marker == MARKER_PREFIX + manifest.fingerprint:  # a duplicate of the live table
                cur.execute(render_sql("stir.serving.sql", "prepare_shadow.sql", table=table))
            return "already live"
        if marker != MARKER_PREFIX + manifest.fingerprint:
            raise PublishError(
                f"{spec.table}: stir_shadow.{table} holds {marker or 'nothing'}, not fingerprint "
                f"{manifest.fingerprint}; another run replaced it, run the tier again"
            )
        first = _is_placeholder(cur, table)
        if spec.mode == "merge" and not first and manifest.base is not None:
            if table_columns(cur, "public", spec.table) == table_columns(cur, "stir_shadow", spec.table):
                return merge(cur, spec, manifest, policy, tries, waited)
            # The DDL changed since the live table was built: a delta of it cannot apply.
            raise StaleDelta(f"{spec.table}: not published: export {manifest.fingerprint} is a delta, but the "
                             f"serving table's columns changed ({spec.ddl}); the live table is untouched and the "
                             "next run exports the whole table")
        if spec.mode == "merge" and not first:
            # A whole version (no row hashes of the live one, a DDL change, or a change larger
            # than merge_max_changed) replaces the table; the next publish merges again.
            logger.info("{}: a whole version, not a delta of the live one: swapped in, not merged", spec.table)
        kept = api_objects.capture(cur, table)
        cur.execute(
            render_sql("stir.serving.sql", "swap.sql", table=table),
            {"table": spec.table, "fingerprint": manifest.fingerprint, "rows": manifest.rows, "source": spec.mart,
             "lock_timeout": f"{policy.lock_timeout_ms}ms", "wait_ms": round(waited * 1000), "tries": tries},
        )
        api_objects.restore(cur, table, kept)
        if first:
            cur.execute(render_sql("stir.serving.sql", "drop_placeholder.sql", table=table))
    return "first" if first else "swapped"


def delta_base(conn, spec: PublishSpec) -> str | None:
    """The live version an export of `spec`'s table may be a delta of: a merge-mode table's,
    unless the live table's columns are no longer its DDL's (then the whole version is
    exported and swapped in)."""
    if spec.mode != "merge" or not live_fits_ddl(conn, spec):
        return None
    return marked_fingerprint(conn, "public", spec.table)


def discard_shadow(conn, spec: PublishSpec) -> None:
    """Drop the loaded shadow (and a merge's __gone): its export is to be made again."""
    with transaction(conn, f"{spec.table}: dropping the shadow table failed") as cur:
        cur.execute(render_sql("stir.serving.sql", "prepare_shadow.sql", table=ident(spec.table)))


def _is_placeholder(cur, table: str) -> bool:
    """Whether the live table is the empty one `stir migrate` made before any publish (or absent)."""
    if table_marker(cur, "public", table) is not None:
        return False
    if not table_exists(cur, "public", table):
        return True
    cur.execute(render_sql("stir.serving.sql", "has_rows.sql", table=table))
    return not cur.fetchone()[0]
