"""The console's amounts.js under node: decimal text to integer micros by string arithmetic."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CHECK = Path(__file__).with_name("amounts_check.mjs")


def test_amounts_convert_exactly_and_refuse_what_is_not_an_amount() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs node")
    done = subprocess.run(
        [node, str(CHECK)], capture_output=True, text=True, timeout=60, check=False
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 0, "\n".join(line for line in lines if line.startswith("FAIL"))
    assert len(lines) >= 25 and all(line.startswith("ok ") for line in lines)
