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


def crontab(project: Path) -> str:
    lines = [
        "# Stir's tiers (stir schedule). Times are UTC: install where cron runs in UTC.",
        "# A run alerts at its tier's timeout; each line stops it 5 minutes later (coreutils timeout).",
        "SHELL=/bin/bash",
        f"STIR_PROJECT={project}",
    ]
    for tier in TIER_TABLE:
        lines.append(f"{tier.schedule} timeout {tier.timeout_min + GRACE_MIN}m {_command(project, tier)}")
    return "\n".join(lines) + "\n"


def systemd_units(project: Path) -> dict[str, str]:
    """File name -> content of a service and a timer per tier."""
    units = {}
    for tier in TIER_TABLE:
        units[f"stir-{tier.name}.service"] = (
            "[Unit]\n"
            f"Description=Stir tier {tier.name} (bin/run_tier {tier.name})\n\n"
            "[Service]\n"
            "Type=oneshot\n"
            f"WorkingDirectory={project}\n"
            f"Environment=STIR_PROJECT={project}\n"
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


def write_systemd(project: Path, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in systemd_units(project).items():
        path = directory / name
        path.write_text(content)
        written.append(path)
    return written
