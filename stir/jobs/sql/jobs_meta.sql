-- Stir's records of its crawler jobs, in the serving database beside the publish log.
CREATE SCHEMA IF NOT EXISTS stir_meta;
-- One row per job run (job, T): what it found and did; finished_at NULL while it runs. A row
-- with finished_at set is the job's Luigi target: a re-run with the same T does nothing.
CREATE TABLE IF NOT EXISTS stir_meta.job_runs (
    job          text NOT NULL,
    run_end      timestamp NOT NULL,
    started_at   timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    finished_at  timestamp,
    counts       jsonb,
    PRIMARY KEY (job, run_end)
);
-- Every re-scrape request Stir sent (or was about to send) to the crawler's API. A row is
-- committed before its request goes out, so a shortcode is never sent twice within 12 hours,
-- even when a run crashes between the two; outcome is NULL when the run died before knowing.
CREATE TABLE IF NOT EXISTS stir_meta.rescrape_requests (
    platform     text NOT NULL,
    shortcode    text NOT NULL,
    run_end      timestamp NOT NULL,
    sent_at      timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    outcome      text,          -- accepted | rejected | failed
    http_status  integer,
    detail       text,
    PRIMARY KEY (platform, shortcode, run_end)
);
CREATE INDEX IF NOT EXISTS rescrape_requests_run_end_idx ON stir_meta.rescrape_requests (run_end);
