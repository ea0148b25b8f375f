"""The usage (audit) report: one row per interaction, and its CSV form (wolkvox's columns)."""

from __future__ import annotations

import csv
import io
import re
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
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PHONE_NUMBER = re.compile(r"\+[0-9]{1,20}")


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character is escaped with a
    quote, except in a plain phone number ("+919812345678")."""
    if value.startswith(FORMULA_STARTS) and not PHONE_NUMBER.fullmatch(value):
        return "'" + value
    return value


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
        writer.writerow([safe_cell(field) for field in row.csv_fields()])
        if buffer.tell() >= chunk_bytes:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
