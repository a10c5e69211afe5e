"""Whether prod already runs this project, known without loading it.

Loading the SQLMesh project (every model parsed or read from its cache, then fingerprinted)
is about 0.6 s of every tier run, and it is needed only to find out whether the project
differs from what prod runs (auto_plan): the run itself evaluates prod's snapshots from the
state database. So once a run has found prod current (or made it so), it records a digest of
everything that decides the models' fingerprints, with the identity of prod's last plan:

- every file of sqlmesh_project/ (models, macros, audits, tests, config), but its logs/ and
  SQLMesh's .cache/;
- the model defaults and variables of the SQLMesh config Stir builds (model_start, ...);
- the SQLMesh version.

A later run whose digest and prod's plan are the recorded ones skips the load. Any edit of
the project, a plan applied to prod from elsewhere (a new plan id), an unfinished plan or
another SQLMesh version makes the run load the project and compare it as before. The record
is a file in the Stir home (`<home>/sqlmesh_prod.json`), a cache: deleting it costs one load.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from stir.settings import Settings

_SKIPPED_DIRS = {"logs", ".cache", "__pycache__"}


def digest(project: Path, config) -> str:
    """The digest of `project` (sqlmesh_project/) and of `config`'s parts that reach the
    models' fingerprints."""
    import sqlmesh

    h = hashlib.sha256()
    for path in sorted(_project_files(project)):
        h.update(path.relative_to(project).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    h.update(config.model_defaults.json(sort_keys=True).encode())
    h.update(json.dumps(config.variables, sort_keys=True, default=str).encode())
    h.update(sqlmesh.__version__.encode())
    return h.hexdigest()


def _project_files(project: Path):
    for root, dirs, files in os.walk(project):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS]
        for name in files:
            if not name.endswith((".pyc", ".log")):
                yield Path(root) / name


def _path(settings: Settings) -> Path:
    return settings.home / "sqlmesh_prod.json"


def is_recorded(settings: Settings, project_digest: str, plan_id: str) -> bool:
    """Whether a run found prod current with this project digest and prod's plan `plan_id`."""
    try:
        record = json.loads(_path(settings).read_text())
    except (OSError, ValueError):
        return False
    return record == {"digest": project_digest, "plan_id": plan_id}


def record(settings: Settings, project_digest: str, plan_id: str) -> None:
    """Record that prod, at plan `plan_id`, runs the project of `project_digest` (written whole:
    a temporary file renamed over the last record)."""
    path = _path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".sqlmesh_prod.")
    with os.fdopen(fd, "w") as f:
        json.dump({"digest": project_digest, "plan_id": plan_id}, f)
    os.replace(tmp, path)
