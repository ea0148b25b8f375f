"""The contracts' message categories, pricing models and pricing types
(billing.common.v1.Category, PricingModel, PricingType) against pricing's names for them,
declared once for every service."""

from __future__ import annotations

from billing.common.v1 import category_pb2

from pricing import ratecards, rules

CATEGORY_NAMES: dict[int, str] = {
    category_pb2.CATEGORY_MARKETING: ratecards.MARKETING,
    category_pb2.CATEGORY_UTILITY: ratecards.UTILITY,
    category_pb2.CATEGORY_AUTHENTICATION: ratecards.AUTHENTICATION,
    category_pb2.CATEGORY_AUTHENTICATION_INTERNATIONAL: ratecards.AUTHENTICATION_INTERNATIONAL,
    category_pb2.CATEGORY_SERVICE: ratecards.SERVICE,
}
CATEGORY_ENUMS = {name: value for value, name in CATEGORY_NAMES.items()}

MODEL_NAMES = {
    category_pb2.PRICING_MODEL_CONVERSATION: rules.CONVERSATION,
    category_pb2.PRICING_MODEL_PER_MESSAGE: rules.PER_MESSAGE,
}
MODEL_ENUMS = {name: value for value, name in MODEL_NAMES.items()}

TYPE_NAMES = {
    category_pb2.PRICING_TYPE_REGULAR: rules.REGULAR,
    category_pb2.PRICING_TYPE_FREE_CUSTOMER_SERVICE: rules.FREE_CUSTOMER_SERVICE,
    category_pb2.PRICING_TYPE_FREE_ENTRY_POINT: rules.FREE_ENTRY_POINT,
}
TYPE_ENUMS = {name: value for value, name in TYPE_NAMES.items()}
