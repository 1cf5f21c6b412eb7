"""The `maestro-graph` command line, assembled from the commands each package declares beside
what they drive; what they share (console, failing, connect-and-migrate) is `cli_support`."""

from __future__ import annotations

import typer

from maestro_graph import serving
from maestro_graph.auth import cli as auth_cli
from maestro_graph.db import cli as db_cli
from maestro_graph.graphql import cli as graphql_cli
from maestro_graph.ingest import cli as ingest_cli
from maestro_graph.integrations import cli as integrations_cli
from maestro_graph.ml import cli as ml_cli

app = typer.Typer(
    help="Maestro Graph: which ML artifacts, and which people, make projects succeed.", no_args_is_help=True
)
# Added without a name, a package's commands join the top level; `--help` lists them in this order.
app.add_typer(db_cli.commands)  # migrate
app.add_typer(ingest_cli.commands)  # seed, import, import-git, import-mlflow, import-feast
app.add_typer(ml_cli.commands)  # embed, train, evaluate
app.add_typer(graphql_cli.commands)  # export-schema
app.add_typer(serving.commands)  # serve
app.add_typer(db_cli.neo4j_commands, name="neo4j")
app.add_typer(auth_cli.commands, name="oauth")
app.add_typer(integrations_cli.commands, name="webhooks")


if __name__ == "__main__":  # pragma: no cover
    app()
