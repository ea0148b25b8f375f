"""What the wallet's gRPC handlers share: the use cases they hand requests to, the audit log
and the send path's timings and counter."""

from __future__ import annotations

from services.common import metrics
from services.common.audit import AuditLog
from services.wallet.entrypoints.timings import DecisionTimings
from services.wallet.service.account_search import AccountSearch
from services.wallet.service.accounts import Accounts
from services.wallet.service.authorise import Authoriser
from services.wallet.service.auto_recharge import AutoRecharges
from services.wallet.service.credits import Credits
from services.wallet.service.days import Days
from services.wallet.service.funds import Funds
from services.wallet.service.price_list import PriceList
from services.wallet.service.reservations import Reservations
from services.wallet.service.send_notices import SendNotices
from services.wallet.service.windows import Windows


class Handlers:
    def __init__(
        self,
        accounts: Accounts,
        authoriser: Authoriser,
        reservations: Reservations,
        funds: Funds,
        windows: Windows,
        timings: DecisionTimings | None = None,
        *,
        credits: Credits,
        days: Days,
        recharges: AutoRecharges,
        price_list: PriceList,
        audit: AuditLog,
        search: AccountSearch,
        notices: SendNotices | None = None,
    ) -> None:
        self._accounts = accounts
        self._authoriser = authoriser
        self._reservations = reservations
        self._funds = funds
        self._windows = windows
        self._timings = timings
        self._credits = credits
        self._days = days
        self._recharges = recharges
        self._price_list = price_list
        self._audit = audit
        self._search = search
        self._notices = notices  # told of refused campaigns and flagged sends
        self._authorisations = metrics.instruments().authorisations
