"""`maestro-graph oauth …`: the OAuth clients of integrations, and the keys that sign their tokens."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from maestro_graph.cli_support import console, fail, run_with_graph_db
from maestro_graph.config import get_settings

commands = typer.Typer(help="OAuth clients of integrations, and the keys that sign their tokens.", no_args_is_help=True)


@commands.command("create-client")
def create_client_command(
    name: Annotated[str, typer.Argument(help="What the integration is, e.g. 'ci-metadata-sync'.")],
    scope: Annotated[str, typer.Option(help="Space-separated scopes it may ask for: read, write, admin.")] = "read",
    person: Annotated[str | None, typer.Option(help="Id of the Person it acts as (its project roles apply).")] = None,
) -> None:
    """Register a client; prints {client_id, client_secret} as JSON. The secret is shown only now."""
    from maestro_graph.auth.clients import ClientError, create_client

    try:
        created = run_with_graph_db(lambda db: create_client(db, name, scope, person))
    except ClientError as error:
        fail(error, 2)
    typer.echo(json.dumps(created))
    console.print("store the secret now: only its hash is kept")


@commands.command("list-clients")
def list_clients_command() -> None:
    """Every registered client (never a secret) as a JSON array."""
    from maestro_graph.auth.clients import list_clients

    typer.echo(json.dumps(run_with_graph_db(list_clients), indent=2))


@commands.command("revoke-client")
def revoke_client_command(client_id: Annotated[str, typer.Argument()]) -> None:
    """Stop a client: it can get no more tokens, and the tokens it holds stop working."""
    from maestro_graph.auth.clients import ClientError, revoke_client

    try:
        revoked = run_with_graph_db(lambda db: revoke_client(db, client_id))
    except ClientError as error:
        fail(error)
    typer.echo(json.dumps(revoked))


@commands.command("rotate-key")
def rotate_key_command() -> None:
    """Sign new tokens with a new key; the old one verifies until its last token expires."""
    from maestro_graph.auth import keys
    from maestro_graph.auth.services import key_retention_seconds
    from maestro_graph.secret_box import SecretBox

    settings = get_settings()
    box, retention = SecretBox.from_settings(settings), key_retention_seconds(settings)
    typer.echo(json.dumps(run_with_graph_db(lambda db: keys.rotate(db, box, retention))))
