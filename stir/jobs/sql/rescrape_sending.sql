-- Recorded (and committed) before the request goes out.
INSERT INTO stir_meta.rescrape_requests (platform, shortcode, run_end) VALUES (%(platform)s, %(shortcode)s, %(end)s);
