"""`maestro-graph webhooks …`: register the GitHub repositories whose webhooks we accept."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from maestro_graph.cli_support import console, fail, run_with_graph_db
from maestro_graph.config import get_settings

commands = typer.Typer(help="CI/CD webhook integrations (GitHub repositories and their secrets).", no_args_is_help=True)


@commands.command("add-github")
def add_github(
    repository: Annotated[str, typer.Argument(help="owner/name of the GitHub repository.")],
    project_id: Annotated[str, typer.Option("--project-id", help="The project its events are for.")],
    deploy_workflow: Annotated[
        list[str] | None,
        typer.Option("--deploy-workflow", help="A workflow whose runs are production deployments (repeatable)."),
    ] = None,
) -> None:
    """Register a repository; prints its webhook secret once (paste it into GitHub's webhook settings)."""
    from maestro_graph.integrations.registry import IntegrationError, create_github
    from maestro_graph.secret_box import SecretBox

    box = SecretBox.from_settings(get_settings())
    try:
        created = run_with_graph_db(lambda db: create_github(db, box, repository, project_id, deploy_workflow or []))
    except IntegrationError as error:
        fail(error, 2)
    typer.echo(json.dumps(created))
    console.print(
        "Payload URL: <this service>/webhooks/github, content type application/json, events: "
        "pushes, deployment statuses, workflow runs. Store the secret now: it is not shown again."
    )


@commands.command("list")
def list_integrations() -> None:
    """Every integration (never a secret) as a JSON array."""
    from maestro_graph.integrations.registry import list_integrations as list_all

    typer.echo(json.dumps(run_with_graph_db(list_all), indent=2))


@commands.command("remove")
def remove(integration_id: Annotated[str, typer.Argument(help="e.g. github:owner/name")]) -> None:
    """Stop accepting an integration's webhooks."""
    from maestro_graph.integrations.registry import IntegrationError
    from maestro_graph.integrations.registry import remove as remove_integration

    try:
        removed = run_with_graph_db(lambda db: remove_integration(db, integration_id))
    except IntegrationError as error:
        fail(error)
    typer.echo(json.dumps(removed))
