"""Notifications' SQL repositories, one module per area; the unit of work binds them to its
connection."""
