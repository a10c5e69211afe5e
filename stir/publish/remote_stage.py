"""transfer = ssh: the export is staged on the PostgreSQL host itself, over SSH (fabric), and
PostgreSQL reads it with COPY FROM a server-side file.

On the host, under ssh_stage_dir/<table>/:
  <fingerprint>.tmp/       being filled: each file of the export (its one file, or its parts
                           for copy_streams COPY sessions) downloaded as <name>.download (from
                           S3 by a presigned URL fed to curl on stdin, or sent over SFTP from a
                           local store), checked against the manifest's size and SHA-256, then
                           decompressed beside it (data.tsv, or data_0.tsv, data_1.tsv, ...);
  <fingerprint>/           renamed from .tmp once every file is: its presence means "staged".
The stage directory must be one PostgreSQL's OS user can read (Stir makes its files readable
to others, umask 022) and the login role needs pg_read_server_files. Every argument is shell-quoted; no credential appears on a command line (the URL goes on
curl's stdin, the key's passphrase comes from STIR_SSH_KEY_PASSPHRASE).
"""
from __future__ import annotations

import io
import os
import shlex
import time
from contextlib import contextmanager
from pathlib import Path

from loguru import logger

from stir.errors import ConfigError, PublishError
from stir.publish.manifest import Manifest
from stir.publish.steps import ServerFile
from stir.settings import Settings, load_settings
from stir.store.base import Store


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
    return Manifest.file_name(key).removesuffix(".gz")


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
        """Download the manifest's export (its file, or each of its parts) into a temporary
        directory on the host, check each file's size and SHA-256, decompress them (at once)
        and rename the directory into place. Returns the staged directory's path on the host."""
        table, fp = manifest.table, manifest.fingerprint
        sums = manifest.part_sums or ((manifest.size, manifest.sha256),)
        if len(sums) != len(manifest.files) or any(size is None or sha is None for size, sha in sums):
            raise PublishError(f"{table}: export {fp} has no checksum in its manifest (exported before transfer = "
                               "ssh was set); run the tier with --restate, or remove the export, to export it again")
        tmp, final = self.path(table, fp, ".tmp"), self.path(table, fp)
        q = shlex.quote
        # PostgreSQL's own OS user reads the staged files: they are made readable to others (umask 022).
        self.run(f"umask 022 && rm -rf {q(tmp)} && mkdir -p {q(tmp)}", f"{table}: creating the stage directory")
        started, total, unpack = time.monotonic(), 0, []
        for key, (size, sha256) in zip(manifest.files, sums):
            download = f"{tmp}/{Manifest.file_name(key)}.download"
            self._download(store, key, download, table)
            got_size, got_sha = self._checksum(download, table)
            if (got_size, got_sha) != (size, sha256):
                self.run(f"rm -rf {q(tmp)}", f"{table}: removing a bad download")
                raise PublishError(
                    f"{table}: the export downloaded onto {self.conn.host} does not match its manifest: "
                    f"{got_size:,} bytes, sha256 {got_sha[:12]}…, expected {size:,} bytes, sha256 {sha256[:12]}…; "
                    "the live table is untouched")
            total += size
            plain = f"{tmp}/{_staged_name(key)}"
            unpack.append(f"gzip -dc {q(download)} > {q(plain)} && rm -f {q(download)}" if key.endswith(".gz")
                          else f"mv {q(download)} {q(plain)}")
        # Each file decompressed by a process of its own; the directory is renamed once all are.
        jobs = " ".join(f"( {command} ) & p{i}=$!;" for i, command in enumerate(unpack))
        waits = " && ".join(f"wait $p{i}" for i in range(len(unpack)))
        self.run(f"umask 022 && {jobs} {waits} && mv -T {q(tmp)} {q(final)}", f"{table}: unpacking the staged export")
        logger.info("{}: staged {:,} bytes on {} at {} in {:.1f}s", table, total, self.conn.host, final,
                    time.monotonic() - started)
        return final

    def _download(self, store: Store, key: str, download: str, table: str) -> None:
        url = store.presigned_url(key)
        if url is not None:
            # curl reads its URL from stdin (--config -): the signed URL is never in a process list.
            config = io.StringIO(f'url = "{url}"\noutput = "{download}"\n')
            self.run("curl --fail --silent --show-error --retry 3 --config -",
                     f"{table}: downloading {store.describe(key)} onto the PostgreSQL host", in_stream=config)
            return
        source = store.open(key)
        try:
            self.conn.put(source, download)
        finally:
            source.close()

    def _checksum(self, path: str, table: str) -> tuple[int, str]:
        out = self.run(f"stat -c %s {shlex.quote(path)} && sha256sum {shlex.quote(path)}",
                       f"{table}: checking the download")
        size, line = out.strip().splitlines()
        return int(size), line.split()[0]

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
