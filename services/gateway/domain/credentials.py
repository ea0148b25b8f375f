"""API keys and signed bearer tokens: formats, hashing and verification (no I/O).

An API key is "<key_id>.<secret>": the secret is 32 random bytes, stored only as its SHA-256.
A bearer token is "bt1.<payload>.<signature>": base64url JSON, HMAC-SHA256 with the gateway's
signing secret; it names the user, the account (empty for an operator) and its own id, which
the audit log records as the credential. Passwords are hashed with scrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass

KEY_ID_PREFIX = "key_"
KEY_ID_PATTERN = re.compile(r"key_[0-9a-f]{16}")
TOKEN_PREFIX = "bt1."  # noqa: S105 (a format marker)
SECRET_BYTES = 32
MAX_CREDENTIAL_LENGTH = 2048
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES = 16


class BadCredential(ValueError):
    """A credential that is malformed, forged or expired."""


@dataclass(frozen=True)
class NewApiKey:
    key_id: str
    api_key: str
    secret_sha256: str


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    # Empty for an operator's token.
    account_id: str
    expire_unix_s: int
    operator: bool = False
    token_id: str = ""

    @property
    def credential_id(self) -> str:
        return f"token:{self.token_id}" if self.token_id else "token"


def new_token_id() -> str:
    return secrets.token_hex(8)


def new_api_key() -> NewApiKey:
    key_id = KEY_ID_PREFIX + secrets.token_hex(8)
    secret = _b64(secrets.token_bytes(SECRET_BYTES))
    return NewApiKey(key_id, f"{key_id}.{secret}", secret_digest(secret))


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_api_key(api_key: str) -> tuple[str, str]:
    key_id, dot, secret = api_key.partition(".")
    if not dot or not KEY_ID_PATTERN.fullmatch(key_id) or not secret:
        raise BadCredential("not an API key")
    return key_id, secret


def secret_matches(secret: str, stored_sha256: str) -> bool:
    return hmac.compare_digest(secret_digest(secret), stored_sha256)


def is_token(credential: str) -> bool:
    return credential.startswith(TOKEN_PREFIX)


def sign_token(claims: TokenClaims, signing_secret: bytes) -> str:
    payload = {
        "sub": claims.user_id,
        "acc": claims.account_id,
        "exp": claims.expire_unix_s,
        "op": claims.operator,
        "tid": claims.token_id,
    }
    body = TOKEN_PREFIX + _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_b64(_mac(body, signing_secret))}"


def verify_token(token: str, signing_secret: bytes, now_unix_s: float) -> TokenClaims:
    body, dot, signature = token.rpartition(".")
    if not dot or not body.startswith(TOKEN_PREFIX):
        raise BadCredential("not a token")
    try:
        given = _unb64(signature)
    except ValueError:
        raise BadCredential("malformed token") from None
    if not hmac.compare_digest(given, _mac(body, signing_secret)):
        raise BadCredential("bad token signature")
    try:
        payload = json.loads(_unb64(body[len(TOKEN_PREFIX) :]))
        claims = TokenClaims(
            str(payload["sub"]),
            str(payload["acc"]),
            int(payload["exp"]),
            payload.get("op") is True,
            str(payload.get("tid", "")),
        )
    except (ValueError, KeyError, TypeError):
        raise BadCredential("malformed token") from None
    if claims.expire_unix_s <= now_unix_s:
        raise BadCredential("token expired")
    if claims.operator == bool(claims.account_id):
        raise BadCredential("malformed token")
    return claims


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p)
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed, _unb64(digest))


def _mac(body: str, signing_secret: bytes) -> bytes:
    return hmac.new(signing_secret, body.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
