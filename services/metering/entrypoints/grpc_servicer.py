"""gRPC entrypoint of metering: translate requests, hand them to the use cases."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from billing.common.v1 import money_pb2
from billing.metering.v1 import metering_service_pb2 as pb
from billing.metering.v1 import metering_service_pb2_grpc as pb_grpc
from billing.metering.v1 import usage_pb2
from google.api import httpbody_pb2
from google.protobuf import timestamp_pb2

from services.common import idempotency, validation
from services.metering.adapters.recorded import to_response
from services.metering.domain.report import csv_chunks
from services.metering.domain.usage import UsageTotals
from services.metering.entrypoints.translate import events_from_request
from services.metering.service.charges import ChargeSummary
from services.metering.service.commands import RecordEvents
from services.metering.service.ingest import Ingestion
from services.metering.service.report import UsageReport
from services.metering.service.usage import Usage, parse_month

CSV_CONTENT_TYPE = "text/csv"


class MeteringServicer(pb_grpc.MeteringServiceServicer):
    def __init__(
        self, ingestion: Ingestion, usage: Usage, report: UsageReport, charges: ChargeSummary
    ) -> None:
        self._ingestion = ingestion
        self._usage = usage
        self._report = report
        self._charges = charges

    def RecordEvents(
        self, request: pb.RecordEventsRequest, context: grpc.ServicerContext
    ) -> pb.RecordEventsResponse:
        key = request.idempotency_key
        if key:
            validation.text(key, "idempotency_key", max_length=idempotency.MAX_KEY_LENGTH)
        events, rejections = events_from_request(list(request.events))
        command = RecordEvents(
            events, rejections, key, idempotency.fingerprint(request) if key else ""
        )
        return to_response(self._ingestion.record(command))

    def GetDailyUsage(
        self, request: pb.GetDailyUsageRequest, context: grpc.ServicerContext
    ) -> pb.GetDailyUsageResponse:
        account_id, channel_id = _scope(request.account_id, request.channel_id)
        start, end = validation.date_range(request.from_date, request.to_date)
        account, days, active = self._usage.daily(account_id, channel_id, start, end)
        return pb.GetDailyUsageResponse(
            days=[
                usage_pb2.DailyUsage(
                    date=day.isoformat(),
                    channel_id=channel_id,
                    notifications_sent=totals.notifications_sent,
                    billable_messages=totals.paid_messages,
                    free_messages=totals.free_messages,
                    unique_users_added=totals.unique_users_added,
                    categories=_categories(totals),
                    charges=_money(account.currency, totals.charges_micros),
                )
                for day, totals in days
            ],
            active_users=active,
        )

    def SummariseCharges(
        self, request: pb.SummariseChargesRequest, context: grpc.ServicerContext
    ) -> pb.SummariseChargesResponse:
        account_id, channel_id = _scope(request.account_id, request.channel_id)
        start, end = validation.date_range(request.from_date, request.to_date)
        account, lines = self._charges.lines(account_id, channel_id, start, end)
        currency = account.currency
        return pb.SummariseChargesResponse(
            lines=[
                usage_pb2.ChargeLine(
                    category=line.category,
                    market=line.market,
                    unit_price=_money(currency, line.unit_price_micros),
                    quantity=line.quantity,
                    amount=_money(currency, line.amount_micros),
                )
                for line in lines
            ],
            total=_money(currency, sum(line.amount_micros for line in lines)),
            charged_messages=sum(line.quantity for line in lines),
        )

    def GetMonthlyUsage(
        self, request: pb.GetMonthlyUsageRequest, context: grpc.ServicerContext
    ) -> pb.GetMonthlyUsageResponse:
        account_id, channel_id = _scope(request.account_id, request.channel_id)
        first = parse_month(request.from_month, "from_month")
        last = parse_month(request.to_month, "to_month")
        account, months = self._usage.monthly(account_id, channel_id, first, last)
        return pb.GetMonthlyUsageResponse(
            months=[
                usage_pb2.MonthlyUsage(
                    month=month,
                    channel_id=channel_id,
                    all_messages=totals.paid_messages + totals.free_messages,
                    free_messages=totals.free_messages,
                    paid_messages=totals.paid_messages,
                    all_conversations=totals.paid_conversations + totals.free_conversations,
                    free_conversations=totals.free_conversations,
                    paid_conversations=totals.paid_conversations,
                    categories=_categories(totals),
                    charges=_money(account.currency, totals.charges_micros),
                    notifications_sent=totals.notifications_sent,
                    active_users=active,
                )
                for month, totals, active in months
            ]
        )

    def GetApproximateCharges(
        self, request: pb.GetApproximateChargesRequest, context: grpc.ServicerContext
    ) -> pb.GetApproximateChargesResponse:
        account_id, channel_id = _scope(request.account_id, request.channel_id)
        as_of = validation.date(request.as_of_date, "as_of_date") if request.as_of_date else None
        if request.month:
            parse_month(request.month, "month")
        account, month, spent, projected, elapsed, month_days = self._usage.approximate_charges(
            account_id, channel_id, request.month, as_of
        )
        return pb.GetApproximateChargesResponse(
            month=month,
            month_to_date=_money(account.currency, spent),
            projected_month_end=_money(account.currency, projected),
            days_elapsed=elapsed,
            days_in_month=month_days,
        )

    def GetUsageTotals(
        self, request: pb.GetUsageTotalsRequest, context: grpc.ServicerContext
    ) -> pb.GetUsageTotalsResponse:
        account_id, channel_id = _scope(request.account_id, request.channel_id)
        start, end = validation.date_range(request.from_date, request.to_date)
        account, totals, active = self._usage.totals(account_id, channel_id, start, end)
        return pb.GetUsageTotalsResponse(
            from_date=start.isoformat(),
            to_date=end.isoformat(),
            notifications_sent=totals.notifications_sent,
            billable_messages=totals.paid_messages,
            free_messages=totals.free_messages,
            unique_users_added=totals.unique_users_added,
            active_users=active,
            categories=_categories(totals),
            charges=_money(account.currency, totals.charges_micros),
        )

    def CountActiveUsers(
        self, request: pb.CountActiveUsersRequest, context: grpc.ServicerContext
    ) -> pb.CountActiveUsersResponse:
        account_id, channel_id = _scope(request.account_id, request.channel_id)
        start, end = validation.date_range(request.from_date, request.to_date)
        count = self._usage.active_users(account_id, channel_id, start, end)
        return pb.CountActiveUsersResponse(active_users=count)

    def StreamUsageReport(
        self, request: pb.StreamUsageReportRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.StreamUsageReportResponse]:
        account_id, channel_id = _scope(request.account_id, request.channel_id)
        start, end = validation.date_range(request.from_date, request.to_date)
        for row in self._report.rows(account_id, channel_id, start, end):
            seconds, micros = divmod(row.occur_us, 1_000_000)
            yield pb.StreamUsageReportResponse(
                row=usage_pb2.UsageReportRow(
                    chat_id=row.chat_id,
                    session_id=row.session_id,
                    occur_time=timestamp_pb2.Timestamp(seconds=seconds, nanos=micros * 1_000),
                    customer_phone=row.customer_phone,
                    template=row.template,
                    destination=row.destination,
                    message_id=row.message_id,
                    channel_id=row.channel_id,
                    direction=row.direction,
                )
            )

    def ExportUsageReport(
        self, request: pb.ExportUsageReportRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.ExportUsageReportResponse]:
        account_id, channel_id = _scope(request.account_id, request.channel_id)
        start, end = validation.date_range(request.from_date, request.to_date)
        rows = self._report.rows(account_id, channel_id, start, end)
        for chunk in csv_chunks(rows):
            yield pb.ExportUsageReportResponse(
                body=httpbody_pb2.HttpBody(content_type=CSV_CONTENT_TYPE, data=chunk)
            )


def _scope(account_id: str, channel_id: str) -> tuple[str, str]:
    return (
        validation.require_id(account_id, "account_id"),
        validation.optional_id(channel_id, "channel_id"),
    )


def _money(currency: str, micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency, amount_micros=micros)


def _categories(totals: UsageTotals) -> list[usage_pb2.CategoryCount]:
    return [
        usage_pb2.CategoryCount(
            category=name,
            free_messages=counts.free_messages,
            paid_messages=counts.paid_messages,
            free_conversations=counts.free_conversations,
            paid_conversations=counts.paid_conversations,
        )
        for name, counts in sorted(totals.categories.items())
    ]
