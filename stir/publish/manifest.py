"""The manifest written beside an export, after its data: its presence means the export is whole."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from stir.publish.export_compression import SUFFIXES


@dataclass(frozen=True)
class Manifest:
    table: str
    mart: str
    fingerprint: str
    rows: int
    data_key: str
    # Filled in by exports since the ssh transfer (older manifests lack them): the export's
    # header columns, and its size and SHA-256, which a download onto the PostgreSQL host is
    # checked against (computed only when transfer = ssh: it reads the whole export once more).
    columns: tuple[str, ...] = ()
    size: int | None = None
    sha256: str | None = None
    # A merge-mode table's delta export (stir.publish.delta): the version it is a delta of
    # (None: the export is the whole version), the rows it holds (`rows` counts the whole
    # version), and the key of its gone.tsv (the keys the new version deletes).
    base: str | None = None
    changed: int | None = None
    gone_key: str | None = None
    # A whole version written in parts for parallel COPY streams: their keys (data_key is the
    # first); empty for an export in one file. With transfer = ssh, (size, SHA-256) of each.
    parts: tuple[str, ...] = ()
    part_sums: tuple[tuple[int, str], ...] = ()

    @property
    def files(self) -> tuple[str, ...]:
        """The keys of the export's data: its parts, or its one file."""
        return self.parts or (self.data_key,)

    @staticmethod
    def file_name(key: str) -> str:
        """The name an export file of the store keeps when staged next to PostgreSQL."""
        return key.rsplit("/", 1)[-1]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        values = json.loads(text)
        values["columns"] = tuple(values.get("columns", ()))
        values["parts"] = tuple(values.get("parts", ()))
        values["part_sums"] = tuple(tuple(pair) for pair in values.get("part_sums", ()))
        return cls(**values)


# Layout of the staging store: exports/<table>/<fingerprint>/{data.tsv[.gz|.zst], manifest.json}
# (stir.publish.export_format).
MANIFEST = "manifest.json"


def exports_root(table: str) -> str:
    return f"exports/{table}/"


def export_prefix(table: str, fingerprint: str) -> str:
    return f"{exports_root(table)}{fingerprint}"


def data_key(table: str, fingerprint: str, compression: str = "gzip") -> str:
    return f"{export_prefix(table, fingerprint)}/data{SUFFIXES[compression]}"


# A part of an export, in any of the compressions.
_PART = re.compile(r"/data_(\d+)(?:" + "|".join(re.escape(suffix) for suffix in SUFFIXES.values()) + ")$")


def part_pattern(table: str, fingerprint: str, compression: str) -> str:
    """The key of an export in parts, with ClickHouse's {_partition_id} for the part number."""
    return f"{export_prefix(table, fingerprint)}/data_{{_partition_id}}{SUFFIXES[compression]}"


def is_part(key: str) -> bool:
    return _PART.search(key) is not None


def part_number(key: str) -> int:
    return int(_PART.search(key).group(1))


def gone_key(table: str, fingerprint: str) -> str:
    return f"{export_prefix(table, fingerprint)}/gone.tsv"


def manifest_key(table: str, fingerprint: str) -> str:
    return f"{export_prefix(table, fingerprint)}/{MANIFEST}"


def fingerprint_of(key: str) -> str:
    """The fingerprint in a key below exports/<table>/<fingerprint>/."""
    return key.split("/")[-2]
