"""Wallet: prepaid funds, the send-path authorisation, the double-entry ledger."""
