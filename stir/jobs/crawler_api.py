"""The crawler's HTTP API, as Stir's jobs call it: one POST per scrape request, with a
timeout, bounded retries with exponential backoff on 5xx answers, timeouts and connection
errors, and no retry on 4xx (the request itself is wrong; sending it again cannot help).
The token comes from the environment (STIR_CRAWLER_API_TOKEN) and is never logged."""
from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from loguru import logger

from stir.errors import ConfigError

ENDPOINT = "/scrape_requests"


@dataclass(frozen=True)
class Outcome:
    outcome: str           # accepted (2xx) | rejected (4xx) | failed (5xx, timeout, no connection)
    status: int | None     # the last HTTP status, None without an answer
    detail: str            # the answer's body (shortened) or the error
    attempts: int


@dataclass(frozen=True)
class CrawlerApi:
    base_url: str
    timeout_s: float = 10.0
    retries: int = 3          # attempts after the first, on 5xx / timeout / connection errors
    backoff_s: float = 0.5    # first wait; doubles per retry

    @classmethod
    def from_settings(cls, settings) -> "CrawlerApi":
        if not settings.crawler_api_url:
            raise ConfigError("crawler jobs need crawler_api_url (luigi.cfg [stir] or STIR_CRAWLER_API_URL)")
        return cls(settings.crawler_api_url.rstrip("/"), settings.crawler_api_timeout, settings.crawler_api_retries,
                   settings.crawler_api_backoff)

    def _request(self, body: dict) -> urllib.request.Request:
        headers = {"Content-Type": "application/json"}
        token = os.environ.get("STIR_CRAWLER_API_TOKEN", "")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return urllib.request.Request(self.base_url + ENDPOINT, data=json.dumps(body).encode(), headers=headers,
                                      method="POST")

    def send(self, body: dict) -> Outcome:
        delay = self.backoff_s
        for attempt in range(1, self.retries + 2):
            try:
                with urllib.request.urlopen(self._request(body), timeout=self.timeout_s) as answer:
                    return Outcome("accepted", answer.status, answer.read(500).decode(errors="replace"), attempt)
            except urllib.error.HTTPError as exc:
                detail = exc.read(500).decode(errors="replace")
                if exc.code < 500:
                    return Outcome("rejected", exc.code, detail, attempt)
                last = Outcome("failed", exc.code, detail, attempt)
            except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                last = Outcome("failed", None, f"no answer: {reason}", attempt)
            if attempt <= self.retries:
                logger.debug("crawler API: {} (attempt {}); retrying in {:.2f}s", last.detail[:200], attempt, delay)
                time.sleep(delay)
                delay *= 2
        return last
