"""Every metric the suite records, defined once; services record into them by name.

`instruments()` returns the instruments (made on first use, against whatever meter provider
telemetry.configure installed; before that, or without one, recording is a cheap no-op).
Gauges are observed at each export: whoever can see a value adds a source, a callable that
returns (value, attributes) pairs, e.g. `instruments().outbox_backlog.add(source)`.

Names follow OpenTelemetry's conventions (dots, unit in `unit`); Prometheus shows them with
underscores and the unit appended (billing_wallet_authorisations_total,
billing_stream_consumer_age_seconds...). deploy/grafana/billing.json charts each of them.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import redis
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from services.common.clock import SystemClock

log = logging.getLogger(__name__)

Attributes = Mapping[str, str]
Source = Callable[[], Iterable[tuple[float, Attributes]]]


class Gauge:
    """An observable gauge whose values come from the sources added to it."""

    def __init__(self, meter: metrics.Meter, name: str, unit: str, description: str) -> None:
        self._sources: list[Source] = []
        self._lock = threading.Lock()
        meter.create_observable_gauge(name, [self._observe], unit=unit, description=description)

    def add(self, source: Source) -> None:
        with self._lock:
            self._sources.append(source)

    def _observe(self, _options: CallbackOptions) -> Iterator[Observation]:
        with self._lock:
            sources = list(self._sources)
        for source in sources:
            try:
                observed = list(source())
            except Exception:  # a gauge never breaks an export: the source is skipped this time
                log.warning("metric source failed", exc_info=True)
                continue
            for value, attributes in observed:
                yield Observation(value, dict(attributes))


@dataclass(frozen=True)
class Instruments:
    # gRPC servers (the shared interceptor): rpc.method, rpc.grpc.status_code
    rpc_server_duration: metrics.Histogram
    # The send path: decision (ALLOWED, ALLOWED_FLAGGED, DENIED), reason (a DenyReason or "")
    authorisations: metrics.Counter
    # Reservations holding funds now (Redis expiry index), per partition
    open_reservations: Gauge
    # Seconds the oldest charge from metering has waited for the wallet to apply it
    settlement_lag: Gauge
    # Seconds the oldest ledger entry has waited for the projector, per partition stream
    projector_lag: Gauge
    # Per stream and consumer group: entries not yet acknowledged, and the age of the oldest
    stream_consumer_lag: Gauge
    stream_consumer_age: Gauge
    # Events written to a service's outbox and not yet published, per service
    outbox_backlog: Gauge
    # Auto-recharges by outcome: paid, refused, failed (a passing failure, retried)
    recharges: metrics.Counter
    # Webhook deliveries by outcome: delivered, failed (to be retried), dead (gave up)
    webhook_deliveries: metrics.Counter
    # Dead-lettered stream entries, per stream
    dead_letters: metrics.Counter
    # Entries of an expiring stream trimmed unread, older than the retention, per stream
    stream_expired: metrics.Counter


@functools.cache
def instruments() -> Instruments:
    meter = metrics.get_meter("billing")
    return Instruments(
        rpc_server_duration=meter.create_histogram(
            "rpc.server.duration", unit="ms", description="Time to handle one RPC"
        ),
        authorisations=meter.create_counter(
            "billing.wallet.authorisations", description="AuthoriseSend decisions"
        ),
        open_reservations=Gauge(
            meter, "billing.wallet.reservations.open", "{reservation}", "Reservations holding funds"
        ),
        settlement_lag=Gauge(
            meter, "billing.wallet.settlement.lag", "s", "Age of the oldest unapplied charge"
        ),
        projector_lag=Gauge(
            meter, "billing.wallet.projector.lag", "s", "Age of the oldest unprojected entry"
        ),
        stream_consumer_lag=Gauge(
            meter, "billing.stream.consumer.lag", "{entry}", "Entries a group has not acknowledged"
        ),
        stream_consumer_age=Gauge(
            meter, "billing.stream.consumer.age", "s", "Age of a group's oldest unacked entry"
        ),
        outbox_backlog=Gauge(
            meter, "billing.outbox.backlog", "{event}", "Events not yet published"
        ),
        recharges=meter.create_counter(
            "billing.wallet.recharges", description="Auto-recharges by outcome"
        ),
        webhook_deliveries=meter.create_counter(
            "billing.notifications.webhook.deliveries", description="Webhook deliveries by outcome"
        ),
        dead_letters=meter.create_counter(
            "billing.stream.dead_letters",
            description="Stream entries moved to a dead-letter stream",
        ),
        stream_expired=meter.create_counter(
            "billing.stream.expired",
            description="Stream entries trimmed unread, older than the stream's retention",
        ),
    )


class HasBacklog(Protocol):
    def backlog(self) -> int: ...


def observe_outbox(relay: HasBacklog, service: str) -> None:
    """Feed outbox_backlog from a service's outbox relay (its rows not yet published)."""
    attributes = {"service": service}
    instruments().outbox_backlog.add(lambda: [(float(relay.backlog()), attributes)])


def stream_backlog(client: Any, stream: str, group: str) -> tuple[int, float]:
    """(entries the group has not acknowledged, age in seconds of the oldest of them) read from
    Redis: the pending entries plus those after the group's last delivered id. Entry ids carry
    the millisecond they were added, so the age needs no payload."""
    entries, oldest = unacknowledged(client, stream, group)
    if oldest is None:
        return entries, 0.0
    return entries, max(0.0, (SystemClock().now_ms() - entry_ms(oldest)) / 1000)


def unacknowledged(client: Any, stream: str, group: str) -> tuple[int, str | None]:
    """(entries the group has not acknowledged, the id of the oldest of them or None)."""
    try:
        groups = {_text(g["name"]): g for g in client.xinfo_groups(stream)}
    except redis.exceptions.ResponseError:  # no such stream yet: nothing waits
        return 0, None
    info = groups.get(group)
    if info is None:
        return 0, None
    pending = int(info.get("pending") or 0)
    undelivered = int(info.get("lag") or 0)
    oldest: str | None = None
    if pending:
        summary = client.xpending(stream, group)
        oldest = _text(summary.get("min")) if summary.get("min") else None
    if oldest is None and undelivered:
        after = client.xrange(stream, min=f"({_text(info['last-delivered-id'])}", count=1)
        oldest = _text(after[0][0]) if after else None
    return pending + undelivered, oldest


def entry_ms(entry_id: str) -> int:
    """The millisecond an entry was added, from its id."""
    return int(entry_id.split("-", 1)[0])


def stream_source(client: Any, stream: str, group: str) -> tuple[Source, Source]:
    """Sources for stream_consumer_lag and stream_consumer_age of one (stream, group)."""
    attributes = {"stream": stream, "group": group}

    def lag() -> list[tuple[float, Attributes]]:
        return [(stream_backlog(client, stream, group)[0], attributes)]

    def age() -> list[tuple[float, Attributes]]:
        return [(stream_backlog(client, stream, group)[1], attributes)]

    return lag, age


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
