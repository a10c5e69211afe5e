-- Stir's own schemas in the serving database: shadow tables being loaded, the backups
-- kept by the last swap, and the publish log.
CREATE SCHEMA IF NOT EXISTS stir_shadow;
CREATE SCHEMA IF NOT EXISTS stir_backup;
CREATE SCHEMA IF NOT EXISTS stir_meta;
CREATE TABLE IF NOT EXISTS stir_meta.publish_log (
    serving_table text NOT NULL,
    fingerprint   text NOT NULL,
    rows          bigint NOT NULL,
    source        text NOT NULL,
    published_at  timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    PRIMARY KEY (serving_table, published_at, fingerprint)
);
-- How long each swap waited for its lock, and in how many tries (0 for rollbacks).
ALTER TABLE stir_meta.publish_log ADD COLUMN IF NOT EXISTS swap_wait_ms bigint NOT NULL DEFAULT 0;
ALTER TABLE stir_meta.publish_log ADD COLUMN IF NOT EXISTS swap_tries integer NOT NULL DEFAULT 0;
-- One row per tier run: who ran it, when, and how it ended (NULL while it runs).
CREATE TABLE IF NOT EXISTS stir_meta.tier_runs (
    tier         text NOT NULL,
    run_end      timestamp NOT NULL,
    pid          integer NOT NULL,
    host         text NOT NULL,
    started_at   timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    finished_at  timestamp,
    result       text
);
-- What the run's model step did: 'ran', 'restated' or 'nothing due' (NULL until it finished).
ALTER TABLE stir_meta.tier_runs ADD COLUMN IF NOT EXISTS models text;
-- The models that failed (an audit included) or were skipped after an upstream failure, with the
-- error: {"stir_marts.mart_x": "..."}. Their tables are not published; the others are.
ALTER TABLE stir_meta.tier_runs ADD COLUMN IF NOT EXISTS model_failures jsonb;
-- Late data watch (stir/late_data.py): per selection of incremental models (a tier's, e.g.
-- tag:15min) and raw source they read, the source's rows per day dated before `cutoff` (the
-- last run's end less the models' lookback), {"YYYY-MM-DD": n}.
CREATE TABLE IF NOT EXISTS stir_meta.late_watch (
    reader       text NOT NULL,
    source       text NOT NULL,
    cutoff       timestamp NOT NULL,
    day_rows     jsonb NOT NULL,
    recorded_at  timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    PRIMARY KEY (reader, source)
);
