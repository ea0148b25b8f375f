"""Operators find accounts: by the start of the account id, or of the display name ignoring
case; ordered by account id, one page at a time (the token holds the last id shown)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable

from services.common.errors import InvalidArgument
from services.wallet.service.accounts import search_name
from services.wallet.service.commands.accounts import AccountPage, ListAccounts
from services.wallet.service.ports.accounts import AccountReading

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_QUERY_LENGTH = 128


def page_size(value: int) -> int:
    if not 0 <= value <= MAX_PAGE_SIZE:
        raise InvalidArgument("page_size", f"must be 0 to {MAX_PAGE_SIZE}")
    return value or DEFAULT_PAGE_SIZE


def query_text(value: str) -> str:
    if len(value) > MAX_QUERY_LENGTH:
        raise InvalidArgument("query", f"at most {MAX_QUERY_LENGTH} characters")
    if not value.isprintable():
        raise InvalidArgument("query", "must be printable text")
    return value.strip()


def after_of(token: str) -> str:
    """The last account id of the previous page, from its token."""
    if not token:
        return ""
    try:
        after = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidArgument("page_token", "not a token this service issued") from None
    if not isinstance(after, str) or not after:
        raise InvalidArgument("page_token", "not a token this service issued")
    return after


def token_after(account_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": account_id}).encode()).decode()


class AccountSearch:
    def __init__(self, reading: Callable[[], AccountReading]) -> None:
        self._reading = reading

    def list(self, command: ListAccounts) -> AccountPage:
        limit = page_size(command.page_size)
        query = query_text(command.query)
        after = after_of(command.page_token)
        with self._reading() as reading:
            # One more than the page: whether another page follows.
            found = reading.directory.find(query, search_name(query), after, limit + 1)
        shown = found[:limit]
        return AccountPage(
            accounts=tuple(shown),
            next_page_token=token_after(shown[-1].account_id) if len(found) > limit else "",
        )
