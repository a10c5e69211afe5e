"""SQLMesh configuration of Stir's models: the gateway comes from Stir's settings
(luigi.cfg [stir] + STIR_* environment), so `sqlmesh plan` here and `bin/run_tier` share
one warehouse and one state database, and wait for each other."""
from stir import log
from stir.settings import load_settings, use_project_config
from stir.sqlmesh_config import build_config
from stir.sqlmesh_lock import hold

use_project_config()
log.setup()
# `sqlmesh plan`, `run`, `test` ... take the lock tier runs take: never two at once.
hold(load_settings().lock_timeout)
config = build_config()
