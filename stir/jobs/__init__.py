"""Crawler jobs: re-scrape requests for collection posts (15min), asset-upload requests
(2h), keyword reports (daily and `stir report keywords`). Each is a library function
(rescrape.run, asset_upload.run, keyword_report.write) wrapped by a Luigi task in tasks.py."""
