"""A service process asked to stop exits within its budget even when one worker hangs, and says
which worker it left behind; when closing hangs too, it says where it was and exits anyway."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from services.common.background import STOP_REPORT_S
from services.common.grpc_server import EXIT_LEFT_BEHIND, EXIT_MARGIN_S
from tests.harness.services import ServiceProcess

GRACE_S = STOP_REPORT_S + 1
# Wall-clock slack on top of a budget, for a loaded machine: a process that ignored its budget
# would run past it by far more (its worker never returns). The logs carry the precise claims.
SLACK_S = 15.0


def stuck_service(tmp_path: Path, *arguments: str) -> ServiceProcess:
    return ServiceProcess(
        "stuck",
        {"SHUTDOWN_GRACE_SECONDS": str(GRACE_S), "OTEL_SDK_DISABLED": "true"},
        tmp_path,
        module="tests.harness.stuck_worker",
        arguments=arguments,
    ).start()


def logged(service: ServiceProcess) -> list[dict[str, Any]]:
    return [json.loads(line) for line in service.log().splitlines() if line.startswith("{")]


def test_a_hanging_worker_is_named_and_left_behind_within_the_budget(tmp_path: Path) -> None:
    service = stuck_service(tmp_path)
    began = time.monotonic()
    code = service.terminate(timeout_s=GRACE_S + EXIT_MARGIN_S + SLACK_S + 5)
    took_s = time.monotonic() - began
    assert code == EXIT_LEFT_BEHIND
    assert took_s < GRACE_S + EXIT_MARGIN_S + SLACK_S
    lines = logged(service)
    waiting = [
        line["worker"] for line in lines if line["message"] == "waiting for a worker to stop"
    ]
    assert waiting and set(waiting) == {"stuck-step"}
    errors = [line for line in lines if line["level"] == "error"]
    assert [line.get("worker") for line in errors] == ["stuck-step", None]
    assert errors[1]["message"] == "connections left open: workers still running"
    assert errors[1]["workers"] == ["stuck-step"]
    assert "connections closed" not in [line["message"] for line in lines]
    assert lines[-1]["message"] == "stopped"
    assert lines[-1]["workers_left_behind"] == ["stuck-step"]


def test_a_shutdown_that_hangs_past_its_budget_says_where_and_exits(tmp_path: Path) -> None:
    service = stuck_service(tmp_path, "--hang-on-close")
    began = time.monotonic()
    code = service.terminate(timeout_s=GRACE_S + EXIT_MARGIN_S + SLACK_S + 5)
    took_s = time.monotonic() - began
    assert code == EXIT_LEFT_BEHIND
    # Not before its budget (the timer starts after the signal), and not long after it.
    assert GRACE_S + EXIT_MARGIN_S <= took_s < GRACE_S + EXIT_MARGIN_S + SLACK_S
    overrun = logged(service)[-1]
    assert overrun["message"] == "shutdown overran its budget; exiting without waiting"
    assert overrun["stage"] == "closing"
    assert overrun["budget_s"] == GRACE_S + EXIT_MARGIN_S
