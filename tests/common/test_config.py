"""Settings come from the environment and errors name the variable."""

from __future__ import annotations

import pytest

from services.common.config import ConfigError, Env, database_url


def test_defaults_when_unset() -> None:
    env = Env({})
    assert env.integer("WALLET_PORT", 50052) == 50052
    assert env.flag("REDIS_CLUSTER", False) is False
    assert database_url(env, "wallet") == "sqlite:///data/wallet.db"


def test_database_url_follows_the_data_folder() -> None:
    env = Env({"BILLING_DATA_DIR": "/srv/billing"})
    assert database_url(env, "metering") == "sqlite:////srv/billing/metering.db"


@pytest.mark.parametrize(
    ("reader", "value"),
    [
        (lambda env: env.integer("WALLET_PORT", 1), "fifty"),
        (lambda env: env.integer("WALLET_PORT", 1, maximum=65535), "70000"),
        (lambda env: env.flag("WALLET_PORT", False), "maybe"),
        (lambda env: env.seconds("WALLET_PORT", 1.0), "-3"),
        (lambda env: env.choice("WALLET_PORT", "a", ("a", "b")), "c"),
    ],
)
def test_bad_values_name_the_variable(reader, value: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        reader(Env({"WALLET_PORT": value}))
    assert caught.value.variable == "WALLET_PORT"
    assert str(caught.value).startswith("WALLET_PORT: ")
