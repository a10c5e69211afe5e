"""Every shared formula of metrics.md lives here once, as a SQLMesh macro.

Each macro returns ClickHouse SQL; models call them as @name(args).
"""
from datetime import datetime

from sqlglot import exp
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


def _latest_order(value: str, at: str) -> str:
    """(at, value) as one UInt128: `at`'s seconds in the high 64 bits and the value (an
    integer) with its sign bit flipped, so it sorts as a signed number, in the low 64. Orders
    compare as the (at, value) tuples do; no row's order is 0 (that would be at 1970-01-01
    00:00:00 with the value -2^63)."""
    n = f"toInt64(assumeNotNull({value}))"
    return (
        f"bitOr(bitShiftLeft(toUInt128(toUInt32({at})), 64), "
        f"toUInt128(bitXor(reinterpretAsUInt64({n}), 9223372036854775808)))"
    )


@macro()
def latest_value(evaluator, value, at):
    """The non-NULL `value` (an integer) with the greatest `at` (a DateTime; ties: the greatest
    value); NULL if none. argMax compares the one UInt128 of _latest_order about 5x faster
    than the (at, value) tuple, with the same result."""
    v, a = _sql(value), _sql(at)
    n = f"toInt64(assumeNotNull({v}))"
    return (
        f"if(countIf({v} IS NOT NULL) = 0, CAST(NULL AS Nullable(Int64)), "
        f"toNullable(argMaxIf({n}, {_latest_order(v, a)}, {v} IS NOT NULL)))"
    )


@macro()
def latest_order(evaluator, value, at):
    """@latest_value's pick kept as its order (a UInt128; 0 when no row has a value), so that
    picks over parts of the rows combine: the greatest of their orders is the pick over all
    of them, and @order_value gives its value back."""
    v, a = _sql(value), _sql(at)
    return f"maxIf({_latest_order(v, a)}, {v} IS NOT NULL)"


@macro()
def order_value(evaluator, order):
    """The value a @latest_order holds (an Int64); NULL for 0, no row."""
    o = _sql(order)
    return (
        f"if({o} = 0, CAST(NULL AS Nullable(Int64)), "
        f"toNullable(reinterpretAsInt64(bitXor(toUInt64(bitAnd({o}, 18446744073709551615)), 9223372036854775808))))"
    )


@macro()
def order_at(evaluator, order):
    """The time a @latest_order holds (a UTC DateTime); NULL for 0, no row."""
    o = _sql(order)
    return f"if({o} = 0, CAST(NULL AS Nullable(DateTime('UTC'))), toNullable(toDateTime(toUInt32(bitShiftRight({o}, 64)), 'UTC')))"


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
def latest_rows(evaluator, source, key, *order):
    """The latest row per key of `source` (a table or a parenthesised query), newest first by
    `order` columns (metrics.md, Latest state), as a subquery to select FROM. A sort and
    LIMIT 1 BY, which spills to disk past max_bytes_before_external_sort and streams the
    rest, where a row_number() window holds every version of the table in memory (at 80k
    profiles' posts, 2.7 GB against 1.4 GB)."""
    k = _sql(key)
    return f"(SELECT * FROM {_source(source)} ORDER BY {k}, {_newest_first(order)} LIMIT 1 BY {k})"


@macro()
def crawled_since_start(evaluator, source, time_column):
    """The rows an incremental latest-state model reads: those with `time_column` at or after
    its interval's start (lookback included). Their latest row per key is the key's latest row
    over all of its versions (any older version is dated before the start), so replacing each
    such key's row keeps the model equal to a full computation; a late crawl dated before a
    newer one never wins. Every row on a model's first interval (its start is the models'
    start, the `model_start` variable) or with no interval. No upper bound: rows dated after
    `T` count, as they do in the FULL models. As a subquery to select FROM."""
    return f"(SELECT * FROM {_source(source)}{_since_start(evaluator, time_column)})"


@macro()
def keys_crawled_since_start(evaluator, source, key, time_column):
    """Every row, of any date, of each key that has a row in @crawled_since_start: for what
    needs all of a key's versions, such as the serving id min(id). As a subquery."""
    src, k = _source(source), _sql(key)
    since = _since_start(evaluator, time_column)
    if not since:
        return f"(SELECT * FROM {src})"
    return f"(SELECT * FROM {src} WHERE {k} IN (SELECT {k} FROM {src}{since}))"


@macro()
def reads_every_row(evaluator):
    """1 when @crawled_since_start reads every row (the model's first interval), else 0: the
    value of `optimize_read_in_order` for a latest-state model over it. Every row is best read
    in the raw table's own order (by key: the sort by key streams, with little memory); the
    crawls since the start are best read from the raw table's projection by time
    (stir/warehouse/sql/source_projections.sql), which ClickHouse does not consider while it
    reads the table in order."""
    return "1" if _first_interval(evaluator) else "0"


def _since_start(evaluator, time_column) -> str:
    """' WHERE time_column >= <the interval's start>', or '' (every row) on a model's first
    interval (at the models' start) and when rendering without an interval."""
    if _first_interval(evaluator):
        return ""
    start = evaluator.locals["start_dt"]
    return f" WHERE {_sql(time_column)} >= toDateTime('{start:%Y-%m-%d %H:%M:%S}', 'UTC')"


def _first_interval(evaluator) -> bool:
    """Whether the model is evaluated from its first interval (its start is at or before the
    models' start, the `model_start` variable), or without an interval."""
    start = evaluator.locals.get("start_dt")
    first = evaluator.var("model_start")
    return start is None or first is None or start.replace(tzinfo=None) <= datetime.fromisoformat(first)


@macro()
def from_start(evaluator, column, bound):
    """`column >= bound` for a time-range model's WHERE, except on its first interval, where
    every row counts (TRUE): rows dated before the models' start are the first interval's,
    filed under its start by the model's time column (GREATEST(..., @start_dt)), not lost."""
    if _first_interval(evaluator):
        return "TRUE"
    return f"{_sql(column)} >= {_sql(bound)}"


@macro()
def account_ids(evaluator, source, key):
    """(key, account_id) per key of an account table: the serving `id` is min(id) over the
    profile's account rows, stable across publishes (metrics.md, Latest state). A GROUP BY,
    which spills to disk, to join to the latest rows."""
    k = _sql(key)
    return f"(SELECT {k}, min(id) AS account_id FROM {_source(source)} GROUP BY {k})"


def _newest_first(order) -> str:
    return ", ".join(f"{_sql(o)} DESC" for o in order)


def _source(source) -> str:
    """A macro's table argument (a table name arrives as a column reference: db.table reads
    like table.column) or query argument, as something to select FROM."""
    if isinstance(source, (exp.Table, exp.Column, exp.Subquery)):
        return _sql(source)
    return f"({_sql(source)})"


@macro()
def follower_group(evaluator, followers):
    """'0-5k' < 5k <= '5k-10k' < 10k <= '10k-50k' < 50k <= '50k-100k' < 100k <= '100k-500k'
    < 500k <= '500k-1M' < 1M <= '1M+'; NULL followers give NULL."""
    f = _sql(followers)
    return (
        f"multiIf({f} IS NULL, CAST(NULL AS Nullable(String)), {f} < 5000, '0-5k', {f} < 10000, '5k-10k', "
        f"{f} < 50000, '10k-50k', {f} < 100000, '50k-100k', {f} < 500000, '100k-500k', "
        f"{f} < 1000000, '500k-1M', '1M+')"
    )


@macro()
def post_reach(evaluator, reach, post_type, plays, likes, followers):
    """A post's reach: `reach` when it is neither NULL nor 0, else the estimate: reels
    plays * (0.94 - log2(followers) * 0.001), others (7.6 - log10(likes) * 0.7) * 0.85 * likes;
    0 when followers or likes is 0 (reels too); never negative."""
    r, t, p, l, f = (_sql(x) for x in (reach, post_type, plays, likes, followers))
    estimate = (
        f"multiIf({f} = 0 OR {l} = 0, 0., "
        f"{t} = 'reels', greatest(toFloat64({p}) * (0.94 - log2({f}) * 0.001), 0.), "
        f"greatest((7.6 - log10({l}) * 0.7) * 0.85 * {l}, 0.))"
    )
    return f"if({r} IS NOT NULL AND {r} != 0, toFloat64(assumeNotNull({r})), {estimate})"


@macro()
def peer_quantiles(evaluator, metric, *group):
    """[p40, p60, p75, p90] of `metric` over the rows of its peer group with metric > 0:
    ClickHouse quantileExact, the element at 0-based index floor(k * n) of the sorted values.
    A NULL group value is a group like any other (window partitions)."""
    m = _sql(metric)
    by = ", ".join(_sql(g) for g in group)
    return f"quantilesExactIf(0.4, 0.6, 0.75, 0.9)(toFloat64({m}), {m} > 0) OVER (PARTITION BY {by})"


@macro()
def grade(evaluator, metric, quantiles):
    """NULL if the metric is NULL, 0, NaN or infinite; 'Excellent' if > p90, 'Very Good' if
    > p75, 'Good' if > p60, 'Average' if > p40, else 'Poor' (`quantiles` from @peer_quantiles)."""
    m, q = f"toFloat64({_sql(metric)})", _sql(quantiles)
    return (
        f"multiIf({m} IS NULL OR {m} = 0 OR isNaN({m}) OR isInfinite({m}), CAST(NULL AS Nullable(String)), "
        f"{m} > {q}[4], 'Excellent', {m} > {q}[3], 'Very Good', {m} > {q}[2], 'Good', "
        f"{m} > {q}[1], 'Average', 'Poor')"
    )



@macro()
def hashtag_list(evaluator, hashtags):
    """A post's hashtags: split on ',', lowerUTF8, spaces trimmed at both ends, empty ones
    dropped, each kept once at its first occurrence (metrics.md, Hashtags and Collections)."""
    h = _sql(hashtags)
    return (
        f"arrayDistinct(arrayFilter(tag -> tag != '', "
        f"arrayMap(tag -> trimBoth(lowerUTF8(tag), ' '), splitByChar(',', {h}))))"
    )


@macro()
def post_link(evaluator, platform, code):
    """The public URL of a post: Instagram /p/<shortcode>/, YouTube watch?v=<video_id>."""
    p, c = _sql(platform), _sql(code)
    return (
        f"multiIf({p} = 'INSTAGRAM', concat('https://www.instagram.com/p/', {c}, '/'), "
        f"{p} = 'YOUTUBE', concat('https://www.youtube.com/watch?v=', {c}), CAST(NULL AS Nullable(String)))"
    )


@macro()
def period_start(evaluator, at, monthly):
    """The time series period of a moment: its month's first day when `monthly`, else its
    week's Sunday (toStartOfWeek mode 0)."""
    a, m = _sql(at), _sql(monthly)
    return f"if({m}, toStartOfMonth({a}), toStartOfWeek({a}))"


@macro()
def previous_period(evaluator, date, monthly):
    """The start of the period just before the one starting at `date`: the previous calendar
    month, or 7 days earlier."""
    d, m = _sql(date), _sql(monthly)
    return f"if({m}, addMonths({d}, -1), subtractDays({d}, 7))"


@macro()
def mean_shares(evaluator, objects):
    """For a group's JSON objects (one per profile, NULL for none): a JSON object with, for
    each key of any of them, the mean of its numeric value over the objects (a missing key
    counts 0); NULL when there is no object. `{}` is an object and counts."""
    o = _sql(objects)
    maps = f"groupArrayIf(JSONExtract(assumeNotNull({o}), 'Map(String, Float64)'), {o} IS NOT NULL)"
    return (
        f"if(countIf({o} IS NOT NULL) = 0, CAST(NULL AS Nullable(String)), toNullable(toJSONString("
        f"mapApply((k, v) -> (k, v / countIf({o} IS NOT NULL)), "
        f"arrayReduce('sumMap', {maps})))))"
    )


@macro()
def run_end(evaluator):
    """T, the run's end: the exclusive end of the interval being run, to the second, as a
    UTC DateTime. SQLMesh's @end_ts / @end_epoch are the inclusive end (…:59.999999), so T is
    the next whole second; with allow_partials it is exactly `bin/run_tier --end`."""
    end = evaluator.locals.get("end_epoch")
    return f"toDateTime(toUInt32(ceil({end})), 'UTC')"
