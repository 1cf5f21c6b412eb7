"""The id that ties one request's log lines, metrics exemplars and Neo4j transactions together.

A caller (or a proxy in front) may send `X-Request-ID`; we keep it when it looks like an id,
so one id follows a request across services. Anything else is replaced by a fresh one: the
value ends up in log lines and Neo4j's query log, where free text could forge entries.
"""

from __future__ import annotations

import contextvars
import re
import uuid

HEADER = "x-request-id"
_SAFE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def accept_or_generate(sent: str | None) -> str:
    if sent and _SAFE.match(sent):
        return sent
    return uuid.uuid4().hex


def current() -> str | None:
    """The id of the request being served by this task, or None outside a request."""
    return _current.get()


def bind(request_id: str | None) -> contextvars.Token:
    return _current.set(request_id)


def unbind(token: contextvars.Token) -> None:
    _current.reset(token)
