"""Retries with backoff that honour 429 and Retry-After.

Scrapy's RetryMiddleware retries at once, which is exactly wrong for a server that
said "too many requests". This subclass waits before handing the retry back: the
server's Retry-After (seconds or an HTTP date, capped at RETRY_AFTER_MAX) when it
sent one, else RETRY_BACKOFF_BASE * 2**(n-1) seconds (capped at RETRY_BACKOFF_MAX).
The wait happens after the download slot is freed, so other requests go on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from cohesion.retry import backoff_seconds, retry_delay
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy.utils.response import response_status_message

logger = logging.getLogger(__name__)


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 600.0)

    def backoff(self, attempt: int) -> float:
        return backoff_seconds(attempt, self.backoff_base, self.backoff_max)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        delay = retry_delay(
            retry.meta["retry_times"],
            response.headers.get(b"Retry-After"),
            base=self.backoff_base,
            cap=self.backoff_max,
            retry_after_cap=self.retry_after_max,
        )
        await self._wait(delay, request, f"HTTP {response.status}")
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get(
            "dont_retry", False
        ):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await self._wait(
                self.backoff(retry.meta["retry_times"]), request, type(exception).__name__
            )
        return retry

    async def _wait(self, delay: float, request: Request, reason: Any) -> None:
        if delay > 0:
            logger.info("waiting %.1fs before retrying %s (%s)", delay, request.url, reason)
            await asyncio.sleep(delay)
