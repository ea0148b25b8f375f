"""Free windows a user opens by writing to the business, and conversations (older model)."""

from __future__ import annotations

from dataclasses import dataclass

CUSTOMER_SERVICE = "customer_service"
FREE_ENTRY_POINT = "free_entry_point"
CONVERSATION = "conversation"

HOUR_US = 3_600 * 1_000_000
CUSTOMER_SERVICE_WINDOW_US = 24 * HOUR_US
FREE_ENTRY_POINT_WINDOW_US = 72 * HOUR_US
CONVERSATION_US = 24 * HOUR_US


@dataclass(frozen=True, slots=True)
class Window:
    account_id: str
    channel_id: str
    contact: str
    kind: str
    category: str  # conversations only
    open_us: int
    expire_us: int
    message_id: str
    billable: bool = False

    def covers(self, at_us: int) -> bool:
        return self.open_us <= at_us < self.expire_us


def windows_opened_by_inbound(
    account_id: str, channel_id: str, contact: str, at_us: int, message_id: str, referral: bool
) -> list[Window]:
    """Each user message opens or refreshes the 24 h window; an ad or Page entry opens 72 h."""
    opened = [
        Window(
            account_id,
            channel_id,
            contact,
            CUSTOMER_SERVICE,
            "",
            at_us,
            at_us + CUSTOMER_SERVICE_WINDOW_US,
            message_id,
        )
    ]
    if referral:
        opened.append(
            Window(
                account_id,
                channel_id,
                contact,
                FREE_ENTRY_POINT,
                "",
                at_us,
                at_us + FREE_ENTRY_POINT_WINDOW_US,
                message_id,
            )
        )
    return opened
