"""SQLMesh configuration of Stir's models: the gateway comes from Stir's settings
(luigi.cfg [stir] + STIR_* environment), so `sqlmesh plan` here and `bin/run_tier` share
one warehouse and one state database."""
from stir import log
from stir.settings import use_project_config
from stir.sqlmesh_config import build_config

use_project_config()
log.setup()
config = build_config()
