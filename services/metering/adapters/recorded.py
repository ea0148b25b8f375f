"""RecordEvents' outcome as its protobuf response: the gRPC answer and the stored replay."""

from __future__ import annotations

from billing.metering.v1 import events_pb2
from billing.metering.v1 import metering_service_pb2 as pb

from services.metering.service.commands import (
    ACCEPTED,
    DUPLICATE,
    REJECTED,
    EventOutcome,
    RecordedEvents,
)

OUTCOME_ENUMS = {
    ACCEPTED: events_pb2.EVENT_OUTCOME_ACCEPTED,
    DUPLICATE: events_pb2.EVENT_OUTCOME_DUPLICATE,
    REJECTED: events_pb2.EVENT_OUTCOME_REJECTED,
}
OUTCOME_NAMES = {value: name for name, value in OUTCOME_ENUMS.items()}


def to_response(recorded: RecordedEvents) -> pb.RecordEventsResponse:
    return pb.RecordEventsResponse(
        results=[
            events_pb2.EventResult(
                index=r.index,
                event_id=r.event_id,
                outcome=OUTCOME_ENUMS[r.outcome],
                field=r.field,
                error=r.error,
            )
            for r in recorded.results
        ],
        accepted_count=recorded.count(ACCEPTED),
        duplicate_count=recorded.count(DUPLICATE),
        rejected_count=recorded.count(REJECTED),
    )


def from_response(response: pb.RecordEventsResponse) -> RecordedEvents:
    return RecordedEvents(
        [
            EventOutcome(r.index, OUTCOME_NAMES[r.outcome], r.event_id, r.field, r.error)
            for r in response.results
        ]
    )


def encode(recorded: RecordedEvents) -> bytes:
    return to_response(recorded).SerializeToString(deterministic=True)


def decode(stored: bytes) -> RecordedEvents:
    return from_response(pb.RecordEventsResponse.FromString(stored))
