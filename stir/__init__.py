"""Stir: raw crawled data in ClickHouse -> analytic marts -> PostgreSQL serving tables."""

__version__ = "0.1.0"
