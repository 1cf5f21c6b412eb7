"""Structured logs: one JSON object per line, each carrying the id of the request it was
written for (and the trace ids when tracing is on), so a log shipper can index every field
and one request's lines can be found together.

    {"ts": "2025-01-01T12:00:00.123Z", "level": "INFO", "logger": "maestro_graph.access",
     "message": "POST /graphql 200", "request_id": "3f2a…", "method": "POST", ...}

Fields passed with `extra={...}` become top-level keys. The text format carries the same
request id, for a terminal.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from maestro_graph.observability import request_id, tracing

NO_REQUEST = "-"

# What every LogRecord has; anything else on a record came from `extra=` and is logged as a field.
# uvicorn adds `color_message`, the same text with terminal colour codes.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "trace_id",
    "span_id",
    "color_message",
}


class RequestContext(logging.Filter):
    """Stamps every record with the current request id (and trace ids), whoever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # "-" outside a request, so the text format reads "[-]" rather than "[None]".
            record.request_id = request_id.current() or NO_REQUEST
        if not hasattr(record, "trace_id"):
            ids = tracing.current_ids()
            record.trace_id, record.span_id = ids if ids else (None, None)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "trace_id", "span_id"):
            value = getattr(record, key, None)
            if value and value != NO_REQUEST:
                entry[key] = value
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(fmt: str = "json", level: str = "INFO") -> dict[str, Any]:
    """A dictConfig for the whole process, uvicorn's loggers included (its access log is
    replaced by our own, which knows the request id, route and GraphQL operation)."""
    formatter = {"()": JsonFormatter} if fmt == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestContext}},
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request"],
                "stream": "ext://sys.stderr",
            },
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            # The driver logs every retried transaction at WARNING; during an outage that is
            # one line per request per attempt, and our own 503 line already says it.
            "neo4j": {"level": "ERROR"},
        },
    }
