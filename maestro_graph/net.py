"""Loopback ports for servers the project starts itself (scratch Neo4j, test and benchmark APIs)."""

from __future__ import annotations

import socket


def free_loopback_port() -> int:
    """A port nothing listens on right now (the OS picks it); bind it soon, it is not reserved."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
