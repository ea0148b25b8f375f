"""gRPC handlers of the wallet: days per channel."""

from __future__ import annotations

import grpc
from billing.wallet.v1 import wallet_service_pb2 as pb

from services.wallet.entrypoints import day_requests
from services.wallet.entrypoints.handlers import Handlers


class DayHandlers(Handlers):
    def AddDays(
        self, request: pb.AddDaysRequest, context: grpc.ServicerContext
    ) -> pb.AddDaysResponse:
        return self._audit.around(
            "AddDays",
            request,
            lambda: day_requests.added(self._days.add(day_requests.add_days(request))),
            target=lambda _: request.reference,
        )

    def TakeBackDays(
        self, request: pb.TakeBackDaysRequest, context: grpc.ServicerContext
    ) -> pb.TakeBackDaysResponse:
        return self._audit.around(
            "TakeBackDays",
            request,
            lambda: day_requests.taken_back(
                self._days.take_back(day_requests.take_back_days(request))
            ),
            target=lambda _answer: request.reference,
        )

    def RegisterChannel(
        self, request: pb.RegisterChannelRequest, context: grpc.ServicerContext
    ) -> pb.RegisterChannelResponse:
        return self._audit.around(
            "RegisterChannel",
            request,
            lambda: day_requests.registered(
                self._days.register(day_requests.register_channel(request))
            ),
            target=lambda _answer: request.channel_id,
        )

    def ListChannels(
        self, request: pb.ListChannelsRequest, context: grpc.ServicerContext
    ) -> pb.ListChannelsResponse:
        return day_requests.channel_page(self._days.list(day_requests.list_channels(request)))

    def AllocateDays(
        self, request: pb.AllocateDaysRequest, context: grpc.ServicerContext
    ) -> pb.AllocateDaysResponse:
        return self._audit.around(
            "AllocateDays",
            request,
            lambda: day_requests.allocated(
                self._days.allocate(day_requests.allocate_days(request))
            ),
            target=lambda _answer: request.channel_id,
        )

    def DeleteChannel(
        self, request: pb.DeleteChannelRequest, context: grpc.ServicerContext
    ) -> pb.DeleteChannelResponse:
        return self._audit.around(
            "DeleteChannel",
            request,
            lambda: day_requests.deleted(self._days.delete(day_requests.delete_channel(request))),
            target=lambda _answer: request.channel_id,
        )

    def CountChannelDays(
        self, request: pb.CountChannelDaysRequest, context: grpc.ServicerContext
    ) -> pb.CountChannelDaysResponse:
        counted = self._days.count_channel_days(day_requests.count_channel_days(request))
        return day_requests.channel_day_count(counted)
