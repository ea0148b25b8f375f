"""The service credentials of a local run: `make up` generates them once and keeps them in the
data folder (credentials.json, readable by its owner only), so restarts keep them; the
`billing` command reads its own from there when its environment has none.

The file holds a token per caller (gateway, invoicing, messaging, cli), the key principals are
signed with, and the gateway's token-signing secret (so sign-ins survive a restart too).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from services.common import service_auth

FILE_NAME = "credentials.json"


@dataclass(frozen=True)
class LocalCredentials:
    tokens: dict[str, str]
    principal_key: str
    gateway_token_secret: str

    def server_env(self) -> dict[str, str]:
        return {
            service_auth.CALLERS_VARIABLE: service_auth.callers_text(self.tokens),
            service_auth.PRINCIPAL_KEY_VARIABLE: self.principal_key,
        }

    def env_for(self, process: str) -> dict[str, str]:
        """What one process of the suite gets: the server's part, and its own token."""
        env = self.server_env()
        if process in self.tokens:
            env[service_auth.TOKEN_VARIABLE] = self.tokens[process]
        if process == service_auth.GATEWAY:
            env["GATEWAY_TOKEN_SECRET"] = self.gateway_token_secret
        return env


def path(folder: Path) -> Path:
    return folder / FILE_NAME


def load(folder: Path) -> LocalCredentials | None:
    file = path(folder)
    if not file.exists():
        return None
    data = json.loads(file.read_text())
    return LocalCredentials(
        tokens=dict(data["tokens"]),
        principal_key=str(data["principal_key"]),
        gateway_token_secret=str(data["gateway_token_secret"]),
    )


def load_or_create(folder: Path) -> LocalCredentials:
    """The folder's credentials, made (or completed with missing callers) on first use."""
    found = load(folder)
    tokens = dict(found.tokens) if found else {}
    for caller in service_auth.STANDARD_CALLERS:
        tokens.setdefault(caller, service_auth.new_token(caller))
    made = LocalCredentials(
        tokens=tokens,
        principal_key=found.principal_key if found else secrets.token_urlsafe(32),
        gateway_token_secret=found.gateway_token_secret if found else secrets.token_urlsafe(32),
    )
    if made != found:
        save(folder, made)
    return made


def save(folder: Path, credentials: LocalCredentials) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "tokens": credentials.tokens,
        "principal_key": credentials.principal_key,
        "gateway_token_secret": credentials.gateway_token_secret,
    }
    temporary = path(folder).with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(data, out, indent=2)
    os.replace(temporary, path(folder))
