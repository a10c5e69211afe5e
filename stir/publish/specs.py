"""One declarative spec per serving table. Adding a serving table is adding an entry here,
its DDL file in stir/serving/ddl/ and its mart in sqlmesh_project/."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublishSpec:
    table: str             # the PostgreSQL serving table (schema public)
    mart: str              # the ClickHouse mart it is published from (SQLMesh model name)
    ddl: str               # DDL file in stir/serving/ddl/, columns named as the mart's
    tiers: tuple[str, ...]  # frequency tiers that publish it
    key: tuple[str, ...] = ("id",)  # the serving table's key columns, named in errors about a row
    allow_empty: bool = False  # an empty mart fails the publish unless this is set
    # 'swap': the loaded shadow replaces the live table (the default); 'merge': the live table
    # stays and takes the new version's changed rows by key, in one transaction (upserts of new
    # and changed rows, deletes of vanished ones), for tables dashboards read all day; a whole
    # version (a first publish, a DDL change, more than merge_max_changed of the rows changed)
    # is swapped in.
    mode: str = "swap"
    # serving tables that must be published (in the same run, same T) before this one is: a
    # table derived from another's mart never goes live beside a failed version of it
    after: tuple[str, ...] = ()
    # A mart column the serving table does not have: 'refuse' it (drift, the default: a new
    # column is meant for the API, so its DDL must say how to serve it), or 'ignore' it (left
    # out of the export; for marts that carry working columns). To serve a new column, add it
    # to the DDL file: the DDL is part of the fingerprint, so the next run publishes it.
    extra_columns: str = "refuse"
    # Heap fillfactor of the table's published versions. A merge updates rows in place: the
    # room a page keeps free lets an update that changes no indexed column stay on its page (a
    # HOT update: no new index entries), so frequent merges do not bloat the indexes. None:
    # 90 for merge, PostgreSQL's 100 for swap (a swapped-in table is never updated).
    fillfactor: int | None = None

    def __post_init__(self):
        if self.mode not in ("swap", "merge"):
            raise ValueError(f"{self.table}: publish mode must be 'swap' or 'merge', not {self.mode!r}")
        if self.extra_columns not in ("refuse", "ignore"):
            raise ValueError(f"{self.table}: extra_columns must be 'refuse' or 'ignore', not {self.extra_columns!r}")
        if self.fillfactor is not None and not 10 <= self.fillfactor <= 100:
            raise ValueError(f"{self.table}: fillfactor must be between 10 and 100, not {self.fillfactor!r}")

    @property
    def heap_fillfactor(self) -> int:
        return self.fillfactor or (90 if self.mode == "merge" else 100)


SPECS: dict[str, PublishSpec] = {
    spec.table: spec
    for spec in [
        PublishSpec(table="leaderboard", mart="stir_marts.mart_leaderboard", ddl="leaderboard.sql", tiers=("daily",)),
        # Discovery is published every 15 minutes and a run changes a few percent of its rows
        # (2M Instagram profiles in production): a merge writes those, not the whole table.
        PublishSpec(table="instagram_account", mart="stir_marts.mart_instagram_account", ddl="instagram_account.sql",
                    tiers=("15min",), mode="merge"),
        PublishSpec(table="youtube_account", mart="stir_marts.mart_youtube_account", ddl="youtube_account.sql",
                    tiers=("15min",), mode="merge"),
        PublishSpec(table="collection_post_metrics_summary", mart="stir_marts.mart_collection_post_metrics_summary",
                    ddl="collection_post_metrics_summary.sql", tiers=("30min",), allow_empty=True,
                    mode="merge"),
        PublishSpec(table="social_profile_time_series", mart="stir_marts.mart_social_profile_time_series",
                    ddl="social_profile_time_series.sql", tiers=("2h",)),
        PublishSpec(table="social_profile_hashtags", mart="stir_marts.mart_social_profile_hashtags",
                    ddl="social_profile_hashtags.sql", tiers=("2h",), key=("platform", "platform_id"),
                    allow_empty=True),
        PublishSpec(table="social_profile_audience_info", mart="stir_marts.mart_social_profile_audience_info",
                    ddl="social_profile_audience_info.sql", tiers=("2h",), key=("platform", "platform_id"),
                    allow_empty=True),
        PublishSpec(table="genre_overview", mart="stir_marts.mart_genre_overview", ddl="genre_overview.sql",
                    tiers=("daily",), after=("leaderboard",)),
    ]
}
