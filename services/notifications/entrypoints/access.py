"""Who may call each notifications RPC: an account's webhook endpoints and deliveries, for its
customers (the gateway: owners and admins) and operators. An RPC not listed here is refused."""

from __future__ import annotations

from services.common.service_auth import CUSTOMERS_AND_OPERATORS, Allow

RULES: dict[str, Allow] = {
    # What an endpoint may subscribe to: the same for every account.
    "ListEventTypes": CUSTOMERS_AND_OPERATORS,
    "CreateEndpoint": CUSTOMERS_AND_OPERATORS,
    "ListEndpoints": CUSTOMERS_AND_OPERATORS,
    "GetEndpoint": CUSTOMERS_AND_OPERATORS,
    "UpdateEndpoint": CUSTOMERS_AND_OPERATORS,
    "DeleteEndpoint": CUSTOMERS_AND_OPERATORS,
    "RotateEndpointSecret": CUSTOMERS_AND_OPERATORS,
    "ListDeliveries": CUSTOMERS_AND_OPERATORS,
    "GetDelivery": CUSTOMERS_AND_OPERATORS,
    "ReplayDelivery": CUSTOMERS_AND_OPERATORS,
    "ReplayFailedDeliveries": CUSTOMERS_AND_OPERATORS,
}
