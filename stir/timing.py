"""The run's end time T: resolved once, before anything is scheduled, so every task of a run
(and every worker of luigid) carries the same T, and a re-run with the same --end is the
same run."""
from __future__ import annotations

import datetime as dt
import time

from stir.errors import StirError
from stir.settings import load_settings

# When this process (the run; Luigi's workers are its forks) started: files of other
# publishes untouched since then are left over from a crash, not being written.
PROCESS_STARTED = time.time()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def resolve_end(end: str | None) -> str:
    """'YYYY-MM-DD hh:mm:ss' (UTC) for --end, or now when it is not given. Refuses a time it
    cannot honour: unparsable, before the models' start, or in the future (T would be a
    time no data has reached yet)."""
    if end is None:
        return f"{utc_now():%Y-%m-%d %H:%M:%S}"
    try:
        when = dt.datetime.fromisoformat(end)
    except ValueError:
        raise StirError(f"--end: expected 'YYYY-MM-DD' or 'YYYY-MM-DD hh:mm:ss' (UTC), got {end!r}") from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    when = when.replace(microsecond=0)
    model_start = load_settings().model_start_time
    if when < model_start:
        raise StirError(f"--end {when} is before the models' start {model_start:%Y-%m-%d} (model_start); "
                        "nothing would run")
    if when > utc_now():
        raise StirError(f"--end {when} is in the future (now is {utc_now()} UTC); a run's end must have passed")
    return f"{when:%Y-%m-%d %H:%M:%S}"
