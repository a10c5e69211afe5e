"""The staging store between the warehouse and PostgreSQL: a local directory or S3."""
from __future__ import annotations

from stir.settings import Settings, load_settings
from stir.store.base import Store


def get_store(settings: Settings | None = None) -> Store:
    settings = settings or load_settings()
    if settings.store == "local":
        from stir.store.local import LocalStore

        return LocalStore(settings.store_path)
    from stir.store.s3 import S3Store

    return S3Store(settings.s3_bucket, settings.s3_prefix, settings.s3_endpoint_url or None)


__all__ = ["Store", "get_store"]
