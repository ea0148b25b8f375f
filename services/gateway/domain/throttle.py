"""Sign-in that cannot be guessed at: failures per user and per source address slow the next
attempt down, then lock sign-in for a while (no I/O here: states in, decisions out).

After `free_failures` failures in a row, each attempt waits base_delay * 2^(extra failures),
at most max_delay; at `lock_after` failures sign-in is locked for `lock_s`, whatever password
is given. A success forgets the user's failures; failures older than `window_s` are forgotten,
and so are those before a lock that has ended.
"""

from __future__ import annotations

from dataclasses import dataclass

USER = "user"
ADDRESS = "address"


@dataclass(frozen=True)
class Limits:
    free_failures: int
    lock_after: int


@dataclass(frozen=True)
class ThrottlePolicy:
    user: Limits = Limits(free_failures=3, lock_after=10)
    # One address may try many users (an office behind one NAT): higher limits.
    address: Limits = Limits(free_failures=20, lock_after=100)
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    lock_s: float = 900.0
    window_s: float = 900.0

    def limits(self, kind: str) -> Limits:
        return self.user if kind == USER else self.address


@dataclass(frozen=True)
class FailureState:
    failures: int
    last_failure_s: float
    locked_until_s: float = 0.0

    @property
    def locked(self) -> bool:
        return self.locked_until_s > 0


def current(state: FailureState | None, policy: ThrottlePolicy, now_s: float) -> FailureState:
    """The state as it counts now: forgotten after the window or after its lock ended."""
    if state is None:
        return FailureState(0, 0.0)
    if state.locked and state.locked_until_s <= now_s:
        return FailureState(0, 0.0)
    if not state.locked and now_s - state.last_failure_s > policy.window_s:
        return FailureState(0, 0.0)
    return state


def wait_s(state: FailureState | None, kind: str, policy: ThrottlePolicy, now_s: float) -> float:
    """How long before the next attempt may be checked (0: now)."""
    counted = current(state, policy, now_s)
    if counted.locked:
        return counted.locked_until_s - now_s
    extra = counted.failures - policy.limits(kind).free_failures
    if extra < 0:
        return 0.0
    delay = min(policy.base_delay_s * 2**extra, policy.max_delay_s)
    return max(0.0, counted.last_failure_s + delay - now_s)


def after_failure(
    state: FailureState | None, kind: str, policy: ThrottlePolicy, now_s: float
) -> FailureState:
    """The state after one more failure; locked when it reaches the limit."""
    counted = current(state, policy, now_s)
    failures = counted.failures + 1
    locked_until = now_s + policy.lock_s if failures >= policy.limits(kind).lock_after else 0.0
    return FailureState(failures, now_s, locked_until)
