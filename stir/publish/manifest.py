"""The manifest written beside an export, after its data: its presence means the export is whole."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Manifest:
    table: str
    mart: str
    fingerprint: str
    rows: int
    data_key: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        return cls(**json.loads(text))


# Layout of the staging store: exports/<table>/<fingerprint>/{data.csv.gz, manifest.json}.
MANIFEST = "manifest.json"


def exports_root(table: str) -> str:
    return f"exports/{table}/"


def export_prefix(table: str, fingerprint: str) -> str:
    return f"{exports_root(table)}{fingerprint}"


def data_key(table: str, fingerprint: str) -> str:
    return f"{export_prefix(table, fingerprint)}/data.csv.gz"


def manifest_key(table: str, fingerprint: str) -> str:
    return f"{export_prefix(table, fingerprint)}/{MANIFEST}"


def fingerprint_of(key: str) -> str:
    """The fingerprint in a key below exports/<table>/<fingerprint>/."""
    return key.split("/")[-2]
