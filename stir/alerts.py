"""Alerts to a Slack-compatible incoming webhook: a tier run that failed, or that is still
running past its tier's timeout. The URL comes from STIR_ALERT_WEBHOOK_URL only (it is a
secret: never in a file, masked in logs). Alerting never fails a run: a webhook that cannot
be reached is logged and the run's own result stands."""
from __future__ import annotations

import json
import os
import socket
import threading
import urllib.request

from loguru import logger

WEBHOOK_VARIABLE = "STIR_ALERT_WEBHOOK_URL"


def send(text: str) -> bool:
    """POST {"text": text} to the webhook; False when none is configured or it failed."""
    url = os.environ.get(WEBHOOK_VARIABLE, "")
    if not url:
        return False
    request = urllib.request.Request(url, data=json.dumps({"text": text}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        return True
    except Exception as exc:  # the alert is best effort; say why it did not go out
        logger.warning("alert not sent to the webhook ({}): {}", WEBHOOK_VARIABLE, type(exc).__name__)
        return False


def tier_failed(tier: str, end: str, failures: list[tuple[str, str]], log_path) -> bool:
    steps = "\n".join(f"• {step}: {error}" for step, error in failures) or "• see the log"
    return send(f":red_circle: Stir tier *{tier}* (T = {end} UTC) failed on {socket.gethostname()}\n"
                f"{steps}\nlog: {log_path}")


def watchdog(tier: str, end: str, timeout_s: float, log_path) -> threading.Timer:
    """A started timer that alerts once if the run is still going after `timeout_s`;
    cancel it when the run ends."""
    def alert():
        logger.error("tier {}: still running after its timeout of {:.0f} min", tier, timeout_s / 60)
        send(f":warning: Stir tier *{tier}* (T = {end} UTC) on {socket.gethostname()} is still running after its "
             f"timeout of {timeout_s / 60:.0f} min\nlog: {log_path}")

    timer = threading.Timer(timeout_s, alert)
    timer.daemon = True
    timer.start()
    return timer
