"""S3 (or any S3 API such as moto's server) as the staging store. Credentials come from the
environment through boto3's usual chain; the ClickHouse s3() function gets the same ones."""
from __future__ import annotations

import os
from pathlib import Path

import boto3

from stir.errors import StirError
from stir.sqlfiles import literal
from stir.store.base import Store


class S3Store(Store):
    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.client = boto3.client("s3", endpoint_url=endpoint_url)

    def key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def exists(self, key: str) -> bool:
        try:
            response = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.key(key), MaxKeys=1)
        except self.client.exceptions.NoSuchBucket:
            raise StirError(f"staging store: S3 bucket {self.bucket!r} does not exist (s3_bucket)") from None
        return any(obj["Key"] == self.key(key) for obj in response.get("Contents", []))

    def put_text(self, key: str, text: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.key(key), Body=text.encode("utf-8"))

    def read_text(self, key: str) -> str:
        return self.client.get_object(Bucket=self.bucket, Key=self.key(key))["Body"].read().decode("utf-8")

    def open(self, key: str):
        return self.client.get_object(Bucket=self.bucket, Key=self.key(key))["Body"]

    def download(self, key: str, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        self.client.download_file(self.bucket, self.key(key), str(tmp))
        os.replace(tmp, dest)

    def presigned_url(self, key: str, expires_s: int = 3600) -> str | None:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self.key(key)}, ExpiresIn=expires_s)

    def _objects(self, prefix: str):
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.key(prefix))
        for page in pages:
            yield from page.get("Contents", [])

    def objects(self, prefix: str) -> list[tuple[str, float]]:
        strip = len(self.prefix) + 1 if self.prefix else 0
        return [(obj["Key"][strip:], obj["LastModified"].timestamp()) for obj in self._objects(prefix)]

    def delete_prefix(self, prefix: str) -> None:
        keys = [{"Key": obj["Key"]} for obj in self._objects(prefix.rstrip("/") + "/")]
        for start in range(0, len(keys), 1000):
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys[start:start + 1000]})

    def url(self, key: str) -> str:
        base = (self.endpoint_url or f"https://{self.bucket}.s3.amazonaws.com").rstrip("/")
        if self.endpoint_url:
            return f"{base}/{self.bucket}/{self.key(key)}"
        return f"{base}/{self.key(key)}"

    def clickhouse_destination(self, key: str, fmt: str) -> str:
        frozen = self._credentials()
        if frozen and frozen.access_key:
            return (
                f"s3({literal(self.url(key))}, {literal(frozen.access_key)}, "
                f"{literal(frozen.secret_key)}, {literal(fmt)})"
            )
        return f"s3({literal(self.url(key))}, {literal(fmt)})"

    def _credentials(self):
        creds = boto3.Session().get_credentials()  # boto3's chain: environment, profile, role
        return creds.get_frozen_credentials() if creds else None

    def secrets(self) -> list[str]:
        frozen = self._credentials()
        return [v for v in (frozen.secret_key, frozen.token) if v] if frozen else []

    def describe(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.key(key)}"
