"""Login throttling: per account, per address, per (account, address), and a global
budget of password checks per second.

Each argon2 check costs tens of milliseconds of CPU, so the global budget bounds what
any flood of logins can cost, whatever usernames and addresses it uses; the per-key
limits stop guessing. A refusal is decided before any hash is computed. Each blocked
window is reported once (`Verdict.report`), so a flood writes one audit row per
window, not one per request.

Hand-written rather than taken from a rate-limiting library: it needs an injectable
clock (tests must not depend on the wall clock) and the once-per-window report.
State is in memory, for one process; a restart forgets it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 15 * 60
FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
FAILURES_PER_ACCOUNT = 20  # from all addresses: stops slow guessing spread over many
FAILURES_PER_ADDRESS = 50  # over all usernames: stops one address spraying names
# argon2 checks per second, all logins together: at ~50-400 ms of CPU per check
# (argon2-cffi defaults; fast and busy machines) at most 0.2-1.6 core-seconds a second.
CHECKS_PER_SECOND = 4.0
BUSY_REPORT_SECONDS = 60.0


@dataclass(slots=True, frozen=True)
class Verdict:
    """Whether to check the password; if not, why, and whether to audit this refusal."""

    allowed: bool
    reason: str = ""  # "account and address", "account", "address" or "busy"
    report: bool = False
    retry_after: int = 0  # seconds


ALLOWED = Verdict(True)


class _Failures:
    """Failure times per key within a sliding window, and which blocks were reported."""

    def __init__(self, allowed: int, window: float) -> None:
        self.allowed, self.window = allowed, window
        self._times: dict[str, deque[float]] = {}
        self._reported_until: dict[str, float] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._times.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._times[key]
            self._reported_until.pop(key, None)
        return times

    def blocked_until(self, key: str, now: float) -> float | None:
        times = self._recent(key, now)
        if len(times) < self.allowed:
            return None
        return times[len(times) - self.allowed] + self.window

    def report_once(self, key: str, until: float) -> bool:
        if self._reported_until.get(key, 0.0) >= until:
            return False
        self._reported_until[key] = until
        return True

    def add(self, key: str, now: float) -> None:
        times = self._recent(key, now)
        times.append(now)
        self._times[key] = times

    def clear(self, key: str) -> None:
        self._times.pop(key, None)
        self._reported_until.pop(key, None)


class LoginThrottle:
    def __init__(
        self,
        *,
        window: float = WINDOW_SECONDS,
        per_account_and_address: int = FAILURES_PER_ACCOUNT_AND_ADDRESS,
        per_account: int = FAILURES_PER_ACCOUNT,
        per_address: int = FAILURES_PER_ADDRESS,
        checks_per_second: float = CHECKS_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._now = clock
        self._pair = _Failures(per_account_and_address, window)
        self._account = _Failures(per_account, window)
        self._address = _Failures(per_address, window)
        self._rate = checks_per_second
        self._tokens = checks_per_second  # a token bucket holding one second of checks
        self._refilled = clock()
        self._busy_reported = float("-inf")
        self._lock = threading.Lock()

    @staticmethod
    def _account_key(username: str) -> str:
        return username.strip().lower()[:100]

    def check(self, username: str, address: str) -> Verdict:
        """Call before verifying a password; an allowed verdict spends one check."""
        account = self._account_key(username)
        with self._lock:
            now = self._now()
            for reason, failures, key in (
                ("account and address", self._pair, f"{account}\0{address}"),
                ("account", self._account, account),
                ("address", self._address, address),
            ):
                until = failures.blocked_until(key, now)
                if until is not None:
                    report = failures.report_once(key, until)
                    return Verdict(False, reason, report, max(1, int(until - now) + 1))
            self._tokens = min(self._rate, self._tokens + (now - self._refilled) * self._rate)
            self._refilled = now
            if self._tokens < 1:
                report = now - self._busy_reported >= BUSY_REPORT_SECONDS
                if report:
                    self._busy_reported = now
                return Verdict(False, "busy", report, 1)
            self._tokens -= 1
            return ALLOWED

    def failed(self, username: str, address: str) -> None:
        account = self._account_key(username)
        with self._lock:
            now = self._now()
            self._pair.add(f"{account}\0{address}", now)
            self._account.add(account, now)
            self._address.add(address, now)

    def succeeded(self, username: str, address: str) -> None:
        """A right password clears its own (account, address) count only: the account
        and address counts keep what others tried."""
        with self._lock:
            self._pair.clear(f"{self._account_key(username)}\0{address}")
