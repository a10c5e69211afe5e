-- The `instagram_account` serving table as published: the latest discovery snapshot.
MODEL (
  name stir_marts.mart_instagram_account,
  kind VIEW,
  cron '*/15 * * * *',
  grain ig_id,
  tags (15min),
  audits (
    unique_values(columns := (id, ig_id)),
    not_null(columns := (id, ig_id, handle)),
    forall(criteria := (
      engagement_rate IS NULL OR engagement_rate >= 0,
      country_rank >= 1,
      category_rank >= 1
    )),
    accepted_values(column := engagement_rate_grade, is_in := ('Excellent', 'Very Good', 'Good', 'Average', 'Poor')),
    accepted_values(column := avg_likes_grade, is_in := ('Excellent', 'Very Good', 'Good', 'Average', 'Poor')),
    accepted_values(column := avg_comments_grade, is_in := ('Excellent', 'Very Good', 'Good', 'Average', 'Poor')),
    accepted_values(column := followers_grade, is_in := ('Excellent', 'Very Good', 'Good', 'Average', 'Poor'))
  ),
);

SELECT * EXCEPT (snapshot_at)
FROM stir_marts.mart_instagram_account_snapshot
WHERE snapshot_at = (SELECT max(snapshot_at) FROM stir_marts.mart_instagram_account_snapshot)
