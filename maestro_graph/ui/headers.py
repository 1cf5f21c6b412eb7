"""The response headers of the web pages: a strict security policy, and content types that
do not depend on the host's MIME table."""

from __future__ import annotations

from posixpath import splitext

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Everything the Explorer needs comes from this origin; no inline script or style, no frames.
EXPLORER_POLICY = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    # Revalidated on every load (ETag), so a new release is picked up at once.
    "cache-control": "no-cache",
}


def explorer_policy(connect_origins: list[str]) -> dict[str, str]:
    """EXPLORER_POLICY, with the page also allowed to call `connect_origins` (the identity
    provider the Explorer signs people in with: its discovery document and token endpoint)."""
    if not connect_origins:
        return EXPLORER_POLICY
    policy = EXPLORER_POLICY["content-security-policy"]
    extended = policy.replace("connect-src 'self'", "connect-src 'self' " + " ".join(connect_origins))
    return {**EXPLORER_POLICY, "content-security-policy": extended}


# By suffix rather than from `mimetypes`, which reads the host's tables: with nosniff a
# browser runs a module only when it comes as JavaScript, and no table knows `.graphql`
# (the documents are fetched and read as text; the type says what they are).
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".graphql": "application/graphql; charset=utf-8",
}


class WithHeaders:
    """Adds `headers` to every response of the wrapped app (those it sets itself win), and
    sets the content type of the files named in CONTENT_TYPES."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]):
        self.app = app
        self.headers = [(name.encode(), value.encode()) for name, value in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = CONTENT_TYPES.get(splitext(scope.get("path", ""))[1].lower())

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                # A 404 or 304 for a .js path is not JavaScript: only a file sent whole or in part is.
                if content_type and message["status"] in (200, 206):
                    headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
                    headers.append((b"content-type", content_type.encode()))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
