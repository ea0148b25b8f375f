"""The account row's write lock now lives with the SQL, in adapters/account_lock.py; this name
stays for the use cases that still run their SQL here, until their units of work take it."""

from services.wallet.adapters.account_lock import lock_account

__all__ = ["lock_account"]
