"""Checks one raw value against its ClickHouse column type and turns it into the Python value
the warehouse client inserts. A bad value raises ValueError with a short reason; the loader
adds file, line and column."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any, Callable

_INT_RANGES = {
    "Int8": (-(2**7), 2**7 - 1), "Int16": (-(2**15), 2**15 - 1),
    "Int32": (-(2**31), 2**31 - 1), "Int64": (-(2**63), 2**63 - 1),
    "UInt8": (0, 2**8 - 1), "UInt16": (0, 2**16 - 1),
    "UInt32": (0, 2**32 - 1), "UInt64": (0, 2**64 - 1),
}
_WRAPPER = re.compile(r"^(Nullable|LowCardinality|Array)\((.*)\)$")

Converter = Callable[[Any], Any]


def _int(lo: int, hi: int, name: str) -> Converter:
    def convert(v):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"expected an integer ({name}), got {v!r}")
        if not lo <= v <= hi:
            raise ValueError(f"{v} is out of range for {name}")
        return v
    return convert


def _float(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"expected a number, got {v!r}")
    return float(v)


def _string(v):
    if not isinstance(v, str):
        raise ValueError(f"expected a string, got {v!r}")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"not valid Unicode: {exc.reason} at character {exc.start} of {v!r}") from None
    return v


# ClickHouse's DateTime is seconds since 1970 in a UInt32; Date is days since 1970 in a UInt16.
DATETIME_RANGE = (dt.datetime(1970, 1, 1), dt.datetime(2106, 2, 7, 6, 28, 15))
DATE_RANGE = (dt.date(1970, 1, 1), dt.date(2149, 6, 6))


def _in_range(v, bounds, kind):
    lo, hi = bounds
    if not lo <= v <= hi:
        raise ValueError(f"{v} is outside ClickHouse's {kind} range {lo} .. {hi}")
    return v


def _datetime(v):
    if isinstance(v, str) and len(v) >= 19:
        try:
            v = dt.datetime.fromisoformat(v[:-1] + "+00:00" if v.endswith("Z") else v)
        except ValueError:
            pass
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return _in_range(v.replace(microsecond=0), DATETIME_RANGE, "DateTime")
    raise ValueError(f"expected a DateTime 'YYYY-MM-DD hh:mm:ss' (UTC), got {v!r}")


def _date(v):
    if isinstance(v, dt.datetime):
        v = v.date()
    elif isinstance(v, str):
        try:
            v = dt.date.fromisoformat(v)
        except ValueError:
            pass
    if isinstance(v, dt.date):
        return _in_range(v, DATE_RANGE, "Date")
    raise ValueError(f"expected a Date 'YYYY-MM-DD', got {v!r}")


def _uuid(v):
    try:
        return uuid.UUID(str(v)) if isinstance(v, (str, uuid.UUID)) else _fail(v)
    except ValueError:
        raise ValueError(f"expected a UUID, got {v!r}") from None


def _fail(v):
    raise ValueError(f"unexpected value {v!r}")


def converter(ch_type: str) -> tuple[Converter, bool]:
    """(converter, nullable) for a ClickHouse type such as 'Nullable(Int64)' or 'Array(String)'."""
    match = _WRAPPER.match(ch_type)
    if match:
        wrapper, inner = match.groups()
        inner_convert, _ = converter(inner)
        if wrapper == "Nullable":
            return inner_convert, True
        if wrapper == "LowCardinality":
            return inner_convert, False

        def array(v):
            if not isinstance(v, (list, tuple)):
                raise ValueError(f"expected an array, got {v!r}")
            return [inner_convert(x) for x in v]
        return array, False
    if ch_type in _INT_RANGES:
        return _int(*_INT_RANGES[ch_type], ch_type), False
    if ch_type in ("Float32", "Float64"):
        return _float, False
    if ch_type == "String":
        return _string, False
    if ch_type.startswith("DateTime"):
        return _datetime, False
    if ch_type in ("Date", "Date32"):
        return _date, False
    if ch_type == "UUID":
        return _uuid, False
    raise ValueError(f"type {ch_type} is not supported by ingest")

