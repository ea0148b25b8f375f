"""Benchmark: one price decision in-process, against a naive baseline measured in the same run.

The baseline is what pricing looks like without precomputation: for every decision it converts
the instant to the business's local date with zoneinfo, scans the calling-code rows for the
longest prefix, scans the raw CSV rows of every card for the one in force and the market's row,
parses the decimal, and scans the tier rows. Both answer the same paid per-message mix, and the
run checks that they agree on every rate before timing anything.

Run: .venv/bin/python -m bench.pricing   (writes bench/results/pricing.json)
"""

from __future__ import annotations

import csv
import json
import platform
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from pricing import Catalog, PriceRequest, PricingEngine, ProviderPricing, Window
from pricing.catalog import DEFAULT_DATA
from pricing.money import parse_micros

REPEATS = 7
CALLS_PER_REPEAT = 20_000
BASELINE_CALLS_PER_REPEAT = 500
MIX_SIZE = 2_000
TARGET_MEDIAN_US = 10.0
RESULTS = Path(__file__).parent / "results" / "pricing.json"

NUMBERS = [
    "+919812345678", "+12125550123", "+18095551234", "+447911123456", "+5511912345678",
    "+74951234567", "+77011234567", "+263771234567", "+6591234567", "+254712345678",
    "+201001234567", "+393471234567", "+96550123456", "+2348031234567", "+6281234567890",
]  # fmt: skip
ZONES = ["Asia/Kolkata", "UTC", "America/Sao_Paulo", "Europe/Berlin", "Pacific/Kiritimati"]
TEMPLATES = ["marketing", "utility", "authentication"]


def paid_mix(rng: random.Random) -> list[PriceRequest]:
    """Paid per-message template sends across markets, currencies, zones and tiers."""
    start = datetime(2026, 1, 2, tzinfo=ZoneInfo("UTC"))
    mix = []
    for _ in range(MIX_SIZE):
        mix.append(
            PriceRequest(
                at=start + timedelta(seconds=rng.randrange(360 * 86_400)),
                recipient=rng.choice(NUMBERS),
                category=rng.choice(TEMPLATES),
                currency="USD" if rng.random() < 0.7 else "INR",
                time_zone=rng.choice(ZONES),
                window=Window.NONE,
                monthly_count=rng.choice([0, 99_999, 100_000, 24_999_999, 25_000_000, 9**9]),
                provider=ProviderPricing(markup_bps=1_000, fee_per_message_micros=2_000),
            )
        )
    return mix


class LinearScanPricer:
    """The naive baseline: raw CSV rows in lists, scanned on every decision."""

    def __init__(self, directory: Path) -> None:
        self.cards: list[tuple[str, date, list[list[str]]]] = []
        for path in sorted(directory.glob("meta_*.csv")):
            _, currency, day = path.stem.split("_")
            rows = list(csv.reader(_lines(path)))[2:]
            self.cards.append((currency, date.fromisoformat(day), rows))
        self.tiers: list[tuple[str, date, list[dict[str, str]]]] = []
        for path in sorted(directory.glob("tiers_*.csv")):
            _, currency, day = path.stem.split("_")
            self.tiers.append((currency, date.fromisoformat(day), _records(path)))
        self.markets = [("", row) for row in _records(directory / "markets.csv")]
        changes = _records(directory / "market_changes.csv")
        self.markets += [(row["effective"], row) for row in changes]

    def rate_micros(self, request: PriceRequest) -> int:
        day = request.at.astimezone(ZoneInfo(request.time_zone)).date()
        digits = request.recipient.lstrip("+")
        best, market = "", "Other"
        for moved_on, row in self.markets:
            if moved_on and date.fromisoformat(moved_on) > day:
                continue
            for area in row["area_codes"].split() or [""]:
                key = row["calling_code"] + area
                if digits.startswith(key) and len(key) >= len(best):
                    best, market = key, row["market"]
        in_force = [card for card in self.cards if card[0] == request.currency and card[1] <= day]
        if not in_force:
            raise LookupError("no card in force")
        _, card_day, card_rows = in_force[-1]
        column = {"marketing": 2, "utility": 3, "authentication": 4}[request.category]
        list_rate = next(parse_micros(r[column]) for r in card_rows if r[0] == market)
        if request.category == "marketing":
            return list_rate
        position = request.monthly_count + 1
        for currency, effective, rows in self.tiers:
            if (currency, effective) != (request.currency, card_day):
                continue
            for tier in rows:
                if tier["market"] == market and tier["category"] == request.category:
                    last = int(tier["to"]) if tier["to"] else None
                    if int(tier["from"]) <= position and (last is None or position <= last):
                        return parse_micros(tier["rate"])
        return list_rate


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _records(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(_lines(path)))


class Latency(NamedTuple):
    median_us: float
    p99_us: float
    median_per_repeat_us: list[float]
    calls: int


def time_calls(
    call: Callable[[PriceRequest], object], mix: Sequence[PriceRequest], calls: int
) -> list[list[float]]:
    """Per-call latencies in microseconds, `REPEATS` runs of `calls` calls each."""
    runs = []
    for repeat in range(REPEATS):
        samples = []
        clock = time.perf_counter_ns
        for index in range(calls):
            request = mix[(index * 7 + repeat) % len(mix)]
            started = clock()
            call(request)
            samples.append((clock() - started) / 1_000)
        runs.append(samples)
    return runs


def summary(runs: list[list[float]]) -> Latency:
    every = sorted(sample for run in runs for sample in run)
    return Latency(
        median_us=round(statistics.median(every), 3),
        p99_us=round(every[int(len(every) * 0.99)], 3),
        median_per_repeat_us=[round(statistics.median(run), 3) for run in runs],
        calls=len(every),
    )


def main() -> None:
    engine = PricingEngine(Catalog.load_default())
    baseline = LinearScanPricer(DEFAULT_DATA)
    mix = paid_mix(random.Random(20261001))
    for request in mix:  # same answers before any timing
        if engine.price(request).rate_micros != baseline.rate_micros(request):
            raise SystemExit(f"engine and baseline disagree on {request}")
    fast = summary(time_calls(engine.price, mix, CALLS_PER_REPEAT))
    slow = summary(time_calls(baseline.rate_micros, mix, BASELINE_CALLS_PER_REPEAT))
    ratio = round(slow.median_us / fast.median_us, 1)
    result = {
        "benchmark": "one price decision (PricingEngine.price), in-process",
        "mix": f"{len(mix)} paid per-message template sends, USD and INR, 5 zones, tiers",
        "engine": fast._asdict(),
        "baseline": {"name": "linear scan of CSV rows per decision", **slow._asdict()},
        "baseline_over_engine_median": ratio,
        "target_median_us": TARGET_MEDIAN_US,
        "meets_target": fast.median_us <= TARGET_MEDIAN_US,
        "python": platform.python_version(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"engine:   median {fast.median_us} us, p99 {fast.p99_us} us ({fast.calls} calls)")
    print(f"baseline: median {slow.median_us} us, p99 {slow.p99_us} us ({slow.calls} calls)")
    print(f"baseline / engine (median): {ratio}x; target median <= {TARGET_MEDIAN_US} us")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
