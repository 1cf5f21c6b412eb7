"""Registering, listing and revoking OAuth clients (the `maestro-graph oauth` commands).

Each change is written with its audit event in one transaction, like API writes.
"""

from __future__ import annotations

from typing import Any

from maestro_graph import domain
from maestro_graph.auth import client_secrets, scopes
from maestro_graph.db.graph import GraphDB
from maestro_graph.repositories import audit, nodes, oauth_clients

CLI_ACTOR = "cli"


class ClientError(ValueError):
    """A request the command line should refuse with a message."""


async def create_client(db: GraphDB, name: str, scope: str, person_id: str | None = None) -> dict[str, str]:
    """Register a client; returns its id and secret, the only time the secret is seen."""
    try:
        name = domain.valid_name(name)
        granted = scopes.valid(scope)
        person_id = None if person_id is None else domain.valid_id(person_id, "person")
    except (domain.InvalidInput, ValueError) as error:
        raise ClientError(str(error)) from None
    client_id, secret = client_secrets.new_client_id(), client_secrets.new_client_secret()

    async def work(tx):
        if person_id is not None and not await nodes.existing_ids(tx, "Person", [person_id]):
            raise ClientError(f"no Person with id {person_id!r}: create the person first")
        await oauth_clients.create(tx, client_id, name, client_secrets.hash_secret(secret), granted, person_id)
        await audit.record(
            tx,
            action="oauth.createClient",
            actor=CLI_ACTOR,
            client_id=client_id,
            person_id=person_id,
            targets=[client_id],
            changed=["name", "scopes"] + (["person_id"] if person_id else []),
        )

    await db.write(work)
    return {"client_id": client_id, "client_secret": secret}


async def list_clients(db: GraphDB) -> list[dict[str, Any]]:
    rows = await db.read(oauth_clients.list_all)
    return [{key: _plain(value) for key, value in row.items()} for row in rows]


async def revoke_client(db: GraphDB, client_id: str) -> dict[str, Any]:
    async def work(tx):
        client = await oauth_clients.revoke(tx, client_id)
        if client is None:
            raise ClientError(f"no client {client_id!r}")
        await audit.record(
            tx,
            action="oauth.revokeClient",
            actor=CLI_ACTOR,
            client_id=client_id,
            person_id=client.get("person_id"),
            targets=[client_id],
            changed=["revoked_at"],
        )
        return client

    client = await db.write(work)
    return {key: _plain(value) for key, value in client.items()}


def _plain(value: Any) -> Any:
    """Neo4j temporal values as ISO 8601 text, for JSON output."""
    return value.iso_format() if hasattr(value, "iso_format") else value
