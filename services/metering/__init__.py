"""Metering: message events, windows, usage, active users, usage reports."""
