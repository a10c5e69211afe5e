"""The steps of publishing one serving table, as plain functions (the Luigi tasks in
stir.publish.tasks only sequence them and give each a target), one module each:

fingerprints (is this version published already?) -> exports (to the staging store) ->
[download to the PostgreSQL side: local_stage, remote_stage] -> shadow_loads (a shadow
table, checked) -> swaps (made live atomically, backup kept), or merges for a delta;
rollbacks puts the backup back. pg holds what they share on the PostgreSQL side."""
from stir.publish.steps.exports import export, export_select, exported_columns, prune_exports, read_manifest
from stir.publish.steps.fingerprints import fingerprint, publish_fingerprint
from stir.publish.steps.merges import StaleDelta, upsert_sql
from stir.publish.steps.pg import has_marker, marked_fingerprint
from stir.publish.steps.rollbacks import rollback
from stir.publish.steps.shadow_loads import ProgressReader, ServerFile, export_stream, load_shadow
from stir.publish.steps.swaps import SwapPolicy, delta_base, discard_shadow, swap

__all__ = [
    "ProgressReader", "ServerFile", "StaleDelta", "SwapPolicy", "delta_base", "discard_shadow", "export",
    "export_select", "export_stream", "exported_columns", "fingerprint", "has_marker", "load_shadow",
    "marked_fingerprint", "prune_exports", "publish_fingerprint", "read_manifest", "rollback", "swap", "upsert_sql",
]
