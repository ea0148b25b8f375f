"""The `billing` command reads the services' environment (or a file it names), refuses a
database that does not exist or lacks migrations, migrates in one step, and answers every
subcommand with --json and the same exit codes."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from services.cli.main import build_parser
from tests.harness.credentials import credentials
from tests.harness.services import ServiceProcess

BASE_ENV = {
    name: value
    for name, value in os.environ.items()
    if not name.endswith("DATABASE_URL") and name not in ("BILLING_DATA_DIR", "BILLING_CONFIG")
}


def billing(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=cwd,
        env={**BASE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_outside_the_project_it_refuses_rather_than_creating_a_database(tmp_path: Path) -> None:
    done = billing(tmp_path, "reconcile", "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "CONFIGURATION" and "WALLET_DATABASE_URL" in error["message"]
    assert "no database at data/wallet.db" in done.stderr
    assert not (tmp_path / "data").exists()
    listed = billing(tmp_path, "apikey", "list")
    assert listed.returncode == 2 and "GATEWAY_DATABASE_URL" in listed.stderr
    assert not (tmp_path / "data").exists()


def test_a_database_without_migrations_is_refused(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "empty.db").close()
    done = billing(tmp_path, "apikey", "list", DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}")
    assert done.returncode == 2
    assert "the database has no migrations: run `billing migrate gateway` first" in done.stderr


def test_migrate_every_service_then_check(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    migrated = billing(tmp_path, "migrate", "--json", BILLING_DATA_DIR=data)
    assert migrated.returncode == 0, migrated.stderr
    services = {row["service"]: row for row in json.loads(migrated.stdout)["services"]}
    assert {"metering", "wallet", "invoicing", "gateway"} <= set(services)
    for row in services.values():
        assert row["before"] == [] and row["after"] == row["heads"] and row["up_to_date"]
    again = billing(tmp_path, "migrate", "--check", BILLING_DATA_DIR=data)
    assert again.returncode == 0
    assert "gateway: the database is at" in again.stdout
    listed = billing(tmp_path, "apikey", "list", BILLING_DATA_DIR=data)
    assert listed.returncode == 0 and json.loads(listed.stdout) == {"keys": []}


def test_several_services_never_share_one_database_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    done = billing(tmp_path, "migrate", DATABASE_URL=url)
    assert done.returncode == 2
    assert "set METERING_DATABASE_URL" in done.stderr
    one = billing(tmp_path, "migrate", "gateway", DATABASE_URL=url)
    assert one.returncode == 0, one.stderr
    assert billing(tmp_path, "migrate", "nonsense").returncode == 2


def test_a_named_config_file_is_laid_over_the_environment(tmp_path: Path) -> None:
    database = tmp_path / "gateway.db"
    settings = tmp_path / "billing.env"
    settings.write_text(
        f"# the gateway's database\nexport GATEWAY_DATABASE_URL='sqlite:///{database}'\n"
    )
    assert billing(tmp_path, "--config", str(settings), "migrate", "gateway").returncode == 0
    created = billing(
        tmp_path, "--config", str(settings), "apikey", "create", "--platform", "--json"
    )
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert key["operator"] is True and key["name"] == "platform"
    missing = billing(tmp_path, "--config", str(tmp_path / "nowhere.env"), "apikey", "list")
    assert missing.returncode == 2 and "--config" in missing.stderr


def test_not_found_is_exit_1_and_usage_is_exit_2(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    assert billing(tmp_path, "migrate", "gateway", BILLING_DATA_DIR=data).returncode == 0
    revoked = billing(tmp_path, "apikey", "revoke", "key_missing", "--json", BILLING_DATA_DIR=data)
    assert revoked.returncode == 1
    assert json.loads(revoked.stdout)["error"]["code"] == "NOT_FOUND"
    usage = billing(tmp_path, "apikey", "create", "--account", "acme", BILLING_DATA_DIR=data)
    assert usage.returncode == 2 and usage.stderr.strip().endswith(
        "--role is required with --account"
    )
    assert billing(tmp_path, "reconcile", "--no-such-flag").returncode == 2


def test_every_subcommand_takes_json() -> None:
    def leaves(
        parser: argparse.ArgumentParser, path: tuple[str, ...]
    ) -> list[tuple[tuple[str, ...], Any]]:
        nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not nested:
            return [(path, parser)]
        found = []
        for action in nested:
            for name, child in action.choices.items():
                found += leaves(child, (*path, name))
        return found

    found = leaves(build_parser(), ())
    assert len(found) >= 9
    for path, parser in found:
        assert "--json" in parser._option_string_actions, path


def test_a_service_told_not_to_migrate_refuses_an_old_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'invoicing.db'}"
    env = {
        "DATABASE_URL": url,
        "DATABASE_MIGRATE_ON_START": "false",
        "INVOICING_SCHEDULER_ENABLED": "false",
    }
    refused = subprocess.run(
        [sys.executable, "-m", "services.invoicing"],
        env={**BASE_ENV, **credentials().env("invoicing"), **env, "INVOICING_PORT": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "DATABASE_URL" in refused.stderr and "billing migrate invoicing" in refused.stderr
    assert billing(tmp_path, "migrate", "invoicing", DATABASE_URL=url).returncode == 0
    service = ServiceProcess("invoicing", env, tmp_path).start()
    assert service.terminate() == 0
