-- The posts' re-crawl of `fifteen_min_tier.py --recrawl recent`, instead of new_crawls.sql's
-- 1% at random: the posts published in the seed's last two days, 2026-09-29 and -30 (about
-- 1.1% of them), re-crawled with one more like, as a crawler that refreshes each profile's
-- latest posts writes them (the seed's own re-crawls come 2 and 4 days after a post).
INSERT INTO beat_replica.instagram_post
SELECT * REPLACE (id + 1000000000 AS id, likes + 1 AS likes, toDateTime('2026-10-02 12:05:00') AS updated_at)
FROM beat_replica.instagram_post
WHERE publish_time >= toDateTime('2026-09-29 00:00:00')
ORDER BY shortcode, updated_at DESC, id DESC
LIMIT 1 BY shortcode
