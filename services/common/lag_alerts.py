"""An operations alert when a reader group falls behind on a stream that carries money or state.

Those streams never expire: an entry waits for every reader group however long, which is right
for money, so a reader that stopped shows only on the lag gauges. The service that writes a
stream watches its reader groups: when a group's lag (entries it has not acknowledged) or the
age of its oldest unacknowledged entry passes the bound (STREAM_LAG_ALERT_ENTRIES,
STREAM_LAG_ALERT_SECONDS), one alert ("stream_lag") goes to billing.operations.alerts, which
the notifications service emails to the operators. There is no other alert for that group
until it has come back under half the bound (logged), or for REPEAT_AFTER_MS while it stays
over: a Redis key per group marks the crossing, so one crossing is one alert whichever process
or replica sees it first. The key is set before the alert is published and removed again when
publishing fails, so the next check publishes it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from services.common import event_streams, metrics
from services.common.background import OperationsAlerts, RetryPolicy
from services.common.clock import Clock, SystemClock
from services.common.config import ConfigError, Env
from services.common.event_streams import EventStream
from services.common.redis_client import RedisClient

log = logging.getLogger(__name__)
KIND = "stream_lag"
DEFAULT_MAX_ENTRIES = 100_000
# Longer than any reader's default retry span (RetryPolicy.span_ms; the wallet's, with its 10 s
# first retry, is 1,210 s), so an entry failing every attempt is one dead_letter alert, not a
# stream_lag alert first.
DEFAULT_MAX_AGE_S = 1800.0
CHECK_EVERY_S = 30.0  # how often the groups are looked at
RECOVERED_SHARE = 0.5  # back under this share of both bounds, a group may be alerted on again
MARK_PREFIX = "billing.stream-lag:"  # + stream:group, held while the group is over its bound
# A group still over its bound this long after its alert is alerted on again.
REPEAT_AFTER_MS = 6 * 3_600_000


@dataclass(frozen=True, slots=True)
class LagBound:
    max_entries: int = DEFAULT_MAX_ENTRIES
    max_age_ms: int = round(DEFAULT_MAX_AGE_S * 1000)

    @classmethod
    def from_env(cls, env: Env, policy: RetryPolicy | None = None) -> LagBound:
        """STREAM_LAG_ALERT_ENTRIES and STREAM_LAG_ALERT_SECONDS; the age bound must exceed the
        retry span of `policy` (by default the one the STREAM_RETRY_* settings give)."""
        max_age_s = env.seconds("STREAM_LAG_ALERT_SECONDS", DEFAULT_MAX_AGE_S)
        span_ms = (policy or RetryPolicy.from_env(env)).span_ms()
        if max_age_s * 1000 <= span_ms:
            raise ConfigError(
                "STREAM_LAG_ALERT_SECONDS",
                f"{max_age_s:g} s is within the readers' retry span ({span_ms / 1000:g} s): one "
                "failing entry would be a lag alert before it is set aside",
            )
        return cls(
            max_entries=env.integer(
                "STREAM_LAG_ALERT_ENTRIES", DEFAULT_MAX_ENTRIES, minimum=1, maximum=10**9
            ),
            max_age_ms=max(round(max_age_s * 1000), 1),
        )

    def passed(self, entries: int, age_ms: int) -> bool:
        return entries > self.max_entries or age_ms > self.max_age_ms

    def back_under(self, entries: int, age_ms: int) -> bool:
        return (
            entries <= self.max_entries * RECOVERED_SHARE
            and age_ms <= self.max_age_ms * RECOVERED_SHARE
        )


def written_by(service: str) -> list[EventStream]:
    """The streams a service writes whose entries never expire (money or state)."""
    prefix = f"billing.{service}."
    return [s for s in event_streams.ALL if s.name.startswith(prefix) and not s.expires]


class LagAlerts:
    """Looks at every reader group of the streams given, on their Redis; `step` is a Loop's."""

    def __init__(
        self,
        client: RedisClient,
        streams: Sequence[EventStream],
        alerts: OperationsAlerts,
        bound: LagBound,
        clock: Clock | None = None,
    ) -> None:
        self._client = client
        self._watched = [(s.name, group) for s in streams for group in s.groups]
        self._alerts = alerts
        self._bound = bound
        self._clock = clock or SystemClock()
        self.unpublished = 0  # alerts whose publishing failed (each tried again)

    def step(self) -> int:
        """Alert on the groups that passed the bound since they were last under it; how many."""
        raised = 0
        for stream, group in self._watched:
            entries, oldest = metrics.unacknowledged(self._client, stream, group)
            now_ms = self._clock.now_ms()
            age_ms = 0 if oldest is None else max(now_ms - metrics.entry_ms(oldest), 0)
            mark = f"{MARK_PREFIX}{stream}:{group}"
            if self._bound.passed(entries, age_ms):
                if not self._client.set(mark, str(now_ms), nx=True, px=REPEAT_AFTER_MS):
                    continue
                try:
                    self._raise(stream, group, entries, age_ms, oldest or "")
                except Exception:
                    self._client.delete(mark)  # the next check tries again
                    self.unpublished += 1
                    log.exception(
                        "stream lag alert not published; the next check tries again",
                        extra={"stream": stream, "group": group, "unpublished": self.unpublished},
                    )
                    continue
                raised += 1
            elif self._bound.back_under(entries, age_ms) and self._client.delete(mark):
                log.info(
                    "stream readers back under their lag bound",
                    extra={"stream": stream, "group": group, "entries": entries, "age_ms": age_ms},
                )
        return raised

    def _raise(self, stream: str, group: str, entries: int, age_ms: int, oldest: str) -> None:
        bound = self._bound
        self._alerts.publish_or_raise(
            KIND,
            f"{stream}: readers {group} are {entries} entries and {age_ms // 1000} s behind "
            f"(bound: {bound.max_entries} entries or {bound.max_age_ms // 1000} s)",
            stream=stream,
            group=group,
            entry_id=oldest,
        )
