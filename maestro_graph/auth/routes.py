"""HTTP endpoints of the authorization server: token, introspection, revocation, and the
RFC 8414 metadata and JWKS documents that let integrations discover them."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from maestro_graph.auth import keys, scopes
from maestro_graph.auth.guard import NEO4J_UNAVAILABLE
from maestro_graph.auth.server import AUTH_METHODS, GRANT_TYPE, MAX_CLIENT_ID_LENGTH, FormRequest, OAuthServer

TOKEN_PATH = "/oauth/token"
INTROSPECTION_PATH = "/oauth/introspect"
REVOCATION_PATH = "/oauth/revoke"
METADATA_PATH = "/.well-known/oauth-authorization-server"
JWKS_PATH = "/.well-known/jwks.json"
_FORM = "application/x-www-form-urlencoded"


def _error(status: int, error: str, description: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _parse_form(body: bytes) -> dict[str, str] | None:
    """The form fields, or None when the body is not a form or repeats a parameter (RFC 6749 §3.2)."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        return None
    form = dict(pairs)
    return form if len(form) == len(pairs) else None


def _claimed_client_id(request: Request, form: dict[str, str]) -> str | None:
    """The client id a request names (HTTP Basic or the form), before anything has checked it."""
    kind, _, credentials = request.headers.get("authorization", "").partition(" ")
    if kind.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None  # refused as bad client authentication further on
        # Longer ids are never registered (the server refuses them); cut, they bound bucket keys.
        return unquote(decoded.partition(":")[0])[:MAX_CLIENT_ID_LENGTH]
    client_id = form.get("client_id")
    return client_id[:MAX_CLIENT_ID_LENGTH] if client_id else None


def _too_many(wait: float) -> JSONResponse:
    return _error(429, "invalid_request", "too many requests", {"Retry-After": str(math.ceil(wait))})


async def _oauth(request: Request, handle: Callable[[OAuthServer, FormRequest], tuple]) -> JSONResponse:
    services = request.app.state.auth
    # One bucket per caller address and one per client id: a caller cannot spread guesses
    # over many client ids, nor many addresses (or a shared proxy's one) over one client.
    # The address is the peer's unless it is a configured trusted proxy (serving.py).
    wait = services.oauth_requests.take(f"ip:{request.client.host if request.client else 'unknown'}")
    if wait:
        return _too_many(wait)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != _FORM:
        return _error(400, "invalid_request", f"the body must be {_FORM}")
    form = _parse_form(await request.body())
    if form is None:
        return _error(400, "invalid_request", "malformed or repeated parameters")
    client_id = _claimed_client_id(request, form)
    if client_id is not None:
        wait = services.oauth_requests.take(f"client:{client_id}")
        if wait:
            return _too_many(wait)
    # The issuer is the address clients use; the request URL behind a TLS-terminating
    # proxy would be plain http and say nothing about the caller's transport.
    oauth_request = FormRequest(
        services.settings.oauth_issuer + request.url.path, request.headers, form, dict(request.query_params)
    )
    try:
        status, body, headers = await run_in_threadpool(handle, services.server, oauth_request)
    except NEO4J_UNAVAILABLE:
        return _error(
            503, "temporarily_unavailable", "the client registry is unavailable, retry shortly", {"Retry-After": "5"}
        )
    except keys.SigningKeyUnreadable:
        # A configuration fault of this replica (logged when the keys were loaded), not the caller's.
        return _error(500, "server_error", "this server cannot sign tokens at present")
    return JSONResponse(body, status, headers=dict(headers))


async def token(request: Request) -> JSONResponse:
    return await _oauth(request, lambda server, req: server.create_token_response(req))


async def introspect(request: Request) -> JSONResponse:
    return await _oauth(request, lambda server, req: server.create_endpoint_response("introspection", req))


async def revoke(request: Request) -> JSONResponse:
    return await _oauth(request, lambda server, req: server.create_endpoint_response("revocation", req))


async def metadata(request: Request) -> JSONResponse:
    issuer = request.app.state.auth.settings.oauth_issuer
    return JSONResponse(
        {
            "issuer": issuer,
            "token_endpoint": issuer + TOKEN_PATH,
            "jwks_uri": issuer + JWKS_PATH,
            "introspection_endpoint": issuer + INTROSPECTION_PATH,
            "revocation_endpoint": issuer + REVOCATION_PATH,
            "scopes_supported": list(scopes.SUPPORTED),
            "grant_types_supported": [GRANT_TYPE],
            # No authorization endpoint: integrations use client credentials only.
            "response_types_supported": [],
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
            "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
            "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
            "access_token_signing_alg_values_supported": [keys.ALGORITHM],
        },
        headers={"Cache-Control": "max-age=3600"},
    )


async def jwks(request: Request) -> JSONResponse:
    document = await request.app.state.auth.keyring.public_jwks()
    return JSONResponse(document, headers={"Cache-Control": "max-age=300"})


ROUTES = [
    Route(TOKEN_PATH, token, methods=["POST"]),
    Route(INTROSPECTION_PATH, introspect, methods=["POST"]),
    Route(REVOCATION_PATH, revoke, methods=["POST"]),
    Route(METADATA_PATH, metadata, methods=["GET"]),
    Route(JWKS_PATH, jwks, methods=["GET"]),
]
