"""The lines of each kind of invoice, from plans, usage and requests (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pricing.money import apply_basis_points
from services.invoicing.domain import money
from services.invoicing.domain.cycles import Cycle
from services.invoicing.domain.invoices import Line

DAYS_PER_CHANNEL_MONTH = 30


@dataclass(frozen=True)
class PlanTerms:
    name: str
    currency_code: str
    monthly_fee_micros: int
    included_active_users: int
    price_per_extra_user_micros: int
    notification_fee_micros: int
    period_months: int
    discount_basis_points: int


@dataclass(frozen=True)
class ActiveUsers:
    """Distinct active users over one month of a cycle."""

    start: dt.date
    end: dt.date
    count: int


@dataclass(frozen=True)
class NotificationUsage:
    billable_notifications: int
    charges_micros: int
    currency_code: str


# Categories of template messages ("notifications"); service messages are free-form replies.
TEMPLATE_CATEGORIES = frozenset(
    {"marketing", "utility", "authentication", "authentication-international"}
)


@dataclass(frozen=True)
class ChargeLine:
    """Messages metering charged at one unit price, in one category and market."""

    category: str
    market: str
    unit_price_micros: int
    quantity: int


def merged(parts: list[list[ChargeLine]]) -> list[ChargeLine]:
    """Charge lines of several date ranges as one list: equal (category, market, unit price)
    added up, in that order."""
    counts: dict[tuple[str, str, int], int] = {}
    for lines in parts:
        for line in lines:
            key = (line.category, line.market, line.unit_price_micros)
            counts[key] = counts.get(key, 0) + line.quantity
    return [ChargeLine(*key, quantity) for key, quantity in sorted(counts.items())]


def span(start: dt.date, end: dt.date) -> str:
    return f"{start:%d %b %Y} - {end:%d %b %Y}"


def subscription_lines(plan: PlanTerms, cycle: Cycle, users: list[ActiveUsers]) -> list[Line]:
    """The plan fee (discounted for longer periods, prorated for a cut cycle) and extra users."""
    fee = plan.monthly_fee_micros * plan.period_months
    period = "monthly" if plan.period_months == 1 else f"{plan.period_months} months"
    lines = [
        Line.amount(f"{plan.name} plan fee ({period}), {span(cycle.start, cycle.end)}", "fee", fee)
    ]
    discount = apply_basis_points(fee, plan.discount_basis_points)
    if discount:
        percent = f"{plan.discount_basis_points / 100:g}"
        lines.append(Line.amount(f"Discount {percent}% ({period} plan)", "discount", -discount))
    if cycle.is_partial:
        unused = (fee - discount) - money.divide_half_up(
            (fee - discount) * cycle.days, cycle.full_days
        )
        text = f"Unused days after cancellation ({cycle.days} of {cycle.full_days} days used)"
        lines.append(Line.amount(text, "proration", -unused))
    for month in users:
        extra = max(0, month.count - plan.included_active_users)
        text = (
            f"Active users {span(month.start, month.end)}: {month.count} "
            f"({plan.included_active_users} included), {extra} extra"
        )
        lines.append(Line.priced(text, "active_users", extra, plan.price_per_extra_user_micros))
    return lines


def notification_lines(plan: PlanTerms, cycle: Cycle, charged: list[ChargeLine]) -> list[Line]:
    """Postpaid charges exactly as metering priced them, one line per category, market and unit
    price (service messages on lines of their own), and the plan's fee per charged template."""
    when = span(cycle.start, cycle.end)
    lines = []
    for line in charged:
        what = "service messages" if line.category == "service" else f"{line.category} templates"
        text = f"WhatsApp {what} delivered, {line.market}, {when}"
        lines.append(Line.priced(text, "notifications", line.quantity, line.unit_price_micros))
    templates = sum(line.quantity for line in charged if line.category in TEMPLATE_CATEGORIES)
    if plan.notification_fee_micros and templates:
        lines.append(
            Line.priced(
                f"Notification fee, {templates:,} charged templates, {when}",
                "notification_fee",
                templates,
                plan.notification_fee_micros,
            )
        )
    return lines


def statement_lines(cycle: Cycle, charged: list[ChargeLine]) -> list[Line]:
    """What the prepaid balance paid for messages over the cycle, as metering priced them: a
    record, not a sale (the messages were paid when sent), so no tax is added."""
    when = span(cycle.start, cycle.end)
    found = []
    for line in charged:
        what = "service messages" if line.category == "service" else f"{line.category} templates"
        text = f"WhatsApp {what} delivered, {line.market}, {when} (paid from the balance)"
        found.append(
            Line.priced(text, "prepaid_messages", line.quantity, line.unit_price_micros, False)
        )
    return found


def top_up_lines(top_up_id: str, amount_micros: int, fee_micros: int) -> list[Line]:
    lines = [Line.amount(f"Prepaid balance top-up {top_up_id}", "top_up", amount_micros, False)]
    if fee_micros:
        lines.append(Line.amount("Transaction fee", "transaction_fee", fee_micros))
    return lines


def partner_days_lines(
    channels: int, days: int, price_per_channel_month_micros: int
) -> tuple[list[Line], int]:
    """Channels x 30 days at the agreed price, or a number of days at a thirtieth of it.

    Returns the lines and the days to credit once paid.
    """
    if channels:
        days = channels * DAYS_PER_CHANNEL_MONTH
        text = f"WhatsApp channels, {DAYS_PER_CHANNEL_MONTH} days each ({days:,} days)"
        return [Line.priced(text, "partner_days", channels, price_per_channel_month_micros)], days
    amount = money.divide_half_up(days * price_per_channel_month_micros, DAYS_PER_CHANNEL_MONTH)
    line = Line(
        description=f"WhatsApp channel days ({days:,} days)",
        kind="partner_days",
        quantity_milli=days * 1000,
        unit_price_micros=money.divide_half_up(
            price_per_channel_month_micros, DAYS_PER_CHANNEL_MONTH
        ),
        amount_micros=amount,
    )
    return [line], days


def correction_lines(number: str, reason: str, amount_micros: int) -> list[Line]:
    return [Line.amount(f"Correction of invoice {number}: {reason}", "correction", amount_micros)]
