-- The `social_profile_audience_info` serving table, as the contract (serving.sql) defines it. Run with
-- search_path set to the schema the table is built in (Stir builds it in stir_shadow, then
-- swaps it in).
CREATE TABLE social_profile_audience_info (
    platform          text NOT NULL,
    platform_id       text NOT NULL,
    audience_gender   jsonb,
    audience_age      jsonb,
    audience_cities   jsonb,
    notable_followers jsonb,
    source            text,
    PRIMARY KEY (platform, platform_id)
);
