"""transfer = ssh: the export is staged on the PostgreSQL host itself, over SSH (fabric), and
PostgreSQL reads it with COPY FROM a server-side file.

On the host, under ssh_stage_dir/<table>/:
  <fingerprint>.tmp/       being filled: each file of the export (its one file, or its parts
                           for copy_streams COPY sessions), all at once, by one remote command
                           each: sent from here on the command's stdin and decompressed as it
                           arrives (a local store), or downloaded by curl from a presigned URL
                           fed to it on stdin, then decompressed (S3); the bytes received are
                           checked against the manifest's size and SHA-256 (data.tsv, or
                           data_0.tsv, data_1.tsv, ... once unpacked);
  <fingerprint>/           renamed from .tmp once every file is: its presence means "staged".
The stage directory must be one PostgreSQL's OS user can read (Stir makes its files readable
to others, umask 022) and the login role needs pg_read_server_files. Every argument is shell-quoted; no credential appears on a command line (the URL goes on
curl's stdin, the key's passphrase comes from STIR_SSH_KEY_PASSPHRASE).
"""
from __future__ import annotations

import hashlib
import io
import os
import shlex
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from loguru import logger

from stir.errors import ConfigError, PublishError
from stir.publish import export_compression
from stir.publish.export_compression import UNPACK_COMMAND
from stir.publish.manifest import Manifest
from stir.publish.steps import ServerFile
from stir.settings import Settings, load_settings
from stir.store.base import Store

_CHUNK = 1 << 20   # bytes sent to the host per write


@contextmanager
def connection(settings: Settings | None = None):
    """A fabric Connection to the PostgreSQL host; its key must be in ssh_known_hosts."""
    import paramiko
    from fabric import Connection

    settings = settings or load_settings()
    connect_kwargs: dict = {}
    if settings.ssh_key_file:
        connect_kwargs["key_filename"] = str(settings.ssh_key_file)
    if os.environ.get("STIR_SSH_KEY_PASSPHRASE"):
        connect_kwargs["passphrase"] = os.environ["STIR_SSH_KEY_PASSPHRASE"]
    conn = Connection(settings.ssh_host, user=settings.ssh_user or None, port=settings.ssh_port,
                      connect_kwargs=connect_kwargs, connect_timeout=30)
    known = Path(settings.ssh_known_hosts or "~/.ssh/known_hosts").expanduser()
    conn.client.set_missing_host_key_policy(paramiko.RejectPolicy())  # never trust an unknown host
    if known.exists():
        conn.client.load_host_keys(str(known))
    try:
        conn.open()
    except paramiko.SSHException as exc:
        raise ConfigError(f"transfer = ssh: cannot connect to {settings.ssh_user or '(you)'}@{settings.ssh_host}:"
                          f"{settings.ssh_port}: {exc} (its host key must be in {known}: ssh_known_hosts)") from None
    try:
        yield conn
    finally:
        conn.close()


def _staged_name(key: str) -> str:
    """The name an export file of the store has on the host once staged (decompressed)."""
    return export_compression.plain_name(Manifest.file_name(key))


def _curl_quoted(value: str) -> str:
    """`value` inside a double-quoted string of a curl config file."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


class _Summed(io.RawIOBase):
    """A store object's bytes as they are read, counted and hashed (SHA-256) on the way."""

    def __init__(self, raw):
        self.raw, self.size, self.sha256 = raw, 0, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.raw.read(len(buffer))
        buffer[:len(chunk)] = chunk
        self.size += len(chunk)
        self.sha256.update(chunk)
        return len(chunk)


class RemoteStage:
    """Exports staged in ssh_stage_dir on the PostgreSQL host, reached by `conn`."""

    def __init__(self, conn, stage_dir: str):
        self.conn, self.stage_dir = conn, stage_dir.rstrip("/")

    def path(self, table: str, fingerprint: str, suffix: str = "") -> str:
        """The fingerprint's stage directory (`suffix` ".tmp": the one being filled)."""
        return f"{self.stage_dir}/{table}/{fingerprint}{suffix}"

    def _run(self, command: str, in_stream=None):
        # in_stream=False: never forward this process's own stdin to the remote command.
        return self.conn.run(command, hide=True, warn=True, in_stream=in_stream if in_stream is not None else False)

    def run(self, command: str, what: str, in_stream=None) -> str:
        result = self._run(command, in_stream)
        if result.failed:
            raise PublishError(f"{what} failed on {self.conn.host} (exit {result.exited}): "
                               f"{(result.stderr or result.stdout).strip()[-500:]}")
        return result.stdout

    def exists(self, table: str, fingerprint: str) -> bool:
        return self._run(f"test -d {shlex.quote(self.path(table, fingerprint))}").ok

    def stage(self, store: Store, manifest: Manifest) -> str:
        """Download the manifest's export (its file, or each of its parts, at once) into a
        temporary directory on the host, decompressing each as it arrives, check each file's
        size and SHA-256, and rename the directory into place. Returns the staged directory's
        path on the host."""
        table, fp = manifest.table, manifest.fingerprint
        sums = manifest.part_sums or ((manifest.size, manifest.sha256),)
        if len(sums) != len(manifest.files) or any(size is None or sha is None for size, sha in sums):
            raise PublishError(f"{table}: export {fp} has no checksum in its manifest (exported before transfer = "
                               "ssh was set); run the tier with --restate, or remove the export, to export it again")
        tmp, final = self.path(table, fp, ".tmp"), self.path(table, fp)
        q = shlex.quote
        # PostgreSQL's own OS user reads the staged files: they are made readable to others (umask 022).
        # The unpacking commands the export needs that the host lacks are listed.
        tools = sorted({UNPACK_COMMAND[c].split()[0] for c in map(export_compression.of_key, manifest.files)
                        if c != "none"})
        probe = "".join(f"; command -v {tool} >/dev/null 2>&1 || echo {tool}" for tool in tools)
        missing = self.run(f"umask 022 && rm -rf {q(tmp)} && mkdir -p {q(tmp)}{probe}",
                           f"{table}: creating the stage directory").split()
        if missing:
            logger.warning("{}: {} has no {}: the export is unpacked here and sent as plain text (several times "
                           "the bytes); install it there, or set export_compression to one it has", table,
                           self.conn.host, " or ".join(missing))
        started = time.monotonic()
        # One SSH channel per file, all at once: each is received, unpacked and summed on the
        # host while the others are (1M rows in two zstd'd parts over loopback: 0.9 s; through
        # SFTP, then a checksum, then gzip's unpacking, one part after the other: 1.9 s).
        with ThreadPoolExecutor(max_workers=len(manifest.files)) as pool:
            fetched = list(pool.map(lambda key: self._fetch(store, key, tmp, bool(missing)), manifest.files))
        for key, (size, sha256), (status, got_size, got_sha, error) in zip(manifest.files, sums, fetched):
            if (got_size, got_sha) != (size, sha256) and got_sha is not None:
                self.run(f"rm -rf {q(tmp)}", f"{table}: removing a bad download")
                raise PublishError(
                    f"{table}: the export downloaded onto {self.conn.host} does not match its manifest: "
                    f"{got_size:,} bytes, sha256 {got_sha[:12]}…, expected {size:,} bytes, sha256 {sha256[:12]}…; "
                    "the live table is untouched")
            if status != 0 or got_sha is None:
                self.run(f"rm -rf {q(tmp)}", f"{table}: removing a failed download")
                raise PublishError(f"{table}: staging {store.describe(key)} on {self.conn.host} failed (exit {status}): "
                                   f"{error.strip()[-500:]}; the live table is untouched")
        self.run(f"mv -T {q(tmp)} {q(final)}", f"{table}: renaming the staged export into place")
        logger.info("{}: staged {:,} bytes on {} at {} in {:.1f}s", table, sum(size for size, _ in sums),
                    self.conn.host, final, time.monotonic() - started)
        return final

    def _fetch(self, store: Store, key: str, tmp: str, unpack_here: bool) -> tuple[int, int | None, str | None, str]:
        """Bring one export file into `tmp` on the host, unpacked, in one remote command: from
        S3 by curl (its presigned URL on curl's stdin, never on a command line), or sent from
        here on the command's stdin and unpacked as it arrives (`unpack_here`: unpacked here,
        for a host without the unpacking command). Returns the command's exit status, the
        size and SHA-256 of the export's bytes (None if it never got that far) and its error
        output."""
        q = shlex.quote
        plain = f"{tmp}/{_staged_name(key)}"
        packed = export_compression.of_key(key)
        if unpack_here and packed != "none":
            with store.open(key) as raw:
                summed = _Summed(raw)
                status, out, err, sent = self._exec(f"umask 022; cat > {q(plain)}; status=$?; stat -c %s {q(plain)}; "
                                                    "exit $status", export_compression.unpacking(summed, packed))
            if status == 0 and out.strip() != str(sent):
                return 1, None, None, f"{plain} holds {out.strip()} bytes of the {sent:,} sent"
            return status, summed.size, summed.sha256.hexdigest(), err
        url = store.presigned_url(key)
        received = f"{tmp}/{Manifest.file_name(key)}.download" if packed != "none" or url else plain
        unpack = UNPACK_COMMAND.get(packed)
        if url is not None:
            receive = "curl --fail --silent --show-error --retry 3 --config -"
            then = (f"{unpack} {q(received)} > {q(plain)} && rm -f {q(received)}" if unpack
                    else f"mv {q(received)} {q(plain)}")
        else:
            receive = f"tee {q(received)} | {unpack} > {q(plain)}" if unpack else f"cat > {q(plain)}"
            then = f"rm -f {q(received)}" if unpack else "true"
        # The sums are printed whatever the receiving status, so a changed object is named as one.
        command = (f"umask 022; {receive}; status=$?; stat -c %s {q(received)} && sha256sum {q(received)}; "
                   f"[ $status -eq 0 ] || exit $status; {then}")
        if url is not None:
            config = f'url = "{_curl_quoted(url)}"\noutput = "{_curl_quoted(received)}"\n'
            status, out, err, _ = self._exec(command, io.BytesIO(config.encode()))
        else:
            with store.open(key) as source:
                status, out, err, _ = self._exec(command, source)
        lines = out.strip().splitlines()
        if len(lines) < 2 or not lines[0].isdigit():
            return status, None, None, err
        return status, int(lines[0]), lines[1].split()[0], err

    def _exec(self, command: str, stdin) -> tuple[int, str, str, int]:
        """Run `command` on the host in a channel of its own, `stdin`'s bytes on its standard
        input; returns its exit status, output, error output and the bytes it was sent."""
        channel = self.conn.client.get_transport().open_session()
        sent = 0
        try:
            channel.exec_command(command)
            try:
                while chunk := stdin.read(_CHUNK):
                    channel.sendall(chunk)
                    sent += len(chunk)
                channel.shutdown_write()
            except OSError:   # the command ended without reading everything: its status says why
                pass
            out = channel.makefile("rb").read().decode(errors="replace")
            err = channel.makefile_stderr("rb").read().decode(errors="replace")
            return channel.recv_exit_status(), out, err, sent
        finally:
            channel.close()

    def server_file(self, manifest: Manifest) -> ServerFile | list[ServerFile]:
        """The manifest's staged export, for LoadShadow's COPY FROM the server-side file: its
        one file, or its parts in order (one COPY session each)."""
        directory = self.path(manifest.table, manifest.fingerprint)
        files = []
        for key in manifest.files:
            path = f"{directory}/{_staged_name(key)}"
            files.append(ServerFile(path, manifest.columns, lambda n, path=path: self.read_line(manifest.table, path, n)))
        return files if manifest.parts else files[0]

    def read_line(self, table: str, path: str, number: int) -> str:
        """Line `number` (1-based) of a staged file, to name a row COPY refused."""
        return self.run(f"sed -n {int(number)}p {shlex.quote(path)}", f"{table}: reading line {number} of the staged export")

    def remove(self, table: str, fingerprint: str) -> None:
        self.run(f"rm -rf {shlex.quote(self.path(table, fingerprint))}", f"{table}: removing the staged export")

    def prune(self, table: str, current: str, started: float) -> list[str]:
        """Remove staged exports of other fingerprints (whole or partial) that a crashed run
        left in the table's stage directory, untouched since `started`. Returns their names."""
        directory = self.path(table, "x").rsplit("/", 1)[0]
        q = shlex.quote
        out = self.run(f"test -d {q(directory)} || exit 0; "
                       f"find {q(directory)} -mindepth 1 -maxdepth 1 ! -name {q(current)} ! -name {q(current + '.*')} "
                       f"! -newermt @{int(started)} -print -exec rm -rf {{}} +", f"{table}: pruning the stage directory")
        doomed = [line.rsplit("/", 1)[-1] for line in out.splitlines() if line.strip()]
        if doomed:
            logger.info("{}: removed {} staged export(s) left on {} by an earlier crash", table, len(doomed),
                        self.conn.host)
        return doomed
