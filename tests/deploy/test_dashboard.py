"""The Grafana dashboard charts every metric the suite defines."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_defined_metric_has_a_panel() -> None:
    dashboard = json.loads((REPO / "deploy" / "grafana" / "billing.json").read_text())
    expressions = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel["targets"]
    )
    defined = re.findall(
        r'"((?:billing|rpc)\.[a-z_.]+)"', (REPO / "services" / "common" / "metrics.py").read_text()
    )
    assert len(defined) >= 10
    for name in defined:
        assert name.replace(".", "_") in expressions, name
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
