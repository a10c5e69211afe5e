"""Errors Stir raises on purpose: each names the table, file, row or column at fault."""


class StirError(Exception):
    """Base class for errors meant for the user, printed without a traceback by the CLI."""


class ConfigError(StirError):
    """The configuration (luigi.cfg [stir] + STIR_* environment) is incomplete or contradictory."""


class IngestError(StirError):
    """A raw file cannot be loaded; the message names file, line and column."""


class PublishError(StirError):
    """A serving table could not be published; the live table is left untouched."""


class WarehouseLockedError(StirError):
    """Another process holds the embedded warehouse (chDB opens a data directory in one process only)."""
