"""The usage (audit) report: streamed rows, CSV chunks, and `billing report`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest
from billing.metering.v1 import metering_service_pb2 as pb

from services.cli.main import main
from tests.metering.conftest import Running
from tests.metering.helpers import inbound, profile, status

USER = "+919812345678"
SESSION = "client7.sales.wa1"
EXPECTED_CSV = (
    "CONN_ID,SESSION_ID,DATE,CUSTOMER_PHONE,TEMPLATE,DESTINY,MESSAGE_ID,CHANNEL_ID,DIRECTION\r\n"
    "c-100,client7.sales.wa1,2026-03-10 09:30:00,+919812345678,no,ch-1,in-1,ch-1,inbound\r\n"
    "c-100,client7.sales.wa1,2026-03-10 09:35:00,+919812345678,yes,+919812345678,t-1,ch-1,"
    "outbound\r\n"
    "c-100,client7.sales.wa1,2026-03-10 09:36:00,+919812345678,no,+919812345678,s-1,ch-1,"
    "outbound\r\n"
)


def record_chat(metering: Running) -> None:
    metering.add_account("acc-r", profile("acct-r", time_zone="Asia/Kolkata"))
    chat: dict[str, Any] = {"contact": USER, "chat_id": "c-100", "session_id": SESSION}
    metering.record(
        status(
            "acct-r", "t-1", "delivered", "2026-03-10T04:05:03+00:00", category="utility", **chat
        ),
        inbound("acct-r", "in-1", "2026-03-10T04:00:00+00:00", **chat),
        status("acct-r", "t-1", "sent", "2026-03-10T04:05:00+00:00", category="utility", **chat),
        status("acct-r", "s-1", "sent", "2026-03-10T04:06:00+00:00", category="service", **chat),
        status("acct-r", "s-1", "read", "2026-03-10T04:07:00+00:00", category="service", **chat),
        # 01:30 on 12 March in Kolkata: outside the range
        status("acct-r", "x-1", "sent", "2026-03-11T20:00:00+00:00", contact=USER),
    )


def test_the_report_has_one_row_per_interaction_in_local_time(metering: Running) -> None:
    record_chat(metering)
    rows = [
        r.row
        for r in metering.stub.StreamUsageReport(
            pb.StreamUsageReportRequest(
                account_id="acct-r", from_date="2026-03-10", to_date="2026-03-11"
            ),
            timeout=10,
        )
    ]
    assert [(r.message_id, r.direction, r.template, r.destination) for r in rows] == [
        ("in-1", "inbound", False, "ch-1"),
        ("t-1", "outbound", True, USER),
        ("s-1", "outbound", False, USER),
    ]
    assert rows[1].occur_time.seconds == 1773115500  # first status seen: sent at 04:05:00Z
    chunks = list(
        metering.stub.ExportUsageReport(
            pb.ExportUsageReportRequest(
                account_id="acct-r", from_date="2026-03-10", to_date="2026-03-11"
            ),
            timeout=10,
        )
    )
    assert {c.body.content_type for c in chunks} == {"text/csv"}
    assert b"".join(c.body.data for c in chunks).decode() == EXPECTED_CSV


def test_a_long_report_is_streamed_in_pages_and_chunks(metering: Running) -> None:
    metering.add_account("acc-r", profile("acct-r"))
    for batch in range(3):
        metering.record(
            *(
                inbound(
                    "acct-r", f"in-{batch}-{n}", f"2026-03-10T10:{n % 60:02d}:{batch:02d}+00:00"
                )
                for n in range(900)
            )
        )
    chunks = list(
        metering.stub.ExportUsageReport(
            pb.ExportUsageReportRequest(
                account_id="acct-r", from_date="2026-03-10", to_date="2026-03-10"
            ),
            timeout=30,
        )
    )
    lines = b"".join(c.body.data for c in chunks).decode().splitlines()
    assert len(chunks) > 1
    assert len(lines) == 1 + 2_700
    times = [line.split(",")[2] for line in lines[1:]]
    assert times == sorted(times)


def test_billing_report_writes_the_csv(
    metering: Running,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    record_chat(metering)
    monkeypatch.setenv("METERING_ADDRESS", f"127.0.0.1:{metering.server.port}")
    output = tmp_path / "report.csv"
    code = main(
        [
            "report",
            "--account",
            "acct-r",
            "--from",
            "2026-03-10",
            "--to",
            "2026-03-11",
            "--output",
            str(output),
        ]
    )
    assert code == 0
    assert output.read_bytes().decode() == EXPECTED_CSV

    missing = tmp_path / "missing.csv"
    code = main(
        [
            "report",
            "--account",
            "nobody",
            "--from",
            "2026-03-10",
            "--to",
            "2026-03-11",
            "--output",
            str(missing),
        ]
    )
    assert code == 1
    assert not missing.exists()
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "not found" in error[0]

    code = main(["report", "--account", "acct-r", "--from", "2026-03-11", "--to", "2026-03-10"])
    assert code == 2


def test_bad_dates_name_the_field(metering: Running) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        list(
            metering.stub.StreamUsageReport(
                pb.StreamUsageReportRequest(account_id="acct-r", from_date="2026-3-1", to_date="x"),
                timeout=10,
            )
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "from_date" in (raised.value.details() or "")


def test_a_cell_a_spreadsheet_would_run_is_exported_as_text(metering: Running) -> None:
    metering.add_account("acc-f", profile("acct-f"))
    chat: dict[str, Any] = {"contact": USER, "chat_id": '=HYPERLINK("http://x","y")'}
    answer = metering.record(
        status("acct-f", "t-1", "sent", "2026-03-10T04:05:00+00:00", session_id="-a.b.c", **chat)
    )
    assert answer.accepted_count == 1, answer.results
    chunks = metering.stub.ExportUsageReport(
        pb.ExportUsageReportRequest(
            account_id="acct-f", from_date="2026-03-10", to_date="2026-03-10"
        ),
        timeout=10,
    )
    text = b"".join(c.body.data for c in chunks).decode()
    row = text.splitlines()[1]
    assert row.startswith('"\'=HYPERLINK(""http://x"",""y"")",\'-a.b.c,')
    assert f",{USER}," in row  # a phone number stays as it is
