"""Invoicing: plans, subscriptions, billing cycles, invoices, payments."""
