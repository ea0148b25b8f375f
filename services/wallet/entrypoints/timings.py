"""Decision timings for benchmarks: handler entry to return, kept in a bounded buffer."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

MAX_SAMPLES = 200_000


class DecisionTimings:
    def __init__(self, path: str) -> None:
        self._path = Path(path)
        self._samples: dict[str, deque[int]] = {}

    def record(self, method: str, elapsed_ns: int) -> None:
        samples = self._samples.get(method)
        if samples is None:
            samples = self._samples[method] = deque(maxlen=MAX_SAMPLES)
        samples.append(elapsed_ns)

    def dump(self) -> None:
        """Write every sample (microseconds) per method, then start afresh."""
        taken = {method: [ns / 1000 for ns in list(s)] for method, s in self._samples.items()}
        self._samples = {}
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(json.dumps(taken))
        temporary.replace(self._path)
