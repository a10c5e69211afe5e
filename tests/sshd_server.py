"""A real OpenSSH server on 127.0.0.1 (a free port) that accepts one key made for it: the
PostgreSQL host of transfer = ssh in the tests (the `sshd` fixture) and in
benchmarks/publish.py."""
from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

SSHD = shutil.which("sshd") or next((p for p in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if Path(p).exists()), None)


@contextmanager
def sshd_server(base: Path):
    """Start sshd with its keys and config under `base`; yields the STIR_SSH_* settings that
    reach it (its host key pinned in a known_hosts file of its own). Needs SSHD."""
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / name)], check=True)
    (base / "authorized_keys").write_text((base / "client_key.pub").read_text())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (base / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {base / 'host_key'}\nPidFile {base / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {base / 'authorized_keys'}\nStrictModes no\nUsePAM no\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
        "Subsystem sftp internal-sftp\nLogLevel ERROR\n")
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(base / "sshd_config")], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sshd did not start: {server.stderr.read().decode()[-500:]}")
            time.sleep(0.1)
    host_key = (base / "host_key.pub").read_text().split()
    (base / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    # The stage directory is read by PostgreSQL's OS user (pgserver's own user under root),
    # so it lies outside private temporary directories.
    stage = Path(tempfile.mkdtemp(prefix="stir-ssh-stage-"))
    stage.chmod(0o755)
    try:
        yield {"STIR_SSH_HOST": "127.0.0.1", "STIR_SSH_PORT": str(port), "STIR_SSH_USER": getpass.getuser(),
               "STIR_SSH_KEY_FILE": str(base / "client_key"), "STIR_SSH_KNOWN_HOSTS": str(base / "known_hosts"),
               "STIR_SSH_STAGE_DIR": str(stage / "stage dir; $(touch pwned) \"q\"")}
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(stage, ignore_errors=True)
