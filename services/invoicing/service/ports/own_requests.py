"""Requests the service makes of itself, made at the edge as a client's would be: the same
checks, key and fingerprint, so that its answer is kept and found like a client's."""

from __future__ import annotations

from collections.abc import Callable

from services.invoicing.service.commands.invoice_payments import TopUpReceipt

# The fingerprint of the PayInvoice request an automatic charge stands for: (account, invoice,
# idempotency key).
PayPrint = Callable[[str, str, str], str]

# The CreateTopUpReceipt request a funding's receipt stands for, as a command: (account,
# funding, currency, amount micros, fee micros).
ReceiptRequest = Callable[[str, str, str, int, int], TopUpReceipt]
