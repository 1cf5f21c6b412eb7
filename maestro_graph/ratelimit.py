"""Token buckets keyed by caller: a budget that refills continuously up to its capacity.

Not a request layer: the GraphQL cost limit (`graphql/cost.py`) and the token endpoint
(`auth/`) spend from their own buckets where they know what a request costs.

Buckets live in process, so with several replicas each one enforces the budget on its
own: a client spread over N replicas gets up to N times the budget. That is the price of
keeping the API stateless (a shared counter would cost a Neo4j write per request).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

# Distinct keys kept; the least recently used go first (they are the most refilled anyway).
_MAX_KEYS = 10_000


@dataclass
class _Bucket:
    level: float
    at: float


class TokenBuckets:
    def __init__(self, per_minute: int, capacity: int | None = None):
        self.capacity = float(capacity or per_minute)
        self.rate = per_minute / 60.0
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str, amount: float = 1.0) -> float:
        """Spend `amount` from `key`'s bucket: 0 when granted, else the seconds to wait."""
        now = time.monotonic()
        bucket = self._buckets.pop(key, None) or _Bucket(self.capacity, now)
        bucket.level = min(self.capacity, bucket.level + (now - bucket.at) * self.rate)
        bucket.at = now
        self._buckets[key] = bucket
        if len(self._buckets) > _MAX_KEYS:
            self._buckets.popitem(last=False)
        if amount > bucket.level:
            return (amount - bucket.level) / self.rate if amount <= self.capacity else float("inf")
        bucket.level -= amount
        return 0.0
