"""How an outgoing webhook delivery proves it is ours and fresh.

Each POST carries:

- `X-Maestro-Timestamp`: when it was signed, in Unix seconds;
- `X-Maestro-Signature`: `sha256=` and the hex HMAC-SHA256, under the webhook's secret, of the
  timestamp, a dot, and the raw body (`f"{timestamp}.".encode() + body`);
- `X-Maestro-Delivery`: the delivery's id, the same on every attempt at the same event.

A receiver recomputes the HMAC over the bytes it received (before parsing them), compares in
constant time, and refuses a timestamp more than a few minutes away from its clock: a
recorded delivery replayed later fails that check, and the timestamp cannot be changed
without breaking the signature. It keeps the delivery ids it has handled, for as long as it
accepts a timestamp, to drop a redelivery (see `webhook_worker` for when one happens).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Maestro-Signature"
TIMESTAMP_HEADER = "X-Maestro-Timestamp"
DELIVERY_HEADER = "X-Maestro-Delivery"
EVENT_HEADER = "X-Maestro-Event"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, sent: str, body: bytes, now: float, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        signed_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - signed_at) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, signed_at, body), sent)
