"""A SQLMesh lint rule: a mart published to a serving table must still fit that table's DDL
(stir/serving/ddl/), so `sqlmesh plan` (and `sqlmesh lint`) stop a model change that would
break the API before it reaches prod. The comparison is Stir's publish-time drift check
(stir.publish.schema.compare); a column whose type SQLMesh cannot infer is checked by name."""
from __future__ import annotations

import typing as t

from sqlmesh.core.linter.rule import Rule, RuleViolation
from sqlmesh.core.model import Model

from stir.publish.schema import lint_problems
from stir.publish.specs import SPECS


class ServingDrift(Rule):
    """The mart no longer fits its serving table (stir/serving/ddl/)."""

    def check_model(self, model: Model) -> t.Optional[RuleViolation]:
        spec = next((s for s in SPECS.values() if s.mart == model.name), None)
        if spec is None:
            return None
        columns = {name: (None if kind.is_type("unknown") else kind.sql("clickhouse"))
                   for name, kind in (model.columns_to_types or {}).items()}
        problems = lint_problems(spec, columns)
        if not problems:
            return None
        return self.violation(f"{spec.table}: mart {model.name} does not fit the serving table ({spec.ddl}): "
                              + "; ".join(problems))
