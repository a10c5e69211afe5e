"""Stir: raw crawled data in ClickHouse -> analytic marts -> PostgreSQL serving tables."""
import os as _os
import time as _time

__version__ = "0.1.0"

# Every timestamp in Stir is UTC. chDB's engine and the clients' naive-datetime conversions
# follow the process time zone, so a Stir process runs in UTC whatever the machine's zone.
_os.environ["TZ"] = "UTC"
_time.tzset()
