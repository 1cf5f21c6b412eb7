"""Seeing the service run: request ids, structured logs, Prometheus metrics and optional
OpenTelemetry traces. Nothing here changes what a request does, only what is recorded."""
