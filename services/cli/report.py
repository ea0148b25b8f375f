"""`billing report --account X --from D --to D [--channel C] [--output FILE]`: the usage CSV.

It asks the metering service (METERING_ADDRESS, default 127.0.0.1:50051) for
ExportUsageReport, as the operator running it (services/cli/access.py), with a deadline
(METERING_REPORT_DEADLINE_SECONDS, default 600), and writes the CSV to FILE (complete or not
at all) or to standard output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import grpc
from billing.metering.v1 import metering_service_pb2 as pb
from billing.metering.v1 import metering_service_pb2_grpc as pb_grpc

from services.cli import access
from services.common.config import ConfigError, Env

DEFAULT_ADDRESS = "127.0.0.1:50051"
DEFAULT_DEADLINE_S = 600.0


def register(subparsers: Any) -> None:
    report = subparsers.add_parser("report", help="the usage report of an account, as CSV")
    report.add_argument("--account", required=True, help="the account id")
    report.add_argument("--from", dest="from_date", required=True, type=_date, help="YYYY-MM-DD")
    report.add_argument("--to", dest="to_date", required=True, type=_date, help="YYYY-MM-DD")
    report.add_argument("--channel", default="", help="one phone number (channel id) only")
    report.add_argument("--output", default="", help="write to this file instead of stdout")
    report.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.to_date < args.from_date:
        return _fail("--to must not be before --from", 2)
    env = Env()
    try:
        address = env.text("METERING_ADDRESS", DEFAULT_ADDRESS)
        deadline_s = env.seconds("METERING_REPORT_DEADLINE_SECONDS", DEFAULT_DEADLINE_S)
        channel = access.channel(env, address)
        metadata = access.operator_metadata(env)
    except ConfigError as error:
        return _fail(str(error), 2)
    request = pb.ExportUsageReportRequest(
        account_id=args.account,
        from_date=args.from_date.isoformat(),
        to_date=args.to_date.isoformat(),
        channel_id=args.channel,
    )
    try:
        with channel:
            chunks = pb_grpc.MeteringServiceStub(channel).ExportUsageReport(
                request, timeout=deadline_s, metadata=metadata
            )
            if args.output:
                _write_file(Path(args.output), chunks)
            else:
                _write(sys.stdout.buffer, chunks)
                sys.stdout.flush()
    except grpc.RpcError as error:
        code = error.code() if isinstance(error, grpc.Call) else None
        detail = error.details() if isinstance(error, grpc.Call) else str(error)
        exit_code = 2 if code == grpc.StatusCode.INVALID_ARGUMENT else 1
        return _fail(f"{detail} ({code.name if code else 'error'})", exit_code)
    except OSError as error:
        return _fail(f"cannot write {args.output}: {error.strerror}", 1)
    return 0


def _write(out: BinaryIO, chunks: Any) -> None:
    for chunk in chunks:
        out.write(chunk.body.data)


def _write_file(path: Path, chunks: Any) -> None:
    """All or nothing: a failed export leaves no partial file behind."""
    folder = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=".report-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            _write(out, chunks)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _fail(message: str, code: int) -> int:
    print(f"billing report: error: {message}", file=sys.stderr)
    return code
