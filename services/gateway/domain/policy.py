"""The authority table: who may call each transcoded RPC, and the fields only operators set.

One row per RPC. `access` is who may call it at all (operators may call everything). Where
the rule depends on the request, a row names fields:
- operator_acts: setting one makes the call an operator's act (marking an invoice paid by
  transfer); a customer gets 403 PERMISSION_DENIED naming the field;
- operator_fields: values only the provider sets (a price, a tax rate); a customer gets 400
  INVALID_ARGUMENT naming the field.
Operators give a reason for every change (400 naming `reason` without one).

A new annotated RPC must get a row here (the gateway logs it as unclassified and treats it as
operator-only for changes, billing-read for GET, until it has one; a test fails meanwhile), and
its service must list it in its own caller rules (services/<name>/entrypoints/access.py).
The README's authority table is authority_table(): `python -m services.gateway.domain.policy`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from services.common.errors import InvalidArgument, PermissionDenied
from services.gateway.domain.access import Access, Principal, allows

MUTATING: frozenset[str] = frozenset(("POST", "PUT", "PATCH", "DELETE"))
_INVOICING = "billing.invoicing.v1.InvoicingService"
_WALLET = "billing.wallet.v1.WalletService"
_METERING = "billing.metering.v1.MeteringService"
_NOTIFICATIONS = "billing.notifications.v1.NotificationsService"


@dataclass(frozen=True)
class Rule:
    access: Access
    # For the README: what the RPC does, in a few words.
    what: str
    operator_fields: tuple[str, ...] = ()
    operator_acts: tuple[str, ...] = ()


A = Access
RPC_RULES: dict[str, Rule] = {
    # Reading: members see the account and its channels; billing readers the rest.
    f"{_WALLET}.GetAccount": Rule(A.MEMBER, "read the account"),
    f"{_WALLET}.ListChannels": Rule(A.MEMBER, "list channels and their days"),
    f"{_INVOICING}.ListPlans": Rule(A.MEMBER, "list plans"),
    f"{_INVOICING}.GetPlan": Rule(A.MEMBER, "read a plan"),
    f"{_WALLET}.GetBalance": Rule(A.BILLING_READ, "read balances"),
    f"{_WALLET}.ListTopUps": Rule(A.BILLING_READ, "list top-ups"),
    f"{_WALLET}.ListLedgerEntries": Rule(A.BILLING_READ, "list ledger entries"),
    f"{_WALLET}.ListCredits": Rule(A.BILLING_READ, "list credits"),
    f"{_WALLET}.GetAutoRecharge": Rule(A.BILLING_READ, "read auto-recharge"),
    f"{_WALLET}.GetFundingPeriods": Rule(A.BILLING_READ, "funding mode periods"),
    f"{_WALLET}.ListRecharges": Rule(A.BILLING_READ, "list auto-recharge attempts"),
    f"{_WALLET}.GetPriceList": Rule(A.BILLING_READ, "the account's prices"),
    f"{_WALLET}.QuotePrice": Rule(A.BILLING_READ, "price one message"),
    f"{_INVOICING}.GetPartnerContract": Rule(
        A.BILLING_READ, "read the partner's contract price and billing"
    ),
    f"{_INVOICING}.GetFunding": Rule(A.BILLING_READ, "read an add-funds payment"),
    f"{_INVOICING}.ListFundings": Rule(A.BILLING_READ, "list add-funds payments"),
    f"{_INVOICING}.EstimateFundsNeeded": Rule(A.BILLING_READ, "balance needed for N days"),
    f"{_INVOICING}.GetAccountTaxStatus": Rule(A.BILLING_READ, "read the account's tax status"),
    f"{_INVOICING}.GetSubscription": Rule(A.BILLING_READ, "read a subscription"),
    f"{_INVOICING}.ListSubscriptions": Rule(A.BILLING_READ, "list subscriptions"),
    f"{_INVOICING}.ListInvoices": Rule(A.BILLING_READ, "list invoices"),
    f"{_INVOICING}.GetInvoice": Rule(A.BILLING_READ, "read an invoice"),
    f"{_INVOICING}.DownloadInvoicePdf": Rule(A.BILLING_READ, "download an invoice PDF"),
    f"{_INVOICING}.ListPaymentMethods": Rule(A.BILLING_READ, "list payment methods"),
    f"{_INVOICING}.GetOrganization": Rule(A.BILLING_READ, "read organization details"),
    f"{_METERING}.GetDailyUsage": Rule(A.BILLING_READ, "daily usage"),
    f"{_METERING}.GetMonthlyUsage": Rule(A.BILLING_READ, "monthly usage"),
    f"{_METERING}.GetApproximateCharges": Rule(A.BILLING_READ, "approximate charges"),
    f"{_METERING}.SummariseCharges": Rule(A.BILLING_READ, "charges per day and category"),
    f"{_METERING}.GetUsageTotals": Rule(A.BILLING_READ, "usage totals over a range"),
    f"{_METERING}.CountActiveUsers": Rule(A.BILLING_READ, "monthly active users"),
    f"{_METERING}.StreamUsageReport": Rule(A.BILLING_READ, "usage report"),
    f"{_METERING}.ExportUsageReport": Rule(A.BILLING_READ, "usage report as CSV"),
    # Messaging operations: owners and admins.
    f"{_WALLET}.AuthoriseBatch": Rule(A.OPERATIONS, "authorise a campaign"),
    f"{_WALLET}.RegisterChannel": Rule(A.OPERATIONS, "register a channel"),
    f"{_WALLET}.DeleteChannel": Rule(A.OPERATIONS, "delete a channel (its days return)"),
    # Webhook endpoints, their deliveries and replays: owners and admins; agents nothing.
    f"{_NOTIFICATIONS}.ListEventTypes": Rule(
        A.OPERATIONS, "the event types an endpoint may subscribe to"
    ),
    f"{_NOTIFICATIONS}.CreateEndpoint": Rule(A.OPERATIONS, "add a webhook endpoint"),
    f"{_NOTIFICATIONS}.ListEndpoints": Rule(A.OPERATIONS, "list webhook endpoints"),
    f"{_NOTIFICATIONS}.GetEndpoint": Rule(A.OPERATIONS, "read a webhook endpoint"),
    f"{_NOTIFICATIONS}.UpdateEndpoint": Rule(A.OPERATIONS, "change a webhook endpoint"),
    f"{_NOTIFICATIONS}.DeleteEndpoint": Rule(A.OPERATIONS, "delete a webhook endpoint"),
    f"{_NOTIFICATIONS}.RotateEndpointSecret": Rule(A.OPERATIONS, "rotate an endpoint's secret"),
    f"{_NOTIFICATIONS}.ListDeliveries": Rule(A.OPERATIONS, "list webhook deliveries"),
    f"{_NOTIFICATIONS}.GetDelivery": Rule(A.OPERATIONS, "read a webhook delivery"),
    f"{_NOTIFICATIONS}.ReplayDelivery": Rule(A.OPERATIONS, "replay a delivery"),
    f"{_NOTIFICATIONS}.ReplayFailedDeliveries": Rule(A.OPERATIONS, "replay failed deliveries"),
    # Paying and managing what is paid for: owners, and admins with billing.
    f"{_WALLET}.SetAutoRecharge": Rule(A.BILLING_WRITE, "set auto-recharge"),
    f"{_WALLET}.AllocateDays": Rule(A.BILLING_WRITE, "allocate days to a channel"),
    f"{_INVOICING}.AddPaymentMethod": Rule(A.BILLING_WRITE, "add a card"),
    f"{_INVOICING}.StartCardSetup": Rule(A.BILLING_WRITE, "start saving a card"),
    f"{_INVOICING}.QuoteFunds": Rule(A.BILLING_WRITE, "quote adding funds (amount, fee)"),
    f"{_INVOICING}.AddFunds": Rule(A.BILLING_WRITE, "add funds by paying with a card"),
    f"{_INVOICING}.SetDefaultPaymentMethod": Rule(A.BILLING_WRITE, "set the default card"),
    f"{_INVOICING}.RemovePaymentMethod": Rule(
        A.BILLING_WRITE, "remove a card (not the default one while auto-recharge is on)"
    ),
    f"{_INVOICING}.CreateSubscription": Rule(A.BILLING_WRITE, "subscribe to a plan"),
    f"{_INVOICING}.CancelSubscription": Rule(A.BILLING_WRITE, "cancel a subscription"),
    f"{_INVOICING}.PayInvoice": Rule(
        A.BILLING_WRITE,
        "pay an open invoice by card; by transfer: operators",
        operator_acts=("transfer_reference",),
    ),
    f"{_INVOICING}.UpdateOrganization": Rule(
        A.BILLING_WRITE,
        "edit organization details (tax: operators, by tax status)",
        operator_fields=("organization.tax_rate_basis_points",),
    ),
    f"{_INVOICING}.CreatePartnerDaysInvoice": Rule(
        A.BILLING_WRITE,
        "request channels or days at the contract price",
        operator_fields=("price_per_channel_month",),
    ),
    # The provider's acts: operators only.
    f"{_WALLET}.CreateAccount": Rule(A.OPERATOR, "create an account"),
    f"{_WALLET}.ListAccounts": Rule(A.OPERATOR, "find accounts by id or display name"),
    f"{_WALLET}.UpdateAccount": Rule(
        A.OPERATOR, "price lists, fees, markups, top-up fees, funding, suspension"
    ),
    f"{_WALLET}.TopUp": Rule(A.OPERATOR, "credit money without a card (a bank transfer)"),
    f"{_WALLET}.GrantCredit": Rule(A.OPERATOR, "grant promotional credit"),
    f"{_INVOICING}.CreatePlan": Rule(A.OPERATOR, "create a plan"),
    f"{_INVOICING}.IssueCreditNote": Rule(A.OPERATOR, "issue a credit note"),
    f"{_INVOICING}.RunBillingCycle": Rule(A.OPERATOR, "run billing cycles"),
    f"{_INVOICING}.ChangeFundingMode": Rule(
        A.OPERATOR, "switch who pays for messages, from the next billing cycle"
    ),
    f"{_INVOICING}.SetPartnerContract": Rule(
        A.OPERATOR, "set a partner's contract price and monthly billing"
    ),
    f"{_INVOICING}.GetTaxConfiguration": Rule(A.OPERATOR, "read the tax configuration"),
    f"{_INVOICING}.SetTaxConfiguration": Rule(A.OPERATOR, "configure tax"),
    f"{_INVOICING}.SetAccountTaxStatus": Rule(
        A.OPERATOR, "an account's tax status; confirm a country or tax id change"
    ),
}

# The gateway's own routes, for the README's table.
NATIVE_RULES: dict[str, Rule] = {
    "GET /v1/me": Rule(A.MEMBER, "who am I"),
    "GET /v1/accounts/{account_id}/teammates": Rule(A.TEAM, "list teammates"),
    "PUT /v1/accounts/{account_id}/teammates/{user_id}/billing-access": Rule(
        A.TEAM, "grant or revoke a teammate's billing access"
    ),
    "GET /v1/accounts/{account_id}/audit-entries": Rule(A.TEAM, "the account's audit log"),
    "GET /v1/audit-entries": Rule(A.OPERATOR, "every account's audit log"),
}


def rule_for(rpc_name: str, http_method: str) -> Rule:
    listed = RPC_RULES.get(rpc_name)
    if listed is not None:
        return listed
    if http_method == "GET":
        return Rule(Access.BILLING_READ, "unclassified read")
    return Rule(Access.OPERATOR, "unclassified change")


def access_for(rpc_name: str, http_method: str) -> Access:
    return rule_for(rpc_name, http_method).access


def unclassified(rpc_names: list[str]) -> list[str]:
    return [name for name in rpc_names if name not in RPC_RULES]


def check(principal: Principal, rule: Rule, given: Collection[str] = ()) -> None:
    """Raise PermissionDenied (403) or InvalidArgument (400) unless the principal may make
    this request; `given` holds the proto paths of the fields the request sets."""
    if not allows(principal, rule.access):
        raise PermissionDenied(f"this credential may not use {rule.access.value} routes")
    if principal.operator:
        return
    for name in rule.operator_acts:
        if name in given:
            raise PermissionDenied(f"{name}: only the provider's operators may do this", name)
    for name in rule.operator_fields:
        if name in given:
            raise InvalidArgument(name, "is set by the provider's operators only")


def needs_reason(principal: Principal, http_method: str) -> bool:
    """Operators give a reason for every change."""
    return principal.operator and http_method in MUTATING


def authority_table(routes: Mapping[str, str]) -> str:
    """The README's authority table, from the rules above; `routes` gives each RPC's route
    ("POST /v1/..." by RPC full name)."""
    who = {
        Access.MEMBER: "every member",
        Access.OPERATIONS: "owner, admin",
        Access.BILLING_READ: "owner; admin, agent with billing",
        Access.BILLING_WRITE: "owner; admin with billing",
        Access.TEAM: "owner",
        Access.OPERATOR: "operators only",
    }
    rows = [
        (routes.get(name, ""), name.rsplit(".", 1)[-1], rule) for name, rule in RPC_RULES.items()
    ]
    rows += [(route, "", rule) for route, rule in NATIVE_RULES.items()]
    rows.sort(key=lambda row: (list(Access).index(row[2].access), row[0]))
    lines = [
        "| route | RPC | what | customers who may | fields only operators set |",
        "|---|---|---|---|---|",
    ]
    for route, rpc, rule in rows:
        fields = [f"`{f}` (403)" for f in rule.operator_acts]
        fields += [f"`{f}` (400)" for f in rule.operator_fields]
        lines.append(
            f"| `{route}` | {f'`{rpc}`' if rpc else 'gateway'} | {rule.what} "
            f"| {who[rule.access]} | {', '.join(fields)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from services.gateway.bootstrap import contract_routes

    known = {r.rpc_name: f"{r.http_method} {r.template.text}" for r in contract_routes()}
    print(authority_table(known), end="")
