"""transfer = ssh against a real OpenSSH server on 127.0.0.1 (the `sshd` fixture) standing in
for the PostgreSQL host: the export is downloaded there, checked against its manifest,
unpacked and renamed, and PostgreSQL COPYs the server-side file. Arguments are shell-quoted
(the stage directory's name holds `; $(touch pwned)` and double quotes, which curl's
config must escape), and nothing secret reaches a command
line or the log."""
from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

import pytest

from conftest import Stir
from stir.publish.export_compression import zstd
from stir.errors import ConfigError, PublishError
from stir.publish import remote_stage, steps
from stir.publish.manifest import Manifest, data_key
from stir.publish.remote_stage import RemoteStage
from stir.publish.specs import SPECS
from stir.serving.migrate import migrate
from stir.store.local import LocalStore

SPEC = SPECS["leaderboard"]
HEADER = "\t".join(("id", "month", "profile_platform", "platform", "platform_id", "followers",
                    "current_month_ranks", "enabled"))


@pytest.fixture
def ssh_env(sshd, monkeypatch):
    for name, value in sshd.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("STIR_TRANSFER", "ssh")
    return sshd


def put_export(store: LocalStore, fp: str, lines: list[str]) -> Manifest:
    """An export in the store as ExportMart leaves it (gzip'd), and its manifest."""
    key = data_key("leaderboard", fp, "gzip")
    store.path(key).parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(store.path(key), "wt") as fh:
        fh.write("\n".join([HEADER, *lines]) + "\n")
    size, sha256 = store.checksum(key)
    return Manifest("leaderboard", SPEC.mart, fp, len(lines), key, columns=tuple(HEADER.split("\t")),
                    size=size, sha256=sha256)


def staged_files(env) -> list[str]:
    directory = Path(env["STIR_SSH_STAGE_DIR"]) / "leaderboard"
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_stage_check_copy_from_the_server_file_and_swap(ssh_env, pg, tmp_path):
    migrate(pg)
    store = LocalStore(tmp_path / "store")
    manifest = put_export(store, "sshok", ['1\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp1\t100\t{}\ttrue',
                                           '2\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp2\t\\N\t{}\tfalse'])
    with remote_stage.connection() as conn:
        stage = RemoteStage(conn, ssh_env["STIR_SSH_STAGE_DIR"])
        path = stage.stage(store, manifest)   # a local store's object goes over SFTP
        assert staged_files(ssh_env) == ["sshok"] and stage.exists("leaderboard", "sshok")
        assert [p.name for p in Path(path).iterdir()] == ["data.tsv"]
        assert (Path(path) / "data.tsv").read_text().splitlines()[0] == HEADER   # unpacked on the host
        data = stage.server_file(manifest)
        assert data.path == f"{path}/data.tsv"
        steps.load_shadow(pg, SPEC, manifest, data)
        steps.swap(pg, SPEC, manifest)
        stage.remove("leaderboard", "sshok")
    with pg.cursor() as cur:
        cur.execute("SELECT id, followers FROM leaderboard ORDER BY id")
        assert cur.fetchall() == [(1, 100), (2, None)]
    pg.rollback()
    assert staged_files(ssh_env) == []
    assert not (Path.home() / "pwned").exists()   # the stage directory's name was quoted, not run


def test_a_download_that_does_not_match_its_manifest_is_refused(ssh_env, tmp_path):
    store = LocalStore(tmp_path / "store")
    manifest = put_export(store, "sshbad", ['1\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp1\t100\t{}\ttrue'])
    with gzip.open(store.path(manifest.data_key), "at") as fh:   # the object changed after its manifest
        fh.write('2\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp2\t5\t{}\ttrue')
    with remote_stage.connection() as conn:
        with pytest.raises(PublishError, match="leaderboard: the export downloaded onto 127.0.0.1 does not match "
                                               "its manifest: .* expected .*; the live table is untouched"):
            RemoteStage(conn, ssh_env["STIR_SSH_STAGE_DIR"]).stage(store, manifest)
    assert staged_files(ssh_env) == []   # neither the bad download nor a partial stage is left


def test_an_export_that_does_not_unpack_is_refused_naming_the_error(ssh_env, tmp_path):
    """A gzip'd export cut short when it was written (its manifest's sums are of the cut
    bytes): the host's gzip fails while the bytes arrive, and the stage says so."""
    store = LocalStore(tmp_path / "store")
    manifest = put_export(store, "sshcut", [row(i, str(i)) for i in range(2000)])
    path = store.path(manifest.data_key)
    path.write_bytes(path.read_bytes()[:-2000])
    size, sha256 = store.checksum(manifest.data_key)
    manifest = dataclasses.replace(manifest, size=size, sha256=sha256)
    with remote_stage.connection() as conn:
        with pytest.raises(PublishError, match=r"leaderboard: staging .*data.tsv.gz on 127.0.0.1 failed \(exit 1\): "
                                               r"gzip: .*unexpected end of file; the live table is untouched"):
            RemoteStage(conn, ssh_env["STIR_SSH_STAGE_DIR"]).stage(store, manifest)
    assert staged_files(ssh_env) == []


def put_zstd_export(store: LocalStore, fp: str, lines: list[str]) -> Manifest:
    """An export in the store as ExportMart leaves it with export_compression = zstd (auto's
    choice for transfer = ssh), and its manifest."""
    key = data_key("leaderboard", fp, "zstd")
    store.path(key).parent.mkdir(parents=True, exist_ok=True)
    store.path(key).write_bytes(zstd.compress(("\n".join([HEADER, *lines]) + "\n").encode()))
    size, sha256 = store.checksum(key)
    return Manifest("leaderboard", SPEC.mart, fp, len(lines), key, columns=tuple(HEADER.split("\t")),
                    size=size, sha256=sha256)


@pytest.mark.parametrize("host_has_zstd", [True, False], ids=["zstd on the host", "no zstd on the host"])
def test_a_zstd_export_is_unpacked_on_the_host_or_here(ssh_env, pg, own_leaderboard, tmp_path, monkeypatch, caplog_loguru,
                                                       host_has_zstd):
    """A zstd'd export is unpacked on the PostgreSQL host as it arrives; a host without zstd
    gets it unpacked here, as plain text, with a warning. Either way the bytes are checked
    against the manifest, and a changed object is refused."""
    if not host_has_zstd:   # the host's zstd command, as if it were not installed
        monkeypatch.setitem(remote_stage.UNPACK_COMMAND, "zstd", "no-such-zstd -dcq")
    migrate(pg)
    store = LocalStore(tmp_path / "store")
    manifest = put_zstd_export(store, "sshzst", [row(i, str(i * 10)) for i in range(1, 501)])
    with remote_stage.connection() as conn:
        stage = RemoteStage(conn, ssh_env["STIR_SSH_STAGE_DIR"])
        path = stage.stage(store, manifest)
        assert [p.name for p in Path(path).iterdir()] == ["data.tsv"]
        steps.load_shadow(pg, SPEC, manifest, stage.server_file(manifest))
        steps.swap(pg, SPEC, manifest)
        stage.remove("leaderboard", "sshzst")
        changed = put_zstd_export(store, "sshzstbad", [row(1, "1")])
        store.path(changed.data_key).write_bytes(zstd.compress(f"{HEADER}\n{row(2, '2')}\n".encode()))
        with pytest.raises(PublishError, match="does not match its manifest"):
            stage.stage(store, changed)
    warned = [m for m in caplog_loguru if "has no no-such-zstd: the export is unpacked here" in m]
    assert len(warned) == (0 if host_has_zstd else 2)
    assert staged_files(ssh_env) == []
    with pg.cursor() as cur:
        cur.execute("SELECT count(*), sum(followers) FROM leaderboard")
        assert cur.fetchone() == (500, sum(i * 10 for i in range(1, 501)))
    pg.rollback()


def test_a_refused_row_of_a_server_file_is_named(ssh_env, pg, tmp_path):
    migrate(pg)
    store = LocalStore(tmp_path / "store")
    manifest = put_export(store, "sshrow", ['1\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp1\t100\t{}\ttrue',
                                            '7\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp7\tlots\t{}\ttrue'])
    with remote_stage.connection() as conn:
        stage = RemoteStage(conn, ssh_env["STIR_SSH_STAGE_DIR"])
        stage.stage(store, manifest)
        data = stage.server_file(manifest)
        with pytest.raises(PublishError, match=r"(?s)the live table is untouched.*lots.*refused: leaderboard row id=7"):
            steps.load_shadow(pg, SPEC, manifest, data)
        stage.remove("leaderboard", "sshrow")


def row(i: int, followers: str) -> str:
    return f"{i}\t2026-01-01 00:00:00\tIA\tINSTAGRAM\tp{i}\t{followers}\t{{}}\ttrue"


def put_parts(store: LocalStore, fp: str, parts: list[list[str]]) -> Manifest:
    """An export in gzip'd parts (copy_streams = 2), each with its size and SHA-256."""
    keys = [f"exports/leaderboard/{fp}/data_{i}.tsv.gz" for i in range(len(parts))]
    for key, lines in zip(keys, parts):
        store.path(key).parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(store.path(key), "wt") as fh:
            fh.write("\n".join([HEADER, *lines]) + "\n")
    sums = tuple(store.checksum(key) for key in keys)
    return Manifest("leaderboard", SPEC.mart, fp, sum(map(len, parts)), keys[0], columns=tuple(HEADER.split("\t")),
                    size=sums[0][0], sha256=sums[0][1], parts=tuple(keys), part_sums=sums)


def test_parts_are_staged_checked_and_copied_by_a_session_each(ssh_env, pg, tmp_path):
    """copy_streams = 2 over ssh: both parts are staged in one directory, each checked against
    its own checksum, and two sessions COPY them from the server-side files; a row one of them
    refuses is named, and a part that changed after its manifest stages nothing."""
    migrate(pg)
    store = LocalStore(tmp_path / "store")
    bad = put_parts(store, "sshpbad", [[row(1, "1"), row(3, "3")], [row(2, "2"), row(4, "many")]])
    good = put_parts(store, "sshpok", [[row(1, "10"), row(3, "30")], [row(2, "20"), row(4, "40")]])
    with remote_stage.connection() as conn:
        stage = RemoteStage(conn, ssh_env["STIR_SSH_STAGE_DIR"])
        stage.stage(store, bad)
        with pytest.raises(PublishError, match=r"(?s)the live table is untouched.*many.*refused: leaderboard row id=4"):
            steps.load_shadow(pg, SPEC, bad, stage.server_file(bad))
        path = stage.stage(store, good)
        assert sorted(p.name for p in Path(path).iterdir()) == ["data_0.tsv", "data_1.tsv"]
        steps.load_shadow(pg, SPEC, good, stage.server_file(good))
        steps.swap(pg, SPEC, good)
        with gzip.open(store.path(good.parts[1]), "at") as fh:   # changed after its manifest
            fh.write(row(5, "5") + "\n")
        with pytest.raises(PublishError, match="does not match its manifest"):
            stage.stage(store, dataclasses.replace(good, fingerprint="sshpchanged"))
        for fp in ("sshpbad", "sshpok"):
            stage.remove("leaderboard", fp)
    assert staged_files(ssh_env) == []
    with pg.cursor() as cur:
        cur.execute("SELECT id, followers FROM leaderboard ORDER BY id")
        assert cur.fetchall() == [(1, 10), (2, 20), (3, 30), (4, 40)]
    pg.rollback()


def test_an_unknown_host_key_is_refused(ssh_env, monkeypatch, tmp_path):
    (tmp_path / "empty_known_hosts").write_text("")
    monkeypatch.setenv("STIR_SSH_KNOWN_HOSTS", str(tmp_path / "empty_known_hosts"))
    with pytest.raises(ConfigError, match="cannot connect to .*@127.0.0.1:.*its host key must be in .*empty_known_hosts"):
        with remote_stage.connection():
            pass


def test_daily_tier_through_s3_and_ssh(sshd, moto_s3, tmp_path):
    """Production's shape: the export goes to S3 (zstd'd), the PostgreSQL host downloads it by
    a presigned URL that curl reads from stdin, and COPY reads the file there."""
    stir = Stir(tmp_path / "home")
    stir.env.update(sshd, STIR_TRANSFER="ssh", STIR_STORE="s3", STIR_S3_BUCKET="stir-exports",
                    STIR_S3_PREFIX="ssh", STIR_S3_ENDPOINT_URL=moto_s3)
    stir.run("seed", "--profiles", "40", "--months", "2", "--end", "2026-09-01")
    proc = stir.run_tier("daily", "--end", "2026-09-02", "--verbose")
    output = proc.stdout + proc.stderr
    assert "leaderboard: staged" in output and "StageExport(table=leaderboard" in output
    assert "stir-test-secret" not in output and "Signature=" not in output
    assert staged_files(sshd) == []   # the staged file went once the table was live
    conn = stir.pg()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM leaderboard")
        assert cur.fetchone()[0] == stir.sql("SELECT count() FROM stir_marts.mart_leaderboard")[0][0] > 0
        cur.execute("SELECT count(*) FROM genre_overview")
        assert cur.fetchone()[0] > 0
    conn.close()
