"""Who may call each invoicing RPC: internal callers by name, operators and customers by the
principal the gateway signed. Where the rule depends on a request's fields (paying by
transfer), the servicer checks the principal too. An RPC not listed here is refused."""

from __future__ import annotations

from services.common.service_auth import (
    CUSTOMERS_AND_OPERATORS,
    GATEWAY,
    NOTIFICATIONS,
    OPERATORS,
    Allow,
    allow,
)

RULES: dict[str, Allow] = {
    "CreatePlan": OPERATORS,
    "ListPlans": CUSTOMERS_AND_OPERATORS,
    "GetPlan": CUSTOMERS_AND_OPERATORS,
    "CreateSubscription": CUSTOMERS_AND_OPERATORS,
    "GetSubscription": CUSTOMERS_AND_OPERATORS,
    "ListSubscriptions": CUSTOMERS_AND_OPERATORS,
    "CancelSubscription": CUSTOMERS_AND_OPERATORS,
    "RunBillingCycle": OPERATORS,
    # Who pays for messages, from the next cycle (the wallet's funding terms, on its behalf).
    "ChangeFundingMode": OPERATORS,
    "CreateTopUpReceipt": OPERATORS,
    # A partner's price per channel-month is the provider's; days are invoiced at it.
    "SetPartnerContract": OPERATORS,
    "GetPartnerContract": CUSTOMERS_AND_OPERATORS,
    "CreatePartnerDaysInvoice": CUSTOMERS_AND_OPERATORS,
    "ListInvoices": CUSTOMERS_AND_OPERATORS,
    "GetInvoice": CUSTOMERS_AND_OPERATORS,
    # Notifications attaches invoices to the billing contact's emails.
    "DownloadInvoicePdf": allow(NOTIFICATIONS, operator=True, customer=True),
    # By card: customers and operators; marked paid by transfer: operators only.
    "PayInvoice": CUSTOMERS_AND_OPERATORS,
    "IssueCreditNote": OPERATORS,
    "AddPaymentMethod": CUSTOMERS_AND_OPERATORS,
    "StartCardSetup": CUSTOMERS_AND_OPERATORS,
    "ListPaymentMethods": CUSTOMERS_AND_OPERATORS,
    "SetDefaultPaymentMethod": CUSTOMERS_AND_OPERATORS,
    "RemovePaymentMethod": CUSTOMERS_AND_OPERATORS,
    # Money in by paying: a quote, then the charge; the wallet is credited once it succeeded.
    "QuoteFunds": CUSTOMERS_AND_OPERATORS,
    "AddFunds": CUSTOMERS_AND_OPERATORS,
    "GetFunding": CUSTOMERS_AND_OPERATORS,
    "ListFundings": CUSTOMERS_AND_OPERATORS,
    "EstimateFundsNeeded": CUSTOMERS_AND_OPERATORS,
    # The provider's webhook events, forwarded by the gateway (trusted for their signature).
    "HandlePaymentEvent": allow(GATEWAY),
    # Tax is the provider's: its configuration, and each account's status.
    "GetTaxConfiguration": OPERATORS,
    "SetTaxConfiguration": OPERATORS,
    "GetAccountTaxStatus": CUSTOMERS_AND_OPERATORS,
    "SetAccountTaxStatus": OPERATORS,
    "GetOrganization": allow(NOTIFICATIONS, operator=True, customer=True),
    # The buyer's details; the tax rate is output only (SetAccountTaxStatus sets the tax).
    "UpdateOrganization": CUSTOMERS_AND_OPERATORS,
    "ListAuditEntries": CUSTOMERS_AND_OPERATORS,
}
