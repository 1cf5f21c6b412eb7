"""Which URLs a webhook may call. A webhook makes this service send requests on a caller's
behalf, so without a check it would reach what only the service can reach (cloud metadata at
169.254.169.254, an admin port on localhost, the private network). http(s) only, no
credentials in the URL, and every address the host resolves to must be public unless
`MAESTRO_WEBHOOKS_ALLOW_PRIVATE_TARGETS` is on. Checked on creation and again before every
delivery, since what a name resolves to can change.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from maestro_graph.domain import InvalidInput

MAX_URL_LENGTH = 2000


def valid_url(url: str) -> str:
    url = url.strip() if isinstance(url, str) else ""
    if not url or len(url) > MAX_URL_LENGTH:
        raise InvalidInput("url", f"must be an http(s) URL of at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a port that is not a number
    except ValueError as error:
        raise InvalidInput("url", f"is not a URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url", "must be an http or https URL with a host")
    if parts.username or parts.password:
        raise InvalidInput("url", "must not carry credentials (the delivery is signed instead)")
    return url


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def check_target(url: str, allow_private: bool) -> None:
    """Raises InvalidInput when `url`'s host does not resolve, or resolves to a private,
    loopback, link-local or otherwise non-public address that is not allowed."""
    parts = urlsplit(url)
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        raise InvalidInput("url", f"the host {parts.hostname!r} does not resolve") from None
    if not infos or not all(_public(str(info[4][0])) for info in infos):
        raise InvalidInput("url", "resolves to a private, loopback or link-local address; such targets are refused")
