"""Who is calling: API keys for servers, short-lived signed tokens for UI users and operators.

Signing in is throttled per user and per source address (service/throttle.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.common import validation
from services.common.clock import Clock, SystemClock
from services.common.errors import InvalidArgument
from services.gateway.domain import credentials
from services.gateway.domain.access import Principal, Role
from services.gateway.domain.records import ApiKey, Membership, Operator
from services.gateway.errors import Unauthenticated
from services.gateway.service.cache import TtlCache
from services.gateway.service.ports.store import UnitsOfWork
from services.gateway.service.throttle import SignInThrottle

# Compared against when the email is unknown, so both answers take as long.
_DUMMY_HASH = credentials.hash_password("not a password")
MAX_EMAIL_LENGTH = 320
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in_s: int
    # Empty, with no role, for an operator.
    account_id: str
    role: Role | None
    billing_access: bool
    operator: bool = False


class Authenticator:
    def __init__(
        self,
        units: UnitsOfWork,
        signing_secret: bytes,
        token_ttl_s: int,
        cache_ttl_s: float = 0.0,
        clock: Clock | None = None,
        throttle: SignInThrottle | None = None,
    ) -> None:
        self._units = units
        self._throttle = throttle
        self._signing_secret = signing_secret
        self._token_ttl_s = token_ttl_s
        self._clock = clock or SystemClock()
        # A revoked key or a changed membership is seen within cache_ttl_s.
        self._keys: TtlCache[str, ApiKey] = TtlCache(cache_ttl_s, self._clock)
        self._memberships: TtlCache[tuple[str, str], Membership] = TtlCache(
            cache_ttl_s, self._clock
        )
        self._operators: TtlCache[str, Operator] = TtlCache(cache_ttl_s, self._clock)

    def from_cache(self, credential: str) -> Principal | None:
        """The caller from memory alone, or None when the store must be read (authenticate)."""
        if not credential or len(credential) > credentials.MAX_CREDENTIAL_LENGTH:
            return None
        try:
            if credentials.is_token(credential):
                claims = credentials.verify_token(credential, self._signing_secret, self._now_s())
                if claims.operator:
                    operator = self._operators.get(claims.user_id)
                    return operator.principal(claims.credential_id) if operator else None
                member = self._memberships.get((claims.user_id, claims.account_id))
                return member.principal(claims.credential_id) if member is not None else None
            key_id, secret = credentials.split_api_key(credential)
            record = self._keys.get(key_id)
            return self._check_key(record, secret) if record is not None else None
        except credentials.BadCredential:
            raise Unauthenticated("invalid credentials") from None

    def authenticate(self, credential: str) -> Principal:
        if not credential:
            raise Unauthenticated("credentials required: Authorization: Bearer <key or token>")
        if len(credential) > credentials.MAX_CREDENTIAL_LENGTH:
            raise Unauthenticated("invalid credentials")
        try:
            if credentials.is_token(credential):
                return self._from_token(credential)
            return self._from_api_key(credential)
        except credentials.BadCredential:
            raise Unauthenticated("invalid credentials") from None

    def _now_s(self) -> float:
        return self._clock.now_ms() / 1000

    def forget_membership(self, user_id: str, account_id: str) -> None:
        self._memberships.forget((user_id, account_id))

    def _from_api_key(self, api_key: str) -> Principal:
        key_id, secret = credentials.split_api_key(api_key)
        with self._units() as uow:
            record = uow.keys.api_key(key_id)
        if record is None:
            credentials.secret_matches(secret, "0" * 64)
            raise credentials.BadCredential("unknown key")
        principal = self._check_key(record, secret)
        self._keys.put(key_id, record)
        return principal

    @staticmethod
    def _check_key(record: ApiKey, secret: str) -> Principal:
        if not credentials.secret_matches(secret, record.secret_sha256) or record.revoked:
            raise credentials.BadCredential("bad or revoked key")
        return record.principal()

    def _from_token(self, token: str) -> Principal:
        claims = credentials.verify_token(token, self._signing_secret, self._now_s())
        if claims.operator:
            with self._units() as uow:
                operator = uow.people.operator(claims.user_id)
            if operator is None or not operator.active:
                raise credentials.BadCredential("no longer an operator")
            self._operators.put(claims.user_id, operator)
            return operator.principal(claims.credential_id)
        with self._units() as uow:
            membership = uow.people.membership(claims.user_id, claims.account_id)
        if membership is None:
            raise credentials.BadCredential("membership removed")
        self._memberships.put((claims.user_id, claims.account_id), membership)
        return membership.principal(claims.credential_id)

    def issue_token(
        self, email: str, password: str, account_id: str, address: str = ""
    ) -> IssuedToken:
        """A token for the user's account (or, for an operator, for every account).

        Throttled: after repeated failures for the email or from the address, attempts wait
        (429 with Retry-After, the password unchecked), then sign-in is locked for a while."""
        if not email or len(email) > MAX_EMAIL_LENGTH or not email.isprintable():
            raise InvalidArgument("email", "expected an email address")
        if account_id and not validation.ID_PATTERN.match(account_id):
            raise Unauthenticated("invalid email or password")
        if not password or len(password) > MAX_PASSWORD_LENGTH:
            raise InvalidArgument("password", "is required")
        email = email.strip().lower()
        if self._throttle is not None:
            self._throttle.check(email, address)
        with self._units() as uow:
            user = uow.people.user_by_email(email)
        stored = user.password_hash if user is not None else _DUMMY_HASH
        if not credentials.password_matches(password, stored) or user is None:
            if self._throttle is not None:
                self._throttle.failed(email, address, user)
            raise Unauthenticated("invalid email or password")
        if self._throttle is not None:
            self._throttle.succeeded(email)
        with self._units() as uow:
            operator = uow.people.operator(user.user_id)
            if operator is not None and operator.active:
                return self._operator_token(operator, account_id)
            memberships = uow.people.memberships_of(user.user_id)
        if account_id:
            memberships = [m for m in memberships if m.account_id == account_id]
        if not memberships:
            raise Unauthenticated("invalid email or password")
        if len(memberships) > 1:
            raise InvalidArgument("account_id", "required: the user belongs to several accounts")
        membership = memberships[0]
        expire = int(self._now_s()) + self._token_ttl_s
        claims = credentials.TokenClaims(
            user.user_id, membership.account_id, expire, token_id=credentials.new_token_id()
        )
        return IssuedToken(
            token=credentials.sign_token(claims, self._signing_secret),
            expires_in_s=self._token_ttl_s,
            account_id=membership.account_id,
            role=membership.role,
            billing_access=membership.billing_access or membership.role is Role.OWNER,
        )

    def _operator_token(self, operator: Operator, account_id: str) -> IssuedToken:
        if account_id:
            raise InvalidArgument("account_id", "an operator's token is for every account")
        expire = int(self._now_s()) + self._token_ttl_s
        claims = credentials.TokenClaims(
            operator.user_id, "", expire, operator=True, token_id=credentials.new_token_id()
        )
        return IssuedToken(
            token=credentials.sign_token(claims, self._signing_secret),
            expires_in_s=self._token_ttl_s,
            account_id="",
            role=None,
            billing_access=True,
            operator=True,
        )
