"""Builds SQLMesh's Config from Stir's settings, so `sqlmesh plan` in sqlmesh_project/ and
`bin/run_tier` use the same warehouse and the same state database.

State always lives in PostgreSQL (SQLMesh cannot keep it in ClickHouse): the embedded
pgserver by default, the serving database (schema `sqlmesh`) in production.
"""
from __future__ import annotations

from sqlmesh.core.config import (
    Config,
    GatewayConfig,
    LinterConfig,
    ModelDefaultsConfig,
    PostgresConnectionConfig,
)

from stir.postgres.connection import conninfo_parts
from stir.settings import Settings, load_settings
from stir.sqlmesh_chdb import ChdbConnectionConfig
from stir.sqlmesh_clickhouse import StirClickhouseConnectionConfig
from stir.warehouse.base import SESSION_SETTINGS



def warehouse_connection(settings: Settings):
    if settings.warehouse == "chdb":
        settings.chdb_path.mkdir(parents=True, exist_ok=True)
        return ChdbConnectionConfig(path=str(settings.chdb_path), lock_timeout=settings.lock_timeout,
                                    concurrent_tasks=settings.model_threads)
    return StirClickhouseConnectionConfig(
        host=settings.clickhouse_host,
        port=settings.clickhouse_http_port,
        username=settings.clickhouse_user,
        password=settings.clickhouse_password,
        secure=settings.clickhouse_secure,
        cluster=settings.clickhouse_cluster or None,
        connection_settings=dict(SESSION_SETTINGS),
        concurrent_tasks=settings.model_threads,
    )


def state_connection(settings: Settings) -> PostgresConnectionConfig:
    parts = conninfo_parts(settings)
    return PostgresConnectionConfig(
        host=parts["host"], port=parts["port"], user=parts["user"],
        password=parts["password"], database=parts["dbname"],
    )


def build_config(settings: Settings | None = None) -> Config:
    settings = settings or load_settings()
    warehouse = warehouse_connection(settings)
    gateway = GatewayConfig(
        connection=warehouse,
        # Model tests need ClickHouse's functions (DuckDB, SQLMesh's default, lacks them).
        test_connection=warehouse,
        state_connection=state_connection(settings),
        state_schema="sqlmesh",
    )
    return Config(
        gateways={"stir": gateway},
        default_gateway="stir",
        model_defaults=ModelDefaultsConfig(dialect="clickhouse", start=settings.model_start, cron="@daily"),
        # Incremental latest-state models read every row on their first interval, which starts
        # at model_start (@crawled_since_start).
        # stir/sqlmesh_clickhouse.py: the incremental-by-key models' tables take lightweight
        # updates (their physical_properties read the variable).
        variables={"model_start": settings.model_start, "lightweight_updates": int(settings.lightweight_updates)},
        # sqlmesh_project/linter/serving_drift.py: `sqlmesh plan` refuses a mart that no longer
        # fits its serving table.
        linter=LinterConfig(enabled=True, rules={"servingdrift"}),
        # No usage events to Tobiko's servers from a data platform's batch runs.
        disable_anonymized_analytics=True,
    )
