"""What the console's scenarios look at, created through the services' gRPC interfaces.

Only the bulk behind the render timings (10,000 invoices and 10,000 ledger entries) is written
straight into the services' own tables: through gRPC it would take minutes.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass

import grpc
import sqlalchemy as sa
from billing.common.v1 import category_pb2, money_pb2
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as inv
from billing.invoicing.v1 import invoicing_service_pb2_grpc as inv_grpc
from billing.metering.v1 import events_pb2
from billing.metering.v1 import metering_service_pb2 as met
from billing.metering.v1 import metering_service_pb2_grpc as met_grpc
from billing.wallet.v1 import account_pb2, authorise_pb2
from billing.wallet.v1 import wallet_service_pb2 as wal
from billing.wallet.v1 import wallet_service_pb2_grpc as wal_grpc
from google.protobuf import timestamp_pb2

from services.gateway.domain.access import Role
from services.invoicing.adapters import tables as invoicing_tables
from services.wallet.adapters import tables as wallet_tables
from tests.gateway.stack import Stack
from tests.harness.credentials import trusted_channel

PASSWORD = "console-pass-1234"
BULK = 10_000


def usd(micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code="USD", amount_micros=micros)


def stamp(moment: dt.datetime) -> timestamp_pb2.Timestamp:
    found = timestamp_pb2.Timestamp()
    found.FromDatetime(moment.astimezone(dt.UTC))
    return found


@dataclass
class Stubs:
    wallet: wal_grpc.WalletServiceStub
    invoicing: inv_grpc.InvoicingServiceStub
    metering: met_grpc.MeteringServiceStub
    channels: list[grpc.Channel]

    @classmethod
    def of(cls, stack: Stack) -> Stubs:
        opened = {name: trusted_channel(s.address) for name, s in stack.services.items()}
        return cls(
            wal_grpc.WalletServiceStub(opened["wallet"]),
            inv_grpc.InvoicingServiceStub(opened["invoicing"]),
            met_grpc.MeteringServiceStub(opened["metering"]),
            list(opened.values()),
        )

    def close(self) -> None:
        for channel in self.channels:
            channel.close()


@dataclass
class Seeded:
    account: str
    owner: str
    agent_without_billing: str
    open_invoice_number: str
    paid_invoice_number: str
    plan_name: str
    channel_phone: str
    big_account: str
    big_owner: str
    ops: OpsSeeded


def email(account: str, who: str) -> str:
    return f"{who}@{account}.example"


def seed(stack: Stack, database_urls: dict[str, str]) -> Seeded:
    account = f"acme{uuid.uuid4().hex[:6]}"
    stubs = Stubs.of(stack)
    try:
        _account(stack, stubs, account)
        users = {
            "owner": (Role.OWNER, True),
            "agent": (Role.AGENT, False),
            "admin": (Role.ADMIN, True),
        }
        for who, (role, billing) in users.items():
            stack.admin.add_user(email(account, who), PASSWORD, account, role, billing)
        phone = "+919812345678"
        _channels(stubs, account, phone)
        open_number, paid_number = _invoices(stubs, account)
        plan_name = _subscription(stubs, account)
        _money(stubs, account)
        record_usage(stubs, account)
        big = f"bulk{uuid.uuid4().hex[:6]}"
        _account(stack, stubs, big)
        stack.admin.add_user(email(big, "owner"), PASSWORD, big, Role.OWNER, True)
        bulk_invoices(database_urls["invoicing"], big, BULK)
        bulk_ledger(database_urls["wallet"], big, BULK)
        ops = seed_ops(stack, stubs, database_urls["wallet"])
    finally:
        stubs.close()
    return Seeded(
        account,
        email(account, "owner"),
        email(account, "agent"),
        open_number,
        paid_number,
        plan_name,
        phone,
        big,
        email(big, "owner"),
        ops=ops,
    )


def _account(stack: Stack, stubs: Stubs, account: str) -> None:
    profile = account_pb2.AccountProfile(
        account_id=account,
        display_name=account.title(),
        currency_code="USD",
        time_zone="UTC",
        business_country="IN",
        funding_mode=account_pb2.FUNDING_MODE_PREPAID,
        balance_scope=account_pb2.BALANCE_SCOPE_CHANNEL,
        price_list=account_pb2.PriceList(
            markup_basis_points=2000,
            fee_per_message_micros=1000,
            overrides=[
                account_pb2.PriceOverride(market="India", category="marketing", price_micros=15000)
            ],
        ),
    )
    stubs.wallet.CreateAccount(
        wal.CreateAccountRequest(profile=profile, idempotency_key=f"create-{account}"), timeout=10
    )
    stubs.invoicing.UpdateOrganization(
        inv.UpdateOrganizationRequest(
            account_id=account,
            organization=invoice_pb2.Organization(
                account_id=account,
                business_name=f"{account.title()} Retail Pvt Ltd",
                address="12 MG Road, Bengaluru",
                tax_id="29ABCDE1234F1Z5",
                billing_email=f"billing@{account}.example",
                country="IN",
            ),
            idempotency_key=f"org-{account}",
        ),
        timeout=10,
    )


def _channels(stubs: Stubs, account: str, phone: str) -> None:
    for channel, number in (("ch-main", phone), ("ch-support", "+919000011111")):
        stubs.wallet.RegisterChannel(
            wal.RegisterChannelRequest(
                account_id=account,
                channel_id=channel,
                display_phone_number=number,
                idempotency_key=f"reg-{channel}",
            ),
            timeout=10,
        )
    stubs.wallet.AddDays(
        wal.AddDaysRequest(account_id=account, days=90, reference="PD-1", idempotency_key="days"),
        timeout=10,
    )
    stubs.wallet.AllocateDays(
        wal.AllocateDaysRequest(
            account_id=account, channel_id="ch-support", days=30, idempotency_key="alloc"
        ),
        timeout=10,
    )


def _invoices(stubs: Stubs, account: str) -> tuple[str, str]:
    stubs.invoicing.SetPartnerContract(
        inv.SetPartnerContractRequest(account_id=account, price_per_channel_month=usd(20_000_000)),
        timeout=10,
    )
    open_invoice = stubs.invoicing.CreatePartnerDaysInvoice(
        inv.CreatePartnerDaysInvoiceRequest(
            account_id=account, channels=2, idempotency_key="partner-1"
        ),
        timeout=10,
    ).invoice
    receipt = stubs.invoicing.CreateTopUpReceipt(
        inv.CreateTopUpReceiptRequest(
            account_id=account,
            top_up_id="tu-1",
            amount=usd(100_000_000),
            fee=usd(2_000_000),
        ),
        timeout=10,
    ).invoice
    stubs.invoicing.AddPaymentMethod(
        inv.AddPaymentMethodRequest(
            account_id=account,
            payment_method=invoice_pb2.PaymentMethod(
                kind=invoice_pb2.PAYMENT_METHOD_KIND_CARD,
                brand="visa",
                last4="4242",
                exp_month=12,
                exp_year=2031,
                provider_token="tok_visa",
            ),
            idempotency_key="card-1",
        ),
        timeout=10,
    )
    stubs.invoicing.AddPaymentMethod(
        inv.AddPaymentMethodRequest(
            account_id=account,
            payment_method=invoice_pb2.PaymentMethod(
                kind=invoice_pb2.PAYMENT_METHOD_KIND_CARD,
                brand="mastercard",
                last4="5555",
                exp_month=3,
                exp_year=2030,
                provider_token="tok_mastercard",
            ),
            idempotency_key="card-2",
        ),
        timeout=10,
    )
    return open_invoice.number, receipt.number


def _subscription(stubs: Stubs, account: str) -> str:
    plan_id = f"growth-{account}"
    stubs.invoicing.CreatePlan(
        inv.CreatePlanRequest(
            plan=invoice_pb2.Plan(
                plan_id=plan_id,
                name="Growth monthly",
                monthly_fee=usd(49_000_000),
                included_active_users=1000,
                price_per_extra_user=usd(50_000),
            )
        ),
        timeout=10,
    )
    start = dt.date.today().replace(day=10) - dt.timedelta(days=31)
    stubs.invoicing.CreateSubscription(
        inv.CreateSubscriptionRequest(
            account_id=account,
            plan_id=plan_id,
            start_date=start.replace(day=10).isoformat(),
            idempotency_key=f"sub-{account}",
        ),
        timeout=10,
    )
    return "Growth monthly"


def _money(stubs: Stubs, account: str) -> None:
    for channel, micros in (("ch-main", 75_000_000), ("ch-support", 25_000_000)):
        stubs.wallet.TopUp(
            wal.TopUpRequest(
                account_id=account,
                channel_id=channel,
                amount=usd(micros),
                idempotency_key=f"top-up-{channel}",
                payment_reference=f"seed-{channel}",
            ),
            timeout=10,
        )
    stubs.wallet.GrantCredit(
        wal.GrantCreditRequest(
            account_id=account,
            amount=usd(10_000_000),
            expire_time=stamp(dt.datetime.now(dt.UTC) + dt.timedelta(days=180)),
            applies_to=["notifications_invoice"],
            reason="Welcome credit",
            idempotency_key="credit-1",
        ),
        timeout=10,
    )


def record_usage(stubs: Stubs, account: str) -> None:
    """Template messages and replies over the last days, once metering knows the account."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    events = []
    for day in range(5):
        at = now - dt.timedelta(days=day, hours=1)
        for n in range(day + 2):
            contact = f"+9198100{day:02d}{n:03d}"
            message_id = f"wamid-{day}-{n}"
            for state in (events_pb2.MESSAGE_STATUS_SENT, events_pb2.MESSAGE_STATUS_DELIVERED):
                events.append(
                    events_pb2.MessageEvent(
                        account_id=account,
                        channel_id="ch-main",
                        contact=contact,
                        occur_time=stamp(at + dt.timedelta(minutes=n)),
                        chat_id=f"chat-{day}-{n}",
                        session_id=f"{account}.sales.ch-main",
                        status=events_pb2.OutboundStatus(
                            message_id=message_id,
                            status=state,
                            is_template=True,
                            category=category_pb2.CATEGORY_MARKETING,
                            pricing=events_pb2.Pricing(
                                billable=True,
                                pricing_model=category_pb2.PRICING_MODEL_PER_MESSAGE,
                                type=category_pb2.PRICING_TYPE_REGULAR,
                                category=category_pb2.CATEGORY_MARKETING,
                            ),
                        ),
                    )
                )
    deadline = time.monotonic() + 30
    while True:
        answer = stubs.metering.RecordEvents(met.RecordEventsRequest(events=events), timeout=10)
        if answer.rejected_count == 0:
            return
        if time.monotonic() > deadline:
            reasons = {result.error for result in answer.results if result.error}
            raise RuntimeError(f"metering rejected the seed events: {sorted(reasons)[:3]}")
        time.sleep(0.2)


def bulk_invoices(database_url: str, account: str, count: int) -> None:
    """count paid top-up receipts, written in one transaction into invoicing's tables."""
    engine = sa.create_engine(database_url)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=count // 20)
    rows = [
        {
            "invoice_id": f"bulk-{account}-{n:05d}",
            "account_id": account,
            "kind": "top_up_receipt",
            "status": "paid",
            "source_reference": f"bulk-{n}",
            "currency_code": "USD",
            "issuer_id": "default",
            "series": "RCT",
            "number": f"BULK-{account[-6:]}-{n:05d}",
            "subtotal_micros": 10_000_000,
            "tax_rate_basis_points": 0,
            "tax_micros": 0,
            "total_micros": 10_000_000,
            "credits_applied_micros": 0,
            "credited_micros": 0,
            "paid_micros": 10_000_000,
            "issue_time": start + dt.timedelta(hours=n),
            "paid_time": start + dt.timedelta(hours=n),
            "reason": "",
            "days": 0,
            "payment_failure_reason": "",
            "issuer": "{}",
            "bill_to": "{}",
            "created_at": start + dt.timedelta(hours=n),
        }
        for n in range(count)
    ]
    with engine.begin() as connection:
        connection.execute(invoicing_tables.invoices.insert(), rows)
    engine.dispose()


def bulk_ledger(database_url: str, account: str, count: int) -> None:
    """count ledger legs (top-ups and their funding) in the wallet's SQL ledger."""
    engine = sa.create_engine(database_url)
    table = wallet_tables.ledger_entries
    now_ms = int(time.time() * 1000)
    rows = []
    for n in range(count):
        row = {
            "entry_id": f"bulk-{account}-{n:05d}",
            "transaction_id": f"bulk-{account}-{n // 2:05d}",
            "account_id": account,
            "ledger_account": f"customer:{account}:money:USD" if n % 2 else "funding:bulk:USD",
            "debit_micros": 0 if n % 2 else 1_000_000,
            "credit_micros": 1_000_000 if n % 2 else 0,
            "currency_code": "USD",
            "kind": "top_up",
            "reference": f"bulk-{n // 2}",
            "created_ms": now_ms - (count - n) * 60_000,
        }
        rows.append(row)
    with engine.begin() as connection:
        connection.execute(table.insert(), rows)
    engine.dispose()


# ---- Webhooks and the operator's view ---------------------------------------------------------
@dataclass
class OpsSeeded:
    # Zero funds: a campaign there is refused, which announces campaign.refused.
    hooks_account: str
    hooks_owner: str
    hooks_agent: str
    operator: str
    # The account the operator finds among BULK others and credits.
    target_account: str
    target_name: str


def seed_ops(stack: Stack, stubs: Stubs, wallet_url: str) -> OpsSeeded:
    run = uuid.uuid4().hex[:6]
    hooks = f"hooks{run}"
    _plain_account(stubs, hooks, f"Hooks {run}")
    stack.admin.add_user(email(hooks, "owner"), PASSWORD, hooks, Role.OWNER, True)
    stack.admin.add_user(email(hooks, "agent"), PASSWORD, hooks, Role.AGENT, True)
    target = f"northwind{run}"
    name = f"Northwind Traders {run}"
    _plain_account(stubs, target, name)
    operator = f"ops-{run}@provider.example"
    stack.admin.add_operator(operator, "Asha Operator", PASSWORD)
    bulk_accounts(wallet_url, target, BULK)
    return OpsSeeded(hooks, email(hooks, "owner"), email(hooks, "agent"), operator, target, name)


def _plain_account(stubs: Stubs, account: str, display_name: str) -> None:
    profile = account_pb2.AccountProfile(
        account_id=account,
        display_name=display_name,
        currency_code="USD",
        time_zone="UTC",
        business_country="IN",
        funding_mode=account_pb2.FUNDING_MODE_PREPAID,
        balance_scope=account_pb2.BALANCE_SCOPE_ACCOUNT,
    )
    stubs.wallet.CreateAccount(
        wal.CreateAccountRequest(profile=profile, idempotency_key=f"create-{account}"), timeout=10
    )


def bulk_accounts(database_url: str, like: str, count: int) -> None:
    """count accounts in the wallet's table, shaped like the account `like` (for searching
    among many: they hold no money and have no hot copy)."""
    engine = sa.create_engine(database_url)
    table = wallet_tables.accounts
    with engine.begin() as connection:
        model = connection.execute(sa.select(table).where(table.c.account_id == like)).mappings()
        shape = dict(model.one())
        rows = []
        for n in range(count):
            account_id = f"shop{n:05d}"
            name = f"Shop {n:05d} {('Retail', 'Foods', 'Travel', 'Health')[n % 4]}"
            profile = account_pb2.AccountProfile.FromString(shape["profile"])
            profile.account_id = account_id
            profile.display_name = name
            rows.append(
                {
                    **shape,
                    "account_id": account_id,
                    "profile": profile.SerializeToString(deterministic=True),
                    "search_name": name.casefold(),
                }
            )
        connection.execute(table.insert(), rows)
    engine.dispose()


def refuse_a_campaign(stubs: Stubs, account: str, batch_id: str) -> None:
    """A campaign the account cannot pay for: the wallet announces campaign.refused."""
    answer = stubs.wallet.AuthoriseBatch(
        authorise_pb2.AuthoriseBatchRequest(
            account_id=account,
            channel_id="chan-1",
            category=category_pb2.CATEGORY_MARKETING,
            is_template=True,
            mode=authorise_pb2.BATCH_MODE_ALL_OR_NOTHING,
            batch_id=batch_id,
            recipients=[
                authorise_pb2.BatchRecipient(recipient="+14155550123", message_id=f"{batch_id}-{n}")
                for n in range(3)
            ],
        ),
        timeout=10,
    )
    if answer.denied_count != 3:
        raise RuntimeError(f"the campaign was not refused: {answer}")
