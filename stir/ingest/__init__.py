"""`stir ingest DIR`: contract files (<database>.<table>.jsonl / .parquet) into the raw tables."""
from stir.ingest.loader import ingest_dir, ingest_file

__all__ = ["ingest_dir", "ingest_file"]
