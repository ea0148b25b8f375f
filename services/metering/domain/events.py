"""What messaging services report: statuses of sent messages and inbound user messages."""

from __future__ import annotations

from dataclasses import dataclass

SENT = "sent"
DELIVERED = "delivered"
READ = "read"
FAILED = "failed"
INBOUND = "inbound"
STATUSES = (SENT, DELIVERED, READ, FAILED)
# A read message was delivered, even when its delivered status arrives late or never.
DELIVERED_STATUSES = frozenset({DELIVERED, READ})

OUTBOUND_DIRECTION = "outbound"
INBOUND_DIRECTION = "inbound"

MAX_BATCH_EVENTS = 1_000
MAX_TEXT_LENGTH = 128
MAX_MESSAGE_ID_LENGTH = 256


@dataclass(frozen=True, slots=True)
class MetaPricing:
    """Meta's pricing object on a status webhook (its word on what it charges)."""

    billable: bool
    pricing_model: str  # "conversation" | "per_message" | ""
    pricing_type: str  # "regular" | "free_customer_service" | "free_entry_point" | ""
    category: str  # "" when Meta did not say


@dataclass(frozen=True, slots=True)
class MetaConversation:
    conversation_id: str
    expire_us: int  # 0 when Meta did not say
    origin: str  # a category, "referral_conversion" or ""


@dataclass(slots=True)
class MessageEvent:
    """One valid event. Times are POSIX microseconds (UTC).

    Never changed once built; not frozen only because a frozen dataclass takes five times as
    long to build, and one is built per event received.
    """

    index: int  # position in the request
    event_id: str
    account_id: str
    channel_id: str
    contact: str
    occur_us: int
    message_id: str
    status: str  # one of STATUSES or INBOUND
    chat_id: str = ""
    session_id: str = ""
    is_template: bool = False
    template_name: str = ""
    category: str = ""  # the category the business sent it as
    pricing: MetaPricing | None = None
    conversation: MetaConversation | None = None
    reservation_id: str = ""
    error_code: str = ""
    referral: bool = False  # inbound from a click-to-WhatsApp ad or Page button
    payload: bytes = b""  # the event as received, for re-driving settlements

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account_id, self.message_id, self.status)

    @property
    def is_inbound(self) -> bool:
        return self.status == INBOUND

    @property
    def is_delivery(self) -> bool:
        return self.status in DELIVERED_STATUSES


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    field: str
    problem: str
