"""The real wallet and metering that invoicing calls: one pair per database kind for the whole
session, over gRPC, on their own redis-server. Accounts are opened in the wallet (which
announces them to metering); usage happens as it does in production: the wallet authorises the
sends, metering records the message events, and the wallet settles their charges."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from billing.common.v1 import money_pb2
from billing.metering.v1 import events_pb2
from billing.metering.v1 import metering_service_pb2 as metering_pb
from billing.metering.v1 import metering_service_pb2_grpc as metering_grpc
from billing.wallet.v1 import account_pb2, authorise_pb2, wallet_service_pb2_grpc
from billing.wallet.v1 import wallet_service_pb2 as wallet_pb

from services.common.config import Env
from services.common.grpc_server import App
from services.metering import bootstrap as metering_bootstrap
from services.wallet.bootstrap import assemble, serve
from tests.harness.credentials import trusted_channel
from tests.harness.redis_servers import RedisServer
from tests.harness.services import InProcessService
from tests.invoicing.switches import Switch
from tests.metering.helpers import CATEGORIES, inbound, stamp, status
from tests.wallet.conftest import DEADLINE_S, WalletUnderTest, wallet_env
from tests.wallet.helpers import in_seconds

USD = 1_000_000
CHANNEL = "chan-1"
CREDIT_LIMIT_MICROS = 10_000 * USD  # postpaid accounts: room for any test's sends
RECORD_BATCH = 1_000  # metering takes at most this many events a call
SETTLE_ROUNDS = 50  # bound on relay/settle/project passes until nothing moves
# Known to the wallet all session, for tests that leave the wallet and metering as they are;
# a test that moves money, days, credits or usage opens its own account (Backends.account).
STANDING_ACCOUNTS = ("acme", "partner", "globex")
_numbers = itertools.count(1)


def us_number(n: int) -> str:
    """A North American number: marketing 25,000 and utility 3,400 micros a message."""
    return f"+1212555{n:04d}"


@dataclass
class Backends:
    kind: str  # the database kind both run on: sqlite or postgresql
    wallet: WalletUnderTest
    metering: metering_grpc.MeteringServiceStub
    wired_metering: metering_bootstrap.Metering
    metering_address: str
    wallet_switch: Switch
    metering_switch: Switch

    def account(self, name: str, **profile: object) -> str:
        """A new account in the wallet (postpaid unless told), known to metering."""
        account_id = f"{name}-{next(_numbers)}"
        fields = dict(profile)
        if "funding_mode" not in fields:
            fields["funding_mode"] = account_pb2.FUNDING_MODE_POSTPAID
            fields["credit_limit_micros"] = CREDIT_LIMIT_MICROS
        self.wallet.create_account(account_id, **fields)
        self.announce()
        return account_id

    def grant_credit(self, account_id: str, micros: int) -> str:
        """Credit the wallet grants towards notifications invoices; its id."""
        return self.wallet.stub.GrantCredit(
            wallet_pb.GrantCreditRequest(
                account_id=account_id,
                amount=money_pb2.Money(currency_code="USD", amount_micros=micros),
                expire_time=in_seconds(30 * 86_400),
                applies_to=["notifications_invoice"],
                idempotency_key=f"credit-{next(_numbers)}",
            ),
            timeout=DEADLINE_S,
        ).credit.credit_id

    def announce(self) -> None:
        """The wallet's outbox publishes accounts; metering's consumer takes them in."""
        while self.wallet.wallet.outbox.step():
            pass
        self.wired_metering.accounts_consumer.drain()

    def deliver(
        self,
        account_id: str,
        day: dt.date,
        count: int,
        category: str = "marketing",
        contacts: Sequence[str] = (),
    ) -> None:
        """`count` template messages to US numbers at noon UTC on `day`: authorised by the
        wallet, delivered as metering records them, their charges settled by the wallet."""
        at = dt.datetime.combine(day, dt.time(12), dt.UTC).isoformat()
        numbers = contacts or [us_number(n) for n in range(count)]
        sends = [(f"m-{next(_numbers)}", numbers[n % len(numbers)]) for n in range(count)]
        authorised = self.wallet.stub.AuthoriseBatch(
            authorise_pb2.AuthoriseBatchRequest(
                account_id=account_id,
                channel_id=CHANNEL,
                category=CATEGORIES[category],  # type: ignore[arg-type]
                is_template=True,
                mode=authorise_pb2.BATCH_MODE_ALL_OR_NOTHING,
                recipients=[
                    authorise_pb2.BatchRecipient(recipient=c, message_id=m) for m, c in sends
                ],
                batch_id=f"batch-{next(_numbers)}",
                send_time=stamp(at),
            ),
            timeout=DEADLINE_S,
        )
        if authorised.allowed_count != count:
            raise AssertionError(f"the wallet allowed {authorised.allowed_count} of {count}")
        self.record(
            status(account_id, m, "delivered", at, contact=c, channel=CHANNEL, category=category)
            for m, c in sends
        )

    def contacts(self, account_id: str, day: dt.date, count: int, first: int = 0) -> list[str]:
        """`count` people writing in on `day` (free): each an active user that day."""
        at = dt.datetime.combine(day, dt.time(12), dt.UTC).isoformat()
        numbers = [us_number(first + n) for n in range(count)]
        self.record(
            inbound(account_id, f"in-{next(_numbers)}", at, contact=c, channel=CHANNEL)
            for c in numbers
        )
        return numbers

    def record(self, events: Iterable[events_pb2.MessageEvent]) -> None:
        """Metering records the events (in the batches it takes); their charges are settled."""
        pending = list(events)
        for start in range(0, len(pending), RECORD_BATCH):
            answer = self.metering.RecordEvents(
                metering_pb.RecordEventsRequest(events=pending[start : start + RECORD_BATCH]),
                timeout=DEADLINE_S,
            )
            if answer.rejected_count:
                raise AssertionError(f"metering rejected events: {answer.results}")
        self.settle()

    def settle(self) -> None:
        """Metering's outbox to its streams, the wallet's charges loop, then projection."""
        for _ in range(SETTLE_ROUNDS):
            moved = self.wired_metering.relay.drain()
            self.wired_metering.relay.settle()
            applied = 0
            while done := self.wallet.wallet.loops["charges"].step():
                applied += done
            projected = self.wallet.wallet.projector.drain()
            if not (moved or applied or projected):
                return
        raise AssertionError(f"charges still moving after {SETTLE_ROUNDS} rounds")


def serve_backends(kind: str, wallet_url: str, metering_url: str) -> Iterator[Backends]:
    """Both services on their databases (of one kind); the wallet is checked at the end."""
    redis = RedisServer().start()
    wallet_switch, metering_switch = Switch("wallet"), Switch("metering")
    env = wallet_env(wallet_url, redis.url)
    wallet = assemble(Env(env))
    wallet_service = InProcessService(
        "wallet", lambda _env: wallet_switch.serve(serve(wallet)), env
    ).start()
    wired: list[metering_bootstrap.Metering] = []

    def build_metering(metering_env: Env) -> App:
        wired.append(metering_bootstrap.wire(metering_env))
        return metering_switch.serve(wired[0].app)

    metering_service = InProcessService(
        "metering",
        build_metering,
        {
            "DATABASE_URL": metering_url,
            "REDIS_URL": redis.url,
            "METERING_WORKERS_ENABLED": "false",
            "METERING_CONSUMER_NAME": "invoicing-tests",
        },
    ).start()
    channels = [trusted_channel(s.address) for s in (wallet_service, metering_service)]
    under_test = WalletUnderTest(
        wallet, wallet_service, wallet_service_pb2_grpc.WalletServiceStub(channels[0]), channels[0]
    )
    backends = Backends(
        kind,
        under_test,
        metering_grpc.MeteringServiceStub(channels[1]),
        wired[0],
        metering_service.address,
        wallet_switch,
        metering_switch,
    )
    for name in STANDING_ACCOUNTS:
        under_test.create_account(
            name,
            funding_mode=account_pb2.FUNDING_MODE_POSTPAID,
            credit_limit_micros=CREDIT_LIMIT_MICROS,
        )
    backends.announce()
    try:
        yield backends
        under_test.check()
    finally:
        for channel in channels:
            channel.close()
        metering_service.stop()
        wallet_service.stop()
        redis.stop()
