"""Who may call each invoicing RPC: internal callers by name, operators and customers by the
principal the gateway signed. Where the rule depends on a request's fields (a transfer, a price,
a tax rate), the use case checks the principal too. An RPC not listed here is refused."""

from __future__ import annotations

from services.common.service_auth import CUSTOMERS_AND_OPERATORS, OPERATORS, Allow

RULES: dict[str, Allow] = {
    "CreatePlan": OPERATORS,
    "ListPlans": CUSTOMERS_AND_OPERATORS,
    "CreateSubscription": CUSTOMERS_AND_OPERATORS,
    "GetSubscription": CUSTOMERS_AND_OPERATORS,
    "ListSubscriptions": CUSTOMERS_AND_OPERATORS,
    "CancelSubscription": CUSTOMERS_AND_OPERATORS,
    "RunBillingCycle": OPERATORS,
    "CreateTopUpReceipt": OPERATORS,
    # A price in the request is an operator's; customers get their contract price.
    "CreatePartnerDaysInvoice": CUSTOMERS_AND_OPERATORS,
    "ListInvoices": CUSTOMERS_AND_OPERATORS,
    "GetInvoice": CUSTOMERS_AND_OPERATORS,
    "DownloadInvoicePdf": CUSTOMERS_AND_OPERATORS,
    # By card: customers and operators; marked paid by transfer: operators only.
    "PayInvoice": CUSTOMERS_AND_OPERATORS,
    "IssueCreditNote": OPERATORS,
    "AddPaymentMethod": CUSTOMERS_AND_OPERATORS,
    "ListPaymentMethods": CUSTOMERS_AND_OPERATORS,
    "SetDefaultPaymentMethod": CUSTOMERS_AND_OPERATORS,
    "GetOrganization": CUSTOMERS_AND_OPERATORS,
    # Tax rates are an operator's; customers edit the rest.
    "UpdateOrganization": CUSTOMERS_AND_OPERATORS,
    "ListAuditEntries": CUSTOMERS_AND_OPERATORS,
}
