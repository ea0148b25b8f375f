"""Metering's domain: events, windows, accounts and usage arithmetic (plain Python)."""
