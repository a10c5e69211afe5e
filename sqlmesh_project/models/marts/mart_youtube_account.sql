-- The `youtube_account` serving table as published: the latest discovery snapshot.
MODEL (
  name stir_marts.mart_youtube_account,
  kind VIEW,
  cron '*/15 * * * *',
  grain channel_id,
  tags (15min),
  audits (
    unique_values(columns := (id, channel_id)),
    not_null(columns := (id, channel_id)),
    forall(criteria := (engagement_rate IS NULL OR engagement_rate >= 0))
  ),
);

SELECT * EXCEPT (snapshot_at)
FROM stir_marts.mart_youtube_account_snapshot
WHERE snapshot_at = (SELECT max(snapshot_at) FROM stir_marts.mart_youtube_account_snapshot)
