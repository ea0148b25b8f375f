"""The usage (audit) report: one row per interaction, and its CSV form (wolkvox's columns)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

CSV_HEADER = (
    "CONN_ID",
    "SESSION_ID",
    "DATE",
    "CUSTOMER_PHONE",
    "TEMPLATE",
    "DESTINY",
    "MESSAGE_ID",
    "CHANNEL_ID",
    "DIRECTION",
)
CSV_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class ReportRow:
    chat_id: str
    session_id: str
    occur_us: int
    local_time: str  # "YYYY-MM-DD HH:MM:SS" in the account's time zone
    customer_phone: str
    template: bool
    destination: str  # the customer for outgoing messages, the business number for inbound
    message_id: str
    channel_id: str
    direction: str

    def csv_fields(self) -> tuple[str, ...]:
        return (
            self.chat_id,
            self.session_id,
            self.local_time,
            self.customer_phone,
            "yes" if self.template else "no",
            self.destination,
            self.message_id,
            self.channel_id,
            self.direction,
        )


def csv_chunks(rows: Iterable[ReportRow], chunk_bytes: int = CSV_CHUNK_BYTES) -> Iterator[bytes]:
    """The report as CSV, header first, in chunks of about `chunk_bytes`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(row.csv_fields())
        if buffer.tell() >= chunk_bytes:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
