"""What the inner layers of a request learn about it that its metrics and access log line need.

The outermost layer (`middleware.observability`) binds a fresh record to each request and
writes it out when the answer has gone; the GraphQL schema extension
(`observability.graphql_metrics`) fills in the operation it ran.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass
class RequestRecord:
    operation: str | None = None
    operation_type: str | None = None
    outcome: str | None = None
    round_trips: int | None = None


_current: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar("request_record", default=None)


def current_record() -> RequestRecord | None:
    """The record of the request being served by this task, or None outside a request."""
    return _current.get()


def bind(record: RequestRecord) -> contextvars.Token:
    return _current.set(record)


def unbind(token: contextvars.Token) -> None:
    _current.reset(token)
