-- Lock the queue's rows of these entities (waiting for a worker that is changing one), so the
-- insert below sees their latest status and no worker changes them until it commits. Workers
-- use SKIP LOCKED: they pass over these rows for a moment, nothing waits in a cycle.
SELECT q.id
FROM scrape_request_log AS q
JOIN stir_asset_candidates AS c
  ON q.flow = 'asset_upload_flow'
  AND q.params->>'entity_type' = c.entity_type
  AND q.params->>'entity_id' = c.entity_id
  AND q.params->>'asset_type' = c.asset_type
ORDER BY q.id
FOR UPDATE OF q;
