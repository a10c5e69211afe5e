"""Every shared formula of metrics.md lives here once, as a SQLMesh macro.

Each macro returns ClickHouse SQL; models call them as @name(args).
"""
from sqlmesh import macro


def _sql(node) -> str:
    return node.sql(dialect="clickhouse")


@macro()
def json_int(evaluator, json_column, key):
    """The JSON integer at `key`, or NULL when the key is absent, null or not an integer."""
    j, k = _sql(json_column), _sql(key)
    return (
        f"if(JSONType({j}, {k}) IN ('Int64', 'UInt64'), "
        f"toNullable(JSONExtract({j}, {k}, 'Int64')), CAST(NULL AS Nullable(Int64)))"
    )


@macro()
def json_or_null(evaluator, json_column):
    """The JSON text as it is when it is a JSON object; NULL when it is empty, not valid JSON,
    or JSON of another kind (an array, a number, a string, null): metrics.md, Latest state."""
    j = _sql(json_column)
    return f"if(isValidJSON({j}) AND JSONType({j}) = 'Object', toNullable({j}), CAST(NULL AS Nullable(String)))"


@macro()
def latest_value(evaluator, value, at):
    """The non-NULL `value` with the greatest `at` (ties: the greatest value); NULL if none."""
    v, a = _sql(value), _sql(at)
    return (
        f"if(countIf({v} IS NOT NULL) = 0, CAST(NULL AS Nullable(Int64)), "
        f"toNullable(argMaxIf(assumeNotNull({v}), ({a}, assumeNotNull({v})), {v} IS NOT NULL)))"
    )


@macro()
def growth(evaluator, current, previous):
    """current - previous floored at 0; NULL when either is NULL (ClickHouse's greatest() skips NULLs)."""
    c, p = _sql(current), _sql(previous)
    return f"if({c} IS NULL OR {p} IS NULL, CAST(NULL AS Nullable(Int64)), greatest({c} - {p}, 0))"


@macro()
def follower_tier(evaluator, followers):
    """Nano < 1k <= Micro < 75k <= Macro < 1M <= Mega; NULL followers give NULL."""
    f = _sql(followers)
    return (
        f"multiIf({f} IS NULL, CAST(NULL AS Nullable(String)), {f} < 1000, 'Nano', "
        f"{f} < 75000, 'Micro', {f} < 1000000, 'Macro', 'Mega')"
    )


@macro()
def engagement_rate(evaluator, avg_likes, avg_comments, followers):
    """(avg_likes + avg_comments) / followers * 100; NULL with no posts (NULL averages) or 0 followers."""
    l, c, f = _sql(avg_likes), _sql(avg_comments), _sql(followers)
    return (
        f"if({f} = 0 OR {l} IS NULL OR {c} IS NULL, CAST(NULL AS Nullable(Float64)), "
        f"(toFloat64({l}) + toFloat64({c})) / {f} * 100)"
    )


@macro()
def ratio(evaluator, numerator, denominator):
    """numerator / denominator as Float64, NULL when the denominator is 0."""
    n, d = _sql(numerator), _sql(denominator)
    return f"if({d} = 0, CAST(NULL AS Nullable(Float64)), toFloat64({n}) / {d})"


@macro()
def search_phrase(evaluator, name, handle):
    """lowerUTF8(name || ' ' || handle), untrimmed."""
    return f"lowerUTF8(concat({_sql(name)}, ' ', {_sql(handle)}))"


@macro()
def stable_id(evaluator, *parts):
    """A positive bigint derived from the row's natural key, so ids stay the same across publishes.

    cityHash64 of the parts' text is NULL when any part is NULL (a NULL category is a key of
    its own in the genre overview); such keys hash their lossless binary form instead (a NULL
    flag per Nullable part, so NULL, '' and 0 differ). Keys without NULLs keep their ids."""
    args = ", ".join(f"toString({_sql(p)})" for p in parts)
    row = ", ".join(_sql(p) for p in parts)
    return (
        f"toInt64(coalesce(cityHash64({args}), sipHash64(formatRowNoNewline('RowBinary', {row})))"
        " % 9223372036854775807)"
    )


@macro()
def latest_rank(evaluator, key, *order):
    """1 for a key's latest row: row_number() over the key, newest first by `order` columns."""
    by = ", ".join(f"{_sql(o)} DESC" for o in order)
    return f"row_number() OVER (PARTITION BY {_sql(key)} ORDER BY {by})"
