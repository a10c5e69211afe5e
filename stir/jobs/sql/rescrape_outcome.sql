-- The crawler's answer to one request.
UPDATE stir_meta.rescrape_requests SET outcome = %(outcome)s, http_status = %(status)s, detail = %(detail)s
WHERE platform = %(platform)s AND shortcode = %(shortcode)s AND run_end = %(end)s;
