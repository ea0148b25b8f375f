"""Sign-in throttling: failures per user and per source address slow attempts down, then lock
sign-in for a while. Each lock is stored (for the notifications service to tell the user),
logged, and written to the gateway's audit log."""

from __future__ import annotations

import datetime as dt
import logging

from services.common.audit import SYSTEM, Actor, Entry
from services.common.clock import Clock, SystemClock
from services.gateway.domain import throttle
from services.gateway.domain.records import User
from services.gateway.domain.throttle import ADDRESS, USER, FailureState, ThrottlePolicy
from services.gateway.errors import TooManyRequests
from services.gateway.service.ports import Audit, SignIns

log = logging.getLogger(__name__)
LOCKED = "sign-in is locked after too many failed attempts; try again later"
SLOWED = "too many failed sign-ins: wait before trying again"


class SignInThrottle:
    def __init__(
        self,
        store: SignIns,
        policy: ThrottlePolicy,
        audit: Audit,
        clock: Clock | None = None,
    ) -> None:
        self._store = store
        self._policy = policy
        self._audit = audit
        self._clock = clock or SystemClock()

    def check(self, email: str, address: str) -> None:
        """TooManyRequests (429, Retry-After) while the user or the address must wait."""
        now = self._clock.now_ms() / 1000
        longest, locked = 0.0, False
        for kind, subject in _subjects(email, address):
            state = self._store.failures(subject)
            wait = throttle.wait_s(state, kind, self._policy, now)
            if wait > longest:
                counted = throttle.current(state, self._policy, now)
                longest, locked = wait, counted.locked
        if longest > 0:
            raise TooManyRequests(LOCKED if locked else SLOWED, longest)

    def failed(self, email: str, address: str, user: User | None) -> None:
        now = self._clock.now_ms() / 1000
        for kind, subject in _subjects(email, address):

            def count(state: FailureState | None, kind: str = kind) -> FailureState:
                return throttle.after_failure(state, kind, self._policy, now)

            before, after = self._store.record_failure(subject, count)
            was_locked = before is not None and throttle.current(before, self._policy, now).locked
            if after.locked and not was_locked:
                self._locked(kind, subject, user if kind == USER else None, after)

    def succeeded(self, email: str) -> None:
        self._store.forget_failures(f"{USER}:{email}")

    def _locked(self, kind: str, subject: str, user: User | None, state: FailureState) -> None:
        locked_at = dt.datetime.fromtimestamp(state.last_failure_s, dt.UTC)
        until = dt.datetime.fromtimestamp(state.locked_until_s, dt.UTC)
        self._store.add_lock(subject, user, state.failures, locked_at, until)
        log.warning(
            "sign-in locked",
            extra={
                "subject_kind": kind,
                "user_id": user.user_id if user else "",
                "failures": state.failures,
                "locked_until": until.isoformat(),
            },
        )
        self._audit.record(
            Entry(
                action="sign_in_locked",
                account_id="",
                actor=Actor(SYSTEM, "gateway", "sign-in throttle"),
                reason=f"{state.failures} failed sign-ins in a row",
                target=f"user:{user.user_id}" if user else kind,
                after={
                    "subject_kind": kind,
                    "user_id": user.user_id if user else "",
                    "email": user.email if user else "",
                    "locked_until": until.isoformat(),
                },
            )
        )


def _subjects(email: str, address: str) -> list[tuple[str, str]]:
    subjects = [(USER, f"{USER}:{email}")]
    if address:
        subjects.append((ADDRESS, f"{ADDRESS}:{address}"))
    return subjects
