-- The crawler's task queue (its PostgreSQL database; by default the serving database, or
-- STIR_CRAWLER_PG_DSN): Stir inserts PENDING asset-upload requests, the crawler's workers
-- take them with `... WHERE status = 'PENDING' ORDER BY priority DESC, id FOR UPDATE SKIP
-- LOCKED` and set status and updated_at. Created if missing; Stir never alters it.
CREATE TABLE IF NOT EXISTS scrape_request_log (
    id          bigserial PRIMARY KEY,
    flow        text NOT NULL,
    platform    text NOT NULL,
    params      jsonb NOT NULL,
    status      text NOT NULL DEFAULT 'PENDING',   -- PENDING | PROCESSING | COMPLETE | FAILED
    priority    integer NOT NULL DEFAULT 0,        -- higher first
    created_at  timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    updated_at  timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);
-- The workers' query.
CREATE INDEX IF NOT EXISTS scrape_request_log_pending_idx
    ON scrape_request_log (flow, priority DESC, id) WHERE status = 'PENDING';
-- At most one open asset upload per entity and asset: a second insert does nothing.
CREATE UNIQUE INDEX IF NOT EXISTS scrape_request_log_open_asset_idx
    ON scrape_request_log ((params->>'entity_type'), (params->>'entity_id'), (params->>'asset_type'))
    WHERE flow = 'asset_upload_flow' AND status IN ('PENDING', 'PROCESSING');
-- Stir's look-up of an entity's uploads.
CREATE INDEX IF NOT EXISTS scrape_request_log_asset_idx
    ON scrape_request_log ((params->>'entity_type'), (params->>'entity_id'), (params->>'asset_type'))
    WHERE flow = 'asset_upload_flow';
