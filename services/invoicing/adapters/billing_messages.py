"""Billing's plain values as the contract's messages, and back (for stored answers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from billing.common.v1 import money_pb2
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from google.protobuf import timestamp_pb2

from services.invoicing.adapters.kept_answers import KeptAs
from services.invoicing.domain import partner_terms, tax
from services.invoicing.service.commands.partners import ContractTerms
from services.invoicing.service.commands.plans import Plan
from services.invoicing.service.commands.subscriptions import SubscriptionDetails
from services.invoicing.service.commands.tax import (
    AccountTaxStatus,
    CountryTaxRate,
    OrganizationDetails,
    TaxConfiguration,
)


def money(currency_code: str, amount_micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency_code, amount_micros=amount_micros)


def plan(value: Plan) -> invoice_pb2.Plan:
    currency = value.currency_code
    return invoice_pb2.Plan(
        plan_id=value.plan_id,
        name=value.name,
        monthly_fee=money(currency, value.monthly_fee_micros),
        included_active_users=value.included_active_users,
        price_per_extra_user=money(currency, value.price_per_extra_user_micros),
        notification_fee=money(currency, value.notification_fee_micros),
        period_months=value.period_months,
        discount_basis_points=value.discount_basis_points,
        prepaid_notifications=value.prepaid_notifications,
    )


def plan_of(message: invoice_pb2.Plan) -> Plan:
    return Plan(
        plan_id=message.plan_id,
        name=message.name,
        currency_code=message.monthly_fee.currency_code,
        monthly_fee_micros=message.monthly_fee.amount_micros,
        included_active_users=message.included_active_users,
        price_per_extra_user_micros=message.price_per_extra_user.amount_micros,
        notification_fee_micros=message.notification_fee.amount_micros,
        period_months=message.period_months,
        discount_basis_points=message.discount_basis_points,
        prepaid_notifications=message.prepaid_notifications,
    )


TREATMENT_TO_PB = {
    tax.BY_RULES: invoice_pb2.TAX_TREATMENT_UNSPECIFIED,
    tax.STANDARD: invoice_pb2.TAX_TREATMENT_STANDARD,
    tax.REVERSE_CHARGE: invoice_pb2.TAX_TREATMENT_REVERSE_CHARGE,
    tax.EXEMPT: invoice_pb2.TAX_TREATMENT_EXEMPT,
}
TREATMENT_FROM_PB = {value: key for key, value in TREATMENT_TO_PB.items()}


def tax_status(status: AccountTaxStatus) -> invoice_pb2.AccountTaxStatus:
    return invoice_pb2.AccountTaxStatus(
        account_id=status.account_id,
        rate_basis_points=status.rate_basis_points,
        note=status.note,
        treatment=TREATMENT_TO_PB[status.treatment],
        exempt_reason=status.exempt_reason,
        country=status.country,
        tax_id=status.tax_id,
        pending_country=status.pending_country,
        pending_tax_id=status.pending_tax_id,
    )


def organization(details: OrganizationDetails) -> invoice_pb2.Organization:
    return invoice_pb2.Organization(**asdict(details))


def organization_of(message: invoice_pb2.Organization) -> OrganizationDetails:
    return OrganizationDetails(
        account_id=message.account_id,
        business_name=message.business_name,
        address=message.address,
        tax_id=message.tax_id,
        billing_email=message.billing_email,
        tax_rate_basis_points=message.tax_rate_basis_points,
        country=message.country,
        pending_country=message.pending_country,
        pending_tax_id=message.pending_tax_id,
    )


def configuration_of(message: invoice_pb2.TaxConfiguration) -> TaxConfiguration:
    return TaxConfiguration(
        rates=tuple(CountryTaxRate(r.country, r.rate_basis_points) for r in message.rates),
        default_rate_basis_points=message.default_rate_basis_points,
        reverse_charge_countries=tuple(message.reverse_charge_countries),
        reverse_charge_note=message.reverse_charge_note,
    )


def configuration_message(configuration: TaxConfiguration) -> invoice_pb2.TaxConfiguration:
    return invoice_pb2.TaxConfiguration(
        rates=[
            invoice_pb2.CountryTaxRate(country=r.country, rate_basis_points=r.rate_basis_points)
            for r in configuration.rates
        ],
        default_rate_basis_points=configuration.default_rate_basis_points,
        reverse_charge_countries=list(configuration.reverse_charge_countries),
        reverse_charge_note=configuration.reverse_charge_note,
    )


BILLING_FROM_PB = {
    pb.PARTNER_BILLING_ON_REQUEST: partner_terms.ON_REQUEST,
    pb.PARTNER_BILLING_IN_ADVANCE: partner_terms.IN_ADVANCE,
    pb.PARTNER_BILLING_DAYS_USED: partner_terms.DAYS_USED,
}
BILLING_TO_PB = {value: key for key, value in BILLING_FROM_PB.items()}


def timestamp(moment: dt.datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def date_text(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else ""


def date_of(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def contract(terms: ContractTerms) -> pb.PartnerContract:
    message = pb.PartnerContract(
        account_id=terms.account_id,
        price_per_channel_month=money(terms.currency_code, terms.price_per_channel_month_micros),
        update_time=timestamp(terms.update_time),
        billing=BILLING_TO_PB[terms.billing],
        start_date=date_text(terms.start_date),
    )
    if terms.next_billing:
        message.next_billing = BILLING_TO_PB[terms.next_billing]
        message.next_billing_date = date_text(terms.next_billing_date)
    return message


def contract_of(message: pb.PartnerContract) -> ContractTerms:
    next_billing = BILLING_FROM_PB.get(message.next_billing, "")
    return ContractTerms(
        account_id=message.account_id,
        currency_code=message.price_per_channel_month.currency_code,
        price_per_channel_month_micros=message.price_per_channel_month.amount_micros,
        update_time=message.update_time.ToDatetime(dt.UTC),
        billing=BILLING_FROM_PB[message.billing],
        start_date=date_of(message.start_date),
        next_billing=next_billing,
        next_billing_date=date_of(message.next_billing_date),
    )


SUBSCRIPTION_STATUS_TO_PB = {
    "active": invoice_pb2.SUBSCRIPTION_STATUS_ACTIVE,
    "cancelled": invoice_pb2.SUBSCRIPTION_STATUS_CANCELLED,
}
SUBSCRIPTION_STATUS_FROM_PB = {value: key for key, value in SUBSCRIPTION_STATUS_TO_PB.items()}


def subscription(shown: SubscriptionDetails) -> invoice_pb2.Subscription:
    return invoice_pb2.Subscription(
        subscription_id=shown.subscription_id,
        account_id=shown.account_id,
        plan_id=shown.plan_id,
        status=SUBSCRIPTION_STATUS_TO_PB[shown.status],
        anchor_day=shown.anchor_day,
        start_date=shown.start_date.isoformat(),
        current_cycle_start_date=date_text(shown.current_cycle_start),
        next_billing_date=date_text(shown.next_billing_date),
        cancel_time=None if shown.cancel_time is None else timestamp(shown.cancel_time),
        channel_id=shown.channel_id,
        end_date=date_text(shown.end_date),
        cycles_billed=shown.cycles_billed,
    )


def subscription_of(message: invoice_pb2.Subscription) -> SubscriptionDetails:
    cancelled = message.HasField("cancel_time")
    start = date_of(message.start_date)
    if start is None:
        raise ValueError("a subscription without its start date")
    return SubscriptionDetails(
        subscription_id=message.subscription_id,
        account_id=message.account_id,
        plan_id=message.plan_id,
        status=SUBSCRIPTION_STATUS_FROM_PB[message.status],
        anchor_day=message.anchor_day,
        start_date=start,
        current_cycle_start=date_of(message.current_cycle_start_date),
        next_billing_date=date_of(message.next_billing_date),
        cancel_time=message.cancel_time.ToDatetime(dt.UTC) if cancelled else None,
        channel_id=message.channel_id,
        end_date=date_of(message.end_date),
        cycles_billed=message.cycles_billed,
    )


# Each kind of answer kept as the response its call gave.
CREATED_PLAN: KeptAs[Plan, pb.CreatePlanResponse] = KeptAs(
    lambda value: pb.CreatePlanResponse(plan=plan(value)),
    pb.CreatePlanResponse.FromString,
    lambda response: plan_of(response.plan),
)
UPDATED_ORGANIZATION: KeptAs[OrganizationDetails, pb.UpdateOrganizationResponse] = KeptAs(
    lambda details: pb.UpdateOrganizationResponse(organization=organization(details)),
    pb.UpdateOrganizationResponse.FromString,
    lambda response: organization_of(response.organization),
)
TAX_CONFIGURED: KeptAs[TaxConfiguration, pb.SetTaxConfigurationResponse] = KeptAs(
    lambda configuration: pb.SetTaxConfigurationResponse(
        configuration=configuration_message(configuration)
    ),
    pb.SetTaxConfigurationResponse.FromString,
    lambda response: configuration_of(response.configuration),
)
CONTRACT_SET: KeptAs[ContractTerms, pb.SetPartnerContractResponse] = KeptAs(
    lambda terms: pb.SetPartnerContractResponse(contract=contract(terms)),
    pb.SetPartnerContractResponse.FromString,
    lambda response: contract_of(response.contract),
)
SUBSCRIPTION_CREATED: KeptAs[SubscriptionDetails, pb.CreateSubscriptionResponse] = KeptAs(
    lambda shown: pb.CreateSubscriptionResponse(subscription=subscription(shown)),
    pb.CreateSubscriptionResponse.FromString,
    lambda response: subscription_of(response.subscription),
)
SUBSCRIPTION_CANCELLED: KeptAs[SubscriptionDetails, pb.CancelSubscriptionResponse] = KeptAs(
    lambda shown: pb.CancelSubscriptionResponse(subscription=subscription(shown)),
    pb.CancelSubscriptionResponse.FromString,
    lambda response: subscription_of(response.subscription),
)
