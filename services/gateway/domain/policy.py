"""The access each transcoded RPC needs.

An RPC not listed here gets a safe default: reads (GET) need billing access, anything that
changes state is reserved to platform staff until it is classified here.
"""

from __future__ import annotations

from services.gateway.domain.access import Access

_INVOICING = "billing.invoicing.v1.InvoicingService"
_WALLET = "billing.wallet.v1.WalletService"
_NOTIFICATIONS = "billing.notifications.v1.NotificationsService"

RPC_ACCESS: dict[str, Access] = {
    f"{_INVOICING}.CreatePlan": Access.PLATFORM,
    f"{_INVOICING}.ChangeFundingMode": Access.PLATFORM,
    f"{_INVOICING}.ListPlans": Access.MEMBER,
    f"{_INVOICING}.GetPlan": Access.MEMBER,
    f"{_INVOICING}.CreateSubscription": Access.BILLING_WRITE,
    f"{_INVOICING}.CancelSubscription": Access.BILLING_WRITE,
    f"{_INVOICING}.CreatePartnerDaysInvoice": Access.BILLING_WRITE,
    f"{_INVOICING}.PayInvoice": Access.BILLING_WRITE,
    f"{_INVOICING}.IssueCreditNote": Access.PLATFORM,
    f"{_INVOICING}.AddPaymentMethod": Access.BILLING_WRITE,
    f"{_INVOICING}.SetDefaultPaymentMethod": Access.BILLING_WRITE,
    f"{_INVOICING}.UpdateOrganization": Access.BILLING_WRITE,
    # Customer billing-write: saving a card, adding funds by paying.
    f"{_INVOICING}.StartCardSetup": Access.BILLING_WRITE,
    f"{_INVOICING}.QuoteFunds": Access.BILLING_WRITE,
    f"{_INVOICING}.AddFunds": Access.BILLING_WRITE,
    # Operator-only: contract prices and tax.
    f"{_INVOICING}.SetPartnerContract": Access.PLATFORM,
    f"{_INVOICING}.SetTaxConfiguration": Access.PLATFORM,
    f"{_INVOICING}.GetTaxConfiguration": Access.PLATFORM,
    f"{_INVOICING}.SetAccountTaxStatus": Access.PLATFORM,
    f"{_WALLET}.CreateAccount": Access.PLATFORM,
    f"{_WALLET}.GetAccount": Access.MEMBER,
    f"{_WALLET}.UpdateAccount": Access.PLATFORM,
    f"{_WALLET}.AuthoriseBatch": Access.OPERATIONS,
    f"{_WALLET}.TopUp": Access.BILLING_WRITE,
    f"{_WALLET}.GrantCredit": Access.PLATFORM,
    f"{_WALLET}.RegisterChannel": Access.OPERATIONS,
    f"{_WALLET}.ListChannels": Access.MEMBER,
    f"{_WALLET}.AllocateDays": Access.BILLING_WRITE,
    f"{_WALLET}.DeleteChannel": Access.OPERATIONS,
    f"{_WALLET}.SetAutoRecharge": Access.BILLING_WRITE,
    # Webhook endpoints, their deliveries and replays: the owner and admins; agents nothing.
    **{
        f"{_NOTIFICATIONS}.{rpc}": Access.OPERATIONS
        for rpc in (
            "CreateEndpoint",
            "ListEndpoints",
            "GetEndpoint",
            "UpdateEndpoint",
            "DeleteEndpoint",
            "RotateEndpointSecret",
            "ListDeliveries",
            "GetDelivery",
            "ReplayDelivery",
            "ReplayFailedDeliveries",
        )
    },
}


def access_for(rpc_name: str, http_method: str) -> Access:
    listed = RPC_ACCESS.get(rpc_name)
    if listed is not None:
        return listed
    return Access.BILLING_READ if http_method == "GET" else Access.PLATFORM


def unclassified(rpc_names: list[str]) -> list[str]:
    return [name for name in rpc_names if name not in RPC_ACCESS]
