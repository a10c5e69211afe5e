"""The tier table (stir.tiers) as something that starts the runs: a crontab, or systemd
service and timer units. Both call bin/run_tier of the project, in UTC."""
from __future__ import annotations

from pathlib import Path

from stir.errors import StirError
from stir.tiers import TIER_TABLE, Tier

# A run alerts at its tier's timeout; the timer stops it this much later.
GRACE_MIN = 5
_DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]


def _field(value: str, what: str) -> str:
    """A cron minute/hour field ('*', '*/n', 'n') in systemd's calendar syntax."""
    if value == "*":
        return "*"
    if value.startswith("*/") and value[2:].isdigit():
        return f"0/{value[2:]}"
    if value.isdigit():
        return f"{int(value):02d}"
    raise StirError(f"schedule: cron {what} field {value!r} has no systemd form here")


def on_calendar(cron: str) -> str:
    """'0 19 * * *' -> '*-*-* 19:00:00 UTC' (minute, hour and day of week; the rest '*')."""
    minute, hour, day, month, weekday = cron.split()
    if (day, month) != ("*", "*"):
        raise StirError(f"schedule: {cron!r}: day-of-month and month fields are not supported")
    days = "" if weekday == "*" else f"{_DAYS[int(weekday) % 7]} "
    return f"{days}*-*-* {_field(hour, 'hour')}:{_field(minute, 'minute')}:00 UTC"


def _command(project: Path, tier: Tier) -> str:
    return f"{project / 'bin' / 'run_tier'} {tier.name} --retries {tier.retries}"


def crontab(project: Path, prefork: Path | None = None) -> str:
    """With `prefork` (a socket path), every run is a child of `bin/prefork` serving there,
    started at boot; a run finding no server (before the first boot after installing, or when
    a server stopped because Stir's code changed) runs in its own process and starts one."""
    lines = [
        "# Stir's tiers (stir schedule). Times are UTC: install where cron runs in UTC.",
        "# A run alerts at its tier's timeout; each line stops it 5 minutes later (coreutils timeout).",
        "SHELL=/bin/bash",
        f"STIR_PROJECT={project}",
    ]
    if prefork:
        lines += [f"STIR_PREFORK_SOCKET={prefork}",
                  "# The server the runs fork from (stir prefork). It stops when Stir's code changes; the next run",
                  "# then runs in its own process and starts it again (STIR_PREFORK_START).",
                  "STIR_PREFORK_START=1",
                  f"@reboot {project / 'bin' / 'prefork'} --socket {prefork}"]
    for tier in TIER_TABLE:
        lines.append(f"{tier.schedule} timeout {tier.timeout_min + GRACE_MIN}m {_command(project, tier)}")
    return "\n".join(lines) + "\n"


def systemd_units(project: Path, prefork: Path | None = None) -> dict[str, str]:
    """File name -> content of a service and a timer per tier; with `prefork` (a socket path),
    also the service of `bin/prefork` serving there, which the tiers' runs fork from
    (restarted when it stops, as it does when Stir's code changes)."""
    units = {}
    if prefork:
        units["stir-prefork.service"] = (
            "[Unit]\n"
            "Description=Stir prefork server: bin/run_tier's runs fork from it (stir prefork)\n\n"
            "[Service]\n"
            "Type=simple\n"
            f"WorkingDirectory={project}\n"
            f"Environment=STIR_PROJECT={project}\n"
            f"ExecStart={project / 'bin' / 'prefork'} --socket {prefork}\n"
            "Restart=always\n"
            "RestartSec=5\n"
            # A stop signals the server alone, which then waits for the runs it forked (they
            # are in this unit's cgroup, not their tier's) before it exits.
            "KillMode=mixed\n"
            f"TimeoutStopSec={max(t.timeout_min for t in TIER_TABLE) + GRACE_MIN}min\n\n"
            "[Install]\n"
            "WantedBy=multi-user.target\n"
        )
    uses_server = "Wants=stir-prefork.service\nAfter=stir-prefork.service\n" if prefork else ""
    server_env = f"Environment=STIR_PREFORK_SOCKET={prefork}\n" if prefork else ""
    for tier in TIER_TABLE:
        units[f"stir-{tier.name}.service"] = (
            "[Unit]\n"
            f"Description=Stir tier {tier.name} (bin/run_tier {tier.name})\n"
            f"{uses_server}\n"
            "[Service]\n"
            "Type=oneshot\n"
            f"WorkingDirectory={project}\n"
            f"Environment=STIR_PROJECT={project}\n"
            f"{server_env}"
            f"ExecStart={_command(project, tier)}\n"
            f"TimeoutStartSec={tier.timeout_min + GRACE_MIN}min\n"
        )
        units[f"stir-{tier.name}.timer"] = (
            "[Unit]\n"
            f"Description=Start Stir tier {tier.name} on its schedule ({tier.schedule}, UTC)\n\n"
            "[Timer]\n"
            f"OnCalendar={on_calendar(tier.schedule)}\n"
            # After downtime the missed start runs once; its run computes every missing interval.
            "Persistent=true\n\n"
            "[Install]\n"
            "WantedBy=timers.target\n"
        )
    return units


def write_systemd(project: Path, directory: Path, prefork: Path | None = None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in systemd_units(project, prefork).items():
        path = directory / name
        path.write_text(content)
        written.append(path)
    return written
