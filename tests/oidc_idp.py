"""A real OpenID Connect provider on loopback for the tests: panva's oidc-provider (npm,
OpenID Certified), run by tests/oidc_provider/provider.mjs under Node. `bin/dev test`
installs it with `npm ci` from the committed lock file.

Besides starting it, this module can sign a person in over plain HTTP, as a browser would
(the provider's development sign-in and consent forms, then the code exchange with PKCE), so
API tests get the provider's own access tokens without driving Chromium.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from maestro_graph.net import free_loopback_port

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
AUDIENCE = "urn:maestro-graph:api"
OTHER_AUDIENCE = "urn:someone-else:api"
CLIENT_ID = "maestro-explorer"
ADMIN_GROUP = "maestro-admins"

# Who can sign in (any password): login -> display name, Person id, groups.
PEOPLE = {
    "ada": {"name": "Ada Lovelace", "personId": "p-ada", "groups": ["staff"]},
    "grace": {"name": "Grace Hopper", "personId": "p-grace", "groups": ["staff", ADMIN_GROUP]},
    "zed": {"name": "Zed Stranger", "personId": "p-not-in-the-graph", "groups": [ADMIN_GROUP]},
}


@dataclass
class Provider:
    issuer: str
    redirect_uri: str


def available() -> None:
    """Skips the calling test when Node or the provider's packages are missing."""
    if shutil.which("node") is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("the test OIDC provider is not installed: `bin/dev test` runs npm ci in tests/oidc_provider")


def provider_port() -> int:
    return free_loopback_port()


@contextlib.contextmanager
def running(port: int, redirect_uri: str) -> Iterator[Provider]:
    """The provider on 127.0.0.1:`port`, its Explorer client sending people back to `redirect_uri`."""
    available()
    config = {
        "port": port,
        "audience": AUDIENCE,
        "otherAudiences": [OTHER_AUDIENCE],
        "clientId": CLIENT_ID,
        "redirectUris": [redirect_uri],
        "people": PEOPLE,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as config_file:
        json.dump(config, config_file)
        config_file.flush()
        process = subprocess.Popen(
            ["node", "provider.mjs", config_file.name],
            cwd=PROVIDER_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            line = _first_line(process, timeout=30)
            assert line.startswith("ready "), f"the OIDC provider did not start: {line!r}"
            yield Provider(issuer=line.split()[1], redirect_uri=redirect_uri)
        finally:
            assert process.stdin is not None
            process.stdin.close()  # the script stops when its input ends
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _first_line(process: subprocess.Popen, timeout: float) -> str:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    return lines[0].strip() if lines else ""


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def sign_in(provider: Provider, login: str, scope: str = "openid profile read write", resource: str = AUDIENCE) -> dict:
    """Signs `login` in through the provider's own pages and returns its token response."""
    verifier, challenge = _pkce()
    with httpx.Client(base_url=provider.issuer, timeout=10) as http:
        response = http.get(
            "/auth",
            params={
                "client_id": CLIENT_ID,
                "redirect_uri": provider.redirect_uri,
                "response_type": "code",
                "scope": scope,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "state": "s",
                "resource": resource,
            },
        )
        for _ in range(12):  # the login form, the consent form, then back to the client with a code
            assert response.status_code in (302, 303), response.text
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(provider.redirect_uri):
                code = parse_qs(urlsplit(location).query)["code"][0]
                break
            response = http.get(location)
            if response.status_code == 200:
                response = _submit(http, location, response.text, login)
        else:
            raise AssertionError("the provider never sent the person back")
        token = http.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": provider.redirect_uri,
                "client_id": CLIENT_ID,
                "code_verifier": verifier,
                "resource": resource,
            },
        )
        assert token.status_code == 200, token.text
        return token.json()


def _submit(http: httpx.Client, location: str, page: str, login: str) -> httpx.Response:
    """Fills the provider's development sign-in form (any password) or accepts its consent form."""
    action = re.search(r'action="([^"]+)"', page)
    assert action, page
    fields = {"prompt": "login", "login": login, "password": "any"} if 'name="login"' in page else {"prompt": "consent"}
    return http.post(urljoin(location, action.group(1)), data=fields)
