-- The `social_profile_hashtags` serving table, as the contract (serving.sql) defines it. Run with
-- search_path set to the schema the table is built in (Stir builds it in stir_shadow, then
-- swaps it in).
CREATE TABLE social_profile_hashtags (
    platform     text NOT NULL,
    platform_id  text NOT NULL,
    hashtags     jsonb NOT NULL,   -- [{"tag": "fitness", "count": 12}, ...] top 20 by count
    PRIMARY KEY (platform, platform_id)
);
