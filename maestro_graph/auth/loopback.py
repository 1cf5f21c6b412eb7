"""What the dev profile trusts, and nothing beyond it: a server bound to a loopback address,
called from this machine (a loopback peer), by a request that names this machine (a
loopback `Host`).

The peer alone is not enough. With DNS rebinding, a web page from evil.example has its name
resolve to 127.0.0.1, so the user's own browser calls the loopback server: the peer is
loopback, but every request still says `Host: evil.example`. Requiring a loopback `Host` as
well keeps such pages out; a page served from localhost itself is the user's own.
"""

from __future__ import annotations

import ipaddress
import re

_PORT = re.compile(r"^:[0-9]{1,5}$")


def is_loopback(host: str | None) -> bool:
    """An address literal on the loopback network (127.0.0.0/8, ::1), or `localhost`."""
    if host is not None and host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def host_header_is_loopback(value: str | None) -> bool:
    """A `Host` header naming this machine: localhost, 127.x.y.z or [::1], with or without a port."""
    if not value:
        return False
    if value.startswith("["):
        name, closed, port = value[1:].partition("]")
        return bool(closed) and (not port or bool(_PORT.match(port))) and _is_loopback_ip(name, 6)
    name, colon, port = value.partition(":")
    if colon and not _PORT.match(colon + port):
        return False
    return name.lower() == "localhost" or _is_loopback_ip(name, 4)


def _is_loopback_ip(text: str, version: int) -> bool:
    try:
        address = ipaddress.IPv6Address(text) if version == 6 else ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return address.is_loopback
