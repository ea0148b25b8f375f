"""Operators find accounts: by the start of the account id, or of the display name ignoring
case; ordered by account id, one page at a time (the token holds the last id shown)."""

from __future__ import annotations

import base64
import binascii
import json

import sqlalchemy as sa
from billing.wallet.v1 import account_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from sqlalchemy.engine import Engine

from services.common.errors import InvalidArgument
from services.wallet.adapters import tables
from services.wallet.service.accounts import search_name

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_QUERY_LENGTH = 128


def _like_prefix(text: str) -> str:
    """A LIKE pattern matching values that start with `text` (its wildcards escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


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
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def list(self, request: pb.ListAccountsRequest) -> pb.ListAccountsResponse:
        limit = page_size(request.page_size)
        query = query_text(request.query)
        after = after_of(request.page_token)
        accounts = tables.accounts
        statement = sa.select(accounts.c.account_id, accounts.c.profile)
        if query:
            statement = statement.where(
                sa.or_(
                    sa.and_(
                        # LIKE for PostgreSQL's index; SQLite's LIKE ignores ASCII case, so
                        # the exact start is compared as well.
                        accounts.c.account_id.like(_like_prefix(query), escape="\\"),
                        sa.func.substr(accounts.c.account_id, 1, len(query)) == query,
                    ),
                    accounts.c.search_name.like(_like_prefix(search_name(query)), escape="\\"),
                )
            )
        if after:
            statement = statement.where(accounts.c.account_id > after)
        # One more than the page: whether another page follows.
        statement = statement.order_by(accounts.c.account_id).limit(limit + 1)
        with self._engine.connect() as connection:
            rows = connection.execute(statement).all()
        shown = rows[:limit]
        return pb.ListAccountsResponse(
            accounts=[account_pb2.AccountProfile.FromString(row.profile) for row in shown],
            next_page_token=token_after(shown[-1].account_id) if len(rows) > limit else "",
        )
