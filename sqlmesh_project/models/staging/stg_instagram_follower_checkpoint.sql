-- The Instagram growth bases up to a checkpoint E, so that the discovery snapshot at T does
-- not read every event ever stored on each 15-minute run: per profile and N in 7, 30 and 90,
-- its latest event with a JSON integer followers (ties on insert_timestamp: the greatest
-- followers) among those with insert_timestamp < E - N days: `baseN` (followers) and
-- `baseN_at` (its insert_timestamp), NULL when there is none.
-- Daily whatever its tier (tag `checkpoint`), so each day's first run pays the one full read
-- of the events. E (`checkpoint_at`) is the start of the last day of the interval run: the
-- day just ended (a run with an --end in the past also runs the day of that end).
-- The snapshot at T combines the latest checkpoint at or before T with the events in
-- [E - N days, T - N days] only (two days of events at most): the same base as reading
-- every event at or before T - N days.
-- Checkpoints more than two days older than E are deleted after each run. A restatement of
-- the events (late data) restates this model downstream of them, so its checkpoint is
-- recomputed.
MODEL (
  name stir_staging.stg_instagram_follower_checkpoint,
  kind INCREMENTAL_BY_TIME_RANGE (time_column checkpoint_at),
  cron '@daily',
  grain (checkpoint_at, profile_id),
  partitioned_by checkpoint_at,
  physical_properties (order_by = (checkpoint_at, profile_id)),
  tags (15min, checkpoint),
);

@DEF(e, @run_end() - 86400);

SELECT
  @e AS checkpoint_at,
  profile_id,
  @order_value(order7) AS base7,
  @order_at(order7) AS base7_at,
  @order_value(order30) AS base30,
  @order_at(order30) AS base30_at,
  @order_value(order90) AS base90,
  @order_at(order90) AS base90_at
FROM (
  SELECT
    profile_id,
    @latest_order(if(insert_timestamp < @e - 7 * 86400, followers, NULL), insert_timestamp) AS order7,
    @latest_order(if(insert_timestamp < @e - 30 * 86400, followers, NULL), insert_timestamp) AS order30,
    @latest_order(if(insert_timestamp < @e - 90 * 86400, followers, NULL), insert_timestamp) AS order90
  FROM stir_staging.stg_profile_events
  WHERE platform = 'INSTAGRAM' AND followers IS NOT NULL AND insert_timestamp < @e - 7 * 86400
  GROUP BY profile_id
);

@drop_snapshots_before(@this_model, @e - 2 * 86400, checkpoint_at);
