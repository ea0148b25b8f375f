"""Which webhook targets are acceptable: https URLs on public addresses. Private, loopback,
link-local and other non-global addresses are refused unless the service allows them (local
runs and tests), as is plain http."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048


class TargetRefused(ValueError):
    pass


def checked_url(url: str, allow_private: bool) -> tuple[str, int]:
    """(host, port) of an acceptable URL; TargetRefused saying why not."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"must be 1 to {MAX_URL_LENGTH} characters")
    if any(ch.isspace() for ch in url):
        raise TargetRefused("must not contain spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused(f"is not a URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise TargetRefused("must be an https URL")
    if scheme == "http" and not allow_private:
        raise TargetRefused("must be an https URL")
    if parts.username or parts.password:
        raise TargetRefused("must not carry credentials")
    host = (parts.hostname or "").lower()
    if not host:
        raise TargetRefused("has no host")
    if parts.fragment:
        raise TargetRefused("must not have a fragment")
    literal = _literal(host)
    if literal is not None:
        address_allowed(literal, allow_private)
    elif not allow_private and (host == "localhost" or host.endswith(".localhost")):
        raise TargetRefused("points at a loopback address")
    return host, port or (443 if scheme == "https" else 80)


def address_allowed(address: str, allow_private: bool) -> None:
    """TargetRefused when the address is not a public one (and private ones are not allowed)."""
    if allow_private:
        return
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        raise TargetRefused("points at a loopback address")
    if ip.is_link_local:
        raise TargetRefused("points at a link-local address")
    if ip.is_private or not ip.is_global or ip.is_multicast or ip.is_reserved:
        raise TargetRefused("points at a private or reserved address")


def _literal(host: str) -> str | None:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    return host.strip("[]")
