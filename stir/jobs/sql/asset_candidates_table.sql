-- This run's candidates, for the insert below (dropped at commit).
CREATE TEMP TABLE stir_asset_candidates (
    entity_type  text NOT NULL,
    entity_id    text NOT NULL,
    platform     text NOT NULL,
    asset_type   text NOT NULL,
    original_url text NOT NULL,
    priority     integer NOT NULL
) ON COMMIT DROP;
