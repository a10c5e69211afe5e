-- Shortcodes Stir sent (or began to send) within 12 hours of T, either side.
SELECT platform, shortcode FROM stir_meta.rescrape_requests
WHERE run_end > %(end)s::timestamp - interval '12 hours' AND run_end < %(end)s::timestamp + interval '12 hours';
