"""`billing report --account X --from D --to D [--channel C] [--output FILE]`: the usage CSV.

It asks the metering service (METERING_ADDRESS, default 127.0.0.1:50051) for
ExportUsageReport, as the operator running it (services/cli/access.py), with a deadline
(METERING_REPORT_DEADLINE_SECONDS, default 600), and writes the CSV to FILE (complete or not
at all) or to standard output; with --json, the rows as JSON objects (or, with --output, what
was written).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import grpc
from billing.metering.v1 import metering_service_pb2 as pb
from billing.metering.v1 import metering_service_pb2_grpc as pb_grpc

from services.cli import access, common

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


def run(args: argparse.Namespace) -> common.Result | int:
    if args.to_date < args.from_date:
        raise common.CommandError("--to must not be before --from")
    address = args.env.text("METERING_ADDRESS", DEFAULT_ADDRESS)
    deadline_s = args.env.seconds("METERING_REPORT_DEADLINE_SECONDS", DEFAULT_DEADLINE_S)
    channel = access.channel(args.env, address, default_timeout_s=deadline_s)
    request = pb.ExportUsageReportRequest(
        account_id=args.account,
        from_date=args.from_date.isoformat(),
        to_date=args.to_date.isoformat(),
        channel_id=args.channel,
    )
    try:
        with channel:
            chunks = pb_grpc.MeteringServiceStub(channel).ExportUsageReport(request)
            if args.output:
                written = _write_file(Path(args.output), chunks)
                return common.Result({"output": args.output, "bytes": written}, [])
            if args.json:
                buffer = io.BytesIO()
                _write(buffer, chunks)
                rows = list(csv.DictReader(io.StringIO(buffer.getvalue().decode())))
                return common.Result({"account_id": args.account, "rows": rows})
            _write(sys.stdout.buffer, chunks)
            sys.stdout.flush()
            return common.EXIT_OK
    except grpc.RpcError as error:
        raise _command_error(error) from None
    except OSError as error:
        raise common.CommandError(
            f"cannot write {args.output}: {error.strerror}", common.EXIT_UNAVAILABLE
        ) from None


def _command_error(error: grpc.RpcError) -> common.CommandError:
    code = error.code() if isinstance(error, grpc.Call) else None
    detail = error.details() if isinstance(error, grpc.Call) else str(error)
    message = f"{detail} ({code.name if code else 'error'})"
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return common.CommandError(message, common.EXIT_USAGE, code.name)
    if code == grpc.StatusCode.NOT_FOUND:
        return common.not_found(message)
    return common.CommandError(message, common.EXIT_UNAVAILABLE, code.name if code else "")


def _write(out: BinaryIO, chunks: Any) -> int:
    written = 0
    for chunk in chunks:
        written += out.write(chunk.body.data)
    return written


def _write_file(path: Path, chunks: Any) -> int:
    """All or nothing: a failed export leaves no partial file behind."""
    folder = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=".report-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            written = _write(out, chunks)
        os.replace(temporary, path)
        return written
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None
