-- One PENDING request per candidate that has no open request and no COMPLETE upload of the
-- same URL younger than max_age; a concurrent duplicate hits the unique index and is skipped.
INSERT INTO scrape_request_log (flow, platform, params, status, priority)
SELECT
  'asset_upload_flow', c.platform,
  jsonb_build_object('entity_type', c.entity_type, 'entity_id', c.entity_id, 'asset_type', c.asset_type,
                     'original_url', c.original_url),
  'PENDING', c.priority
FROM stir_asset_candidates AS c
WHERE NOT EXISTS (
  SELECT 1 FROM scrape_request_log AS q
  WHERE q.flow = 'asset_upload_flow'
    AND q.params->>'entity_type' = c.entity_type
    AND q.params->>'entity_id' = c.entity_id
    AND q.params->>'asset_type' = c.asset_type
    AND (q.status IN ('PENDING', 'PROCESSING')
         OR (q.status = 'COMPLETE' AND q.params->>'original_url' = c.original_url
             AND q.updated_at >= %(end)s::timestamp - %(max_age_s)s * interval '1 second'))
)
ORDER BY c.priority DESC, c.entity_type DESC, c.entity_id
ON CONFLICT DO NOTHING;
