"""The summary of bench/compare.sh: each figure's median and spread per side, and a verdict.

    python -m bench.compare <folder>

The folder holds before-<round>.json and after-<round>.json, each written by
`AUTHORISE_PHASES=wallet python -m bench.authorise`. A figure's spread is its range (largest
minus smallest) over the rounds. The noise rule: a figure is worse (or better) only if its median
moved by more than either side's spread and it was worse (or better) in every round; anything
else is noise. Prints a Markdown table; exits 1 when a figure is worse.

A ratio of the send path to its floor is judged by one estimator on both sides: the median of
each run's per-round ratios (the floor and AuthoriseSend measured in alternating rounds) when
every run on both sides has them, otherwise the ratio of the two phases' pooled figures for
every run on both sides.
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

# (phase, figure, True when a larger value is better)
FIGURES = (
    ("noop", "p50_us", False),
    ("noop_redis", "p50_us", False),
    ("noop_redis_concurrent", "ops_per_s", True),
    ("authorise", "p50_us", False),
    ("authorise", "p99_us", False),
    ("authorise", "server_decision_p50_us", False),
    ("authorise_concurrent", "p50_us", False),
    ("authorise_concurrent", "ops_per_s", True),
    ("authorise_batch", "ops_per_s", True),
)
# (name, the benchmark's entry for it, numerator, denominator, True when larger is better)
RATIOS = (
    (
        "AuthoriseSend p50 / Redis floor p50",
        "ratio_authorise_to_noop_redis_p50",
        ("authorise", "p50_us"),
        ("noop_redis", "p50_us"),
        False,
    ),
    (
        "AuthoriseSend ops/s / Redis floor ops/s, 64 callers",
        "ratio_authorise_concurrent_to_noop_redis_concurrent_ops",
        ("authorise_concurrent", "ops_per_s"),
        ("noop_redis_concurrent", "ops_per_s"),
        True,
    ),
)


@dataclass(frozen=True)
class Verdict:
    name: str
    before: list[float]
    after: list[float]
    larger_is_better: bool

    @property
    def moved(self) -> float:
        return statistics.median(self.after) - statistics.median(self.before)

    def spread(self, values: list[float]) -> float:
        return max(values) - min(values)

    def _beyond_noise(self) -> bool:
        return abs(self.moved) > max(self.spread(self.before), self.spread(self.after))

    def _every_round(self, worse: bool) -> bool:
        pairs = list(zip(self.before, self.after, strict=True))
        if self.larger_is_better == worse:
            return all(after < before for before, after in pairs)
        return all(after > before for before, after in pairs)

    @property
    def outcome(self) -> str:
        if self._beyond_noise() and self._every_round(worse=True):
            return "WORSE"
        if self._beyond_noise() and self._every_round(worse=False):
            return "better"
        return "same (noise)"


def load(folder: Path, side: str) -> list[dict[str, dict[str, float]]]:
    rounds = sorted(folder.glob(f"{side}-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    return [json.loads(path.read_text()) for path in rounds]


def ratios(
    before: list[dict[str, dict[str, float]]],
    after: list[dict[str, dict[str, float]]],
    key: str,
    top: tuple[str, str],
    bottom: tuple[str, str],
) -> tuple[list[float], list[float]]:
    """Each run's ratio on each side, taken the same way on both (see the module's note)."""
    if all(key in run for run in (*before, *after)):
        return [run[key]["median"] for run in before], [run[key]["median"] for run in after]

    def pooled(run: dict[str, dict[str, float]]) -> float:
        return run[top[0]][top[1]] / run[bottom[0]][bottom[1]]

    return [pooled(run) for run in before], [pooled(run) for run in after]


def verdicts(folder: Path) -> list[Verdict]:
    before, after = load(folder, "before"), load(folder, "after")
    if not before or len(before) != len(after):
        raise SystemExit(f"{folder}: expected as many before-N.json as after-N.json")
    found = []
    for phase, figure, larger in FIGURES:
        if phase not in before[0] or figure not in before[0][phase]:
            continue
        found.append(
            Verdict(
                f"{phase} {figure}",
                [run[phase][figure] for run in before],
                [run[phase][figure] for run in after],
                larger,
            )
        )
    for name, key, top, bottom, larger in RATIOS:
        if bottom[0] not in before[0]:
            continue
        found.append(Verdict(name, *ratios(before, after, key, top, bottom), larger))
    return found


def number(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"


def main() -> None:
    folder = Path(sys.argv[1])
    found = verdicts(folder)
    print("| figure | before median (spread) | after median (spread) | after / before | verdict |")
    print("|---|---|---|---|---|")
    for v in found:
        before, after = statistics.median(v.before), statistics.median(v.after)
        print(
            f"| {v.name} | {number(before)} ({number(v.spread(v.before))}) "
            f"| {number(after)} ({number(v.spread(v.after))}) "
            f"| {after / before:.3f} | {v.outcome} |"
        )
    rounds = len(found[0].before) if found else 0
    print(
        f"\n{rounds} rounds, order alternated; spread = largest - smallest over the rounds. "
        "Worse only if the median moved by more than either side's spread and it was worse in "
        "every round."
    )
    if any(v.outcome == "WORSE" for v in found):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
