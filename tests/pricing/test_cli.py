"""`billing quote` through the installed entry point, as an operator runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BILLING = Path(sys.executable).parent / "billing"


def quote(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BILLING), "quote", *args], capture_output=True, text=True, timeout=60, check=False
    )


def quote_json(*args: str) -> dict[str, Any]:
    done = quote(*args)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_quote_prints_one_json_decision() -> None:
    result = quote_json(
        "--to", "+919812345678", "--category", "utility",
        "--at", "2026-03-05T10:00:00+05:30", "--currency", "USD",
    )  # fmt: skip
    assert result["market"] == "India"
    assert result["country"] == "IN"
    assert result["pricing_model"] == "per_message"
    assert result["billable"] is True
    assert result["rate_micros"] == 1_400
    assert result["price_micros"] == 1_400
    assert result["meta_cost_micros"] == 1_400
    assert result["margin_micros"] == 0
    assert result["currency"] == "USD"
    assert result["pricing_type"] == "regular"
    assert "utility" in result["reason"]


def test_quote_tier_and_window_options() -> None:
    tiered = quote_json(
        "--to", "+919812345678", "--category", "utility", "--at", "2026-10-05T10:00:00+05:30",
        "--currency", "INR", "--monthly-count", "25000000", "--time-zone", "Asia/Kolkata",
    )  # fmt: skip
    assert tiered["rate_micros"] == 108_100
    free = quote_json(
        "--to", "+18095551234", "--category", "utility", "--at", "2026-03-05T10:00:00-04:00",
        "--currency", "USD", "--window", "service",
    )  # fmt: skip
    assert (free["market"], free["billable"], free["price_micros"]) == (
        "Rest of Latin America",
        False,
        0,
    )


def test_quote_time_zone_defaults_to_the_offset_of_at() -> None:
    # 2026-10-01 00:30 at UTC+14 is October there (per-message rules of 2026-10-01) ...
    october = quote_json(
        "--to", "+919812345678", "--category", "service",
        "--at", "2026-10-01T00:30:00+14:00", "--currency", "USD",
    )  # fmt: skip
    assert october["billable"] is True
    # ... but the same instant for a business in India is still September.
    september = quote_json(
        "--to", "+919812345678", "--category", "service", "--at", "2026-10-01T00:30:00+14:00",
        "--currency", "USD", "--time-zone", "Asia/Kolkata",
    )  # fmt: skip
    assert september["billable"] is False


@pytest.mark.parametrize(
    "args",
    [
        ("--to", "+91981", "--category", "utility", "--at", "2026-03-05T10:00:00+05:30"),
        ("--to", "+919812345678", "--category", "promo", "--at", "2026-03-05T10:00:00+05:30"),
        ("--to", "+919812345678", "--category", "utility", "--at", "5 March"),
        ("--to", "+919812345678", "--category", "utility", "--at", "2026-03-05T10:00:00"),
        ("--to", "+919812345678", "--category", "utility", "--at", "2024-03-05T10:00:00+05:30"),
        (
            "--to",
            "+919812345678",
            "--category",
            "utility",
            "--at",
            "2026-03-05T10:00:00+05:30",
            "--time-zone",
            "Nowhere/City",
        ),
        (
            "--to",
            "+919812345678",
            "--category",
            "utility",
            "--at",
            "2026-03-05T10:00:00+05:30",
            "--monthly-count",
            "-3",
        ),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: tuple[str, ...]) -> None:
    done = quote(*args, "--currency", "USD")
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert "error" in done.stderr
