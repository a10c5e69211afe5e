-- The text of every post's latest state (its crawl with the greatest updated_at, ties: the
-- greatest id): the caption of an Instagram post, the title and description of a YouTube
-- video (a line break between). Kept apart from the 15-minute post models, which have no
-- use for it; the keyword reports read it daily.
MODEL (
  name stir_staging.stg_post_text,
  kind FULL,
  grain (platform, code),
  physical_properties (order_by = (platform, code)),
  tags (daily),
);

SELECT 'INSTAGRAM' AS platform, CAST(shortcode AS String) AS code, caption AS text
FROM @latest_rows(beat_replica.instagram_post, shortcode, updated_at, id)
UNION ALL
SELECT 'YOUTUBE' AS platform, CAST(video_id AS String) AS code, concat(title, '\n', description) AS text
FROM @latest_rows(beat_replica.youtube_post, video_id, updated_at, id)
