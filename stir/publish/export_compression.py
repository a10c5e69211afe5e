"""The exports' compressions (export_compression): none, gzip or zstd. ClickHouse's file()
and s3() compress by the key's suffix; readers here and on the PostgreSQL host tell them by
their suffix or their first bytes (an export starts with its header's first column name,
never with a magic number).

zstd is auto's choice where bytes cross a network: measured on a 1M-row leaderboard export
(426 MB of text), gzip wrote 47 MB in 1.5 s and took 1.3 s to unpack; zstd 42 MB in 1.0 s
and 0.4 s."""
from __future__ import annotations

import gzip
import io
from typing import BinaryIO

try:   # Python 3.14 has zstd in the standard library; before it, its backport
    from compression import zstd
except ImportError:   # pragma: no cover - depends on the Python version
    from backports import zstd

SUFFIXES = {"none": ".tsv", "gzip": ".tsv.gz", "zstd": ".tsv.zst"}
_MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}
MAGIC_LENGTH = 4
# The command that unpacks each compression to stdout on the PostgreSQL host (transfer = ssh).
UNPACK_COMMAND = {"gzip": "gzip -dc", "zstd": "zstd -dcq"}


def of_key(key: str) -> str:
    """The compression of an export file, by its key's suffix."""
    return next((name for name, suffix in SUFFIXES.items() if name != "none" and key.endswith(suffix)), "none")


def plain_name(name: str) -> str:
    """An export file's name once unpacked (data_0.tsv.zst -> data_0.tsv)."""
    compression = of_key(name)
    return name if compression == "none" else name.removesuffix(SUFFIXES[compression]) + ".tsv"


def of_head(head: bytes) -> str:
    """The compression of a stream whose first bytes are `head`."""
    return next((name for magic, name in _MAGIC.items() if head.startswith(magic)), "none")


def unpacking(fh: BinaryIO, compression: str) -> BinaryIO:
    """`fh`'s bytes, unpacked as they are read."""
    if compression == "gzip":
        return gzip.open(fh, "rb")
    if compression == "zstd":
        return zstd.ZstdFile(fh, "rb")
    return fh


class _Peeked(io.RawIOBase):
    """A binary stream with its first bytes (already read, to sniff the format) put back."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n], self.head = self.head[:n], self.head[n:]
            return n
        chunk = self.rest.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def sniffed(raw: BinaryIO) -> BinaryIO:
    """`raw`'s bytes, unpacked if they are gzip's or zstd's, read as they arrive."""
    head = b""
    while len(head) < MAGIC_LENGTH and (more := raw.read(MAGIC_LENGTH - len(head))):
        head += more
    return unpacking(io.BufferedReader(_Peeked(head, raw), buffer_size=1 << 20), of_head(head))
