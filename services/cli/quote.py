"""`billing quote`: price one message from the shipped rate cards and print it as JSON."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import Any

from pricing import (
    CATEGORIES,
    Catalog,
    PriceRequest,
    PricingEngine,
    PricingError,
    ProviderPricing,
    Window,
)
from services.cli import common


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("quote", help="price one message and print it as JSON")
    parser.add_argument("--to", required=True, help="recipient number, E.164 (+919812345678)")
    parser.add_argument("--category", required=True, choices=sorted(CATEGORIES))
    parser.add_argument("--at", required=True, type=_instant, help="ISO 8601 with UTC offset")
    parser.add_argument("--currency", required=True, type=str.upper, help="billing currency")
    parser.add_argument(
        "--window", type=Window, default=Window.NONE, choices=list(Window), help="free window"
    )
    parser.add_argument("--open-conversations", type=_categories, default=frozenset())
    parser.add_argument(
        "--monthly-count",
        type=_count,
        default=0,
        help="charged messages already counted this month (tiers), or service conversations",
    )
    parser.add_argument("--business-country", help="ISO country of the business (IN)")
    parser.add_argument("--time-zone", help="business time zone; default: the offset of --at")
    parser.add_argument("--fee-micros", type=_count, default=0, help="provider fee per message")
    parser.add_argument("--markup-bps", type=_count, default=0, help="provider markup")
    parser.add_argument("--included-messages", type=_count, default=0, help="plan-included")
    parser.add_argument("--provider-monthly-count", type=_count, default=0)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> common.Result:
    provider = None
    if args.fee_micros or args.markup_bps or args.included_messages:
        provider = ProviderPricing(
            fee_per_message_micros=args.fee_micros,
            markup_bps=args.markup_bps,
            included_messages_per_month=args.included_messages,
        )
    try:
        request = PriceRequest(
            at=args.at,
            recipient=args.to,
            category=args.category,
            currency=args.currency,
            time_zone=args.time_zone or _offset_of(args.at),
            window=args.window,
            open_conversations=args.open_conversations,
            monthly_count=args.monthly_count,
            business_country=args.business_country,
            provider=provider,
            provider_monthly_count=args.provider_monthly_count,
        )
        decision = PricingEngine(Catalog.load_default()).price(request)
    except PricingError as error:
        raise common.CommandError(str(error)) from None
    return common.Result(decision.to_dict())


def _instant(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad date {text!r}: use ISO 8601") from None
    if at.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset (+05:30)")
    return at


def _offset_of(at: datetime) -> str:
    offset = at.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _categories(text: str) -> frozenset[str]:
    names = frozenset(name.strip() for name in text.split(",") if name.strip())
    unknown = sorted(names - CATEGORIES)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown categories {', '.join(unknown)}")
    return names


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative integer")
    return int(text)
