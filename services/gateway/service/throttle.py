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
from services.gateway.service.ports.audit import Audit
from services.gateway.service.ports.store import FailuresRaced, UnitsOfWork

log = logging.getLogger(__name__)
LOCKED = "sign-in is locked after too many failed attempts; try again later"
SLOWED = "too many failed sign-ins: wait before trying again"
# Attempts to count a failure when others count the subject's first one at the same time.
COUNT_ATTEMPTS = 3


class SignInThrottle:
    def __init__(
        self,
        units: UnitsOfWork,
        policy: ThrottlePolicy,
        audit: Audit,
        clock: Clock | None = None,
    ) -> None:
        self._units = units
        self._policy = policy
        self._audit = audit
        self._clock = clock or SystemClock()

    def check(self, email: str, address: str) -> None:
        """TooManyRequests (429, Retry-After) while the user or the address must wait."""
        now = self._clock.now_ms() / 1000
        longest, locked = 0.0, False
        subjects = _subjects(email, address)
        with self._units() as uow:
            states = [(kind, uow.sign_ins.failures(subject)) for kind, subject in subjects]
        for kind, state in states:
            wait = throttle.wait_s(state, kind, self._policy, now)
            if wait > longest:
                counted = throttle.current(state, self._policy, now)
                longest, locked = wait, counted.locked
        if longest > 0:
            raise TooManyRequests(LOCKED if locked else SLOWED, longest)

    def failed(self, email: str, address: str, user: User | None) -> None:
        now = self._clock.now_ms() / 1000
        for kind, subject in _subjects(email, address):
            before, after = self._count(kind, subject, now)
            was_locked = before is not None and throttle.current(before, self._policy, now).locked
            if after.locked and not was_locked:
                self._locked(kind, subject, user if kind == USER else None, after)

    def succeeded(self, email: str) -> None:
        with self._units() as uow:
            uow.sign_ins.forget_failures(f"{USER}:{email}")
            uow.commit()

    def _count(
        self, kind: str, subject: str, now: float
    ) -> tuple[FailureState | None, FailureState]:
        """One more failure for the subject, under its row's lock; (before, after)."""
        for _attempt in range(COUNT_ATTEMPTS):
            try:
                with self._units() as uow:
                    before = uow.sign_ins.failures_to_update(subject)
                    after = throttle.after_failure(before, kind, self._policy, now)
                    uow.sign_ins.put_failures(subject, after, first=before is None)
                    uow.commit()
                return before, after
            except FailuresRaced:
                continue  # another attempt stored the first failure: read it again
        raise RuntimeError(f"could not record a sign-in failure for {subject}")

    def _locked(self, kind: str, subject: str, user: User | None, state: FailureState) -> None:
        locked_at = dt.datetime.fromtimestamp(state.last_failure_s, dt.UTC)
        until = dt.datetime.fromtimestamp(state.locked_until_s, dt.UTC)
        with self._units() as uow:
            uow.sign_ins.add_lock(subject, user, state.failures, locked_at, until)
            uow.commit()
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
