"""Who may call each wallet RPC: internal callers by name, operators and customers by the
principal the gateway signed. The gateway's policy table holds the finer rules for people; this
one mirrors it for every caller. An RPC not listed here is refused."""

from __future__ import annotations

from services.common.service_auth import (
    CUSTOMERS_AND_OPERATORS,
    INVOICING,
    MESSAGING,
    OPERATORS,
    Allow,
    allow,
)

RULES: dict[str, Allow] = {
    "CreateAccount": OPERATORS,
    # Finding an account among every customer's: the provider's staff only.
    "ListAccounts": OPERATORS,
    "GetAccount": allow(INVOICING, operator=True, customer=True),
    # Price lists, fees, markups, top-up fee rules, funding, suspension.
    "UpdateAccount": OPERATORS,
    "GetFundingPeriods": allow(INVOICING, operator=True, customer=True),
    "AuthoriseSend": allow(MESSAGING),
    "AuthoriseBatch": allow(MESSAGING, operator=True, customer=True),
    "CommitReservation": allow(MESSAGING),
    "ReleaseReservation": allow(MESSAGING),
    "OpenWindow": allow(MESSAGING),
    "GetBalance": CUSTOMERS_AND_OPERATORS,
    # Money in: a payment invoicing collected, or an operator's credit (a bank transfer).
    "TopUp": allow(INVOICING, operator=True),
    # The fee a payment would add (invoicing quotes add-funds with it).
    "QuoteTopUp": allow(INVOICING),
    # Money back out after a refund or a dispute, as invoicing learns of it.
    "ReverseTopUp": allow(INVOICING),
    "ListTopUps": CUSTOMERS_AND_OPERATORS,
    "ListLedgerEntries": CUSTOMERS_AND_OPERATORS,
    "GrantCredit": OPERATORS,
    "ListCredits": CUSTOMERS_AND_OPERATORS,
    "RedeemCredits": allow(INVOICING),
    "AddDays": allow(INVOICING),
    # Days bought by an invoice that was refunded or disputed.
    "TakeBackDays": allow(INVOICING),
    "RegisterChannel": CUSTOMERS_AND_OPERATORS,
    "ListChannels": CUSTOMERS_AND_OPERATORS,
    "AllocateDays": CUSTOMERS_AND_OPERATORS,
    "DeleteChannel": CUSTOMERS_AND_OPERATORS,
    # The channel-days a partner kept over a date range, to bill it by them.
    "CountChannelDays": allow(INVOICING),
    "SetAutoRecharge": CUSTOMERS_AND_OPERATORS,
    "GetAutoRecharge": CUSTOMERS_AND_OPERATORS,
    # Invoicing keeps the card auto-recharge charges while a rule is on.
    "ListAutoRecharges": allow(INVOICING, operator=True),
    "ListRecharges": CUSTOMERS_AND_OPERATORS,
    "GetPriceList": CUSTOMERS_AND_OPERATORS,
    "QuotePrice": CUSTOMERS_AND_OPERATORS,
    "ListAuditEntries": CUSTOMERS_AND_OPERATORS,
}
