"""The `maestro-graph` command line."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from maestro_graph import neo4j_server
from maestro_graph.config import Settings, get_settings
from maestro_graph.db import migrations
from maestro_graph.db.connection import Neo4jTarget, Neo4jUnavailable, open_driver, resolve_target
from maestro_graph.integrations.cli import app as webhooks_app

app = typer.Typer(help="Maestro Graph: which ML artifacts, and which people, make projects succeed.", no_args_is_help=True)
neo4j_app = typer.Typer(help="The managed local Neo4j (ignored when NEO4J_URI is set).", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
console = Console(stderr=True)


def _settings(dev: bool = False) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"profile": "dev"}) if dev else settings


def _target(settings: Settings, start: bool = True) -> Neo4jTarget:
    try:
        return resolve_target(settings, start_managed=start)
    except (Neo4jUnavailable, neo4j_server.Neo4jServerError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None


def _migrate(target: Neo4jTarget) -> list[str]:
    with open_driver(target) as driver:
        return migrations.migrate(driver, target.database)


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Install (first time) and start the managed Neo4j; waits until Bolt answers."""
    settings = get_settings()
    if settings.neo4j_uri:
        console.print(f"NEO4J_URI is set ({settings.neo4j_uri}): nothing to start.")
        return
    conn = _target(settings, start=True)
    typer.echo(json.dumps({"uri": conn.uri, "user": conn.user, "browser": conn.browser_url,
                           "passwordFile": str(settings.data_dir / "neo4j" / "password")}))


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the managed Neo4j (no-op when it is not running)."""
    stopped = neo4j_server.stop(get_settings().data_dir)
    console.print("stopped" if stopped else "not running")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Say whether the managed Neo4j is running; exit 1 when it is not."""
    conn = neo4j_server.status(get_settings().data_dir)
    if conn is None:
        console.print("not running")
        raise typer.Exit(1)
    typer.echo(json.dumps({"uri": conn.uri, "user": conn.user, "browser": conn.browser_url}))


@app.command()
def migrate() -> None:
    """Apply pending schema migrations (cypher/migrations)."""
    applied = _migrate(_target(get_settings()))
    console.print(f"applied: {', '.join(applied)}" if applied else "schema is up to date")


@app.command()
def seed(demo: Annotated[bool, typer.Option("--demo", help="The synthetic ML-team demo graph.")] = False,
         seed_value: Annotated[int, typer.Option("--seed")] = 7) -> None:
    """Write demo data into the graph."""
    from maestro_graph.ingest.demo_seed import seed_demo

    if not demo:
        console.print("nothing to seed: pass --demo")
        raise typer.Exit(2)
    target = _target(get_settings())
    _migrate(target)
    with open_driver(target) as driver:
        counts = seed_demo(driver, target.database, seed=seed_value)
    console.print("seeded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@app.command("import")
def import_command(
    bundle_dir: Annotated[Path, typer.Argument(help="Folder of projects/artifacts/people/uses/members/outcomes .csv[.gz]")],
    batch_size: Annotated[int | None, typer.Option(help="Rows per write transaction.")] = None,
    rejects: Annotated[Path | None, typer.Option(help="Write every rejected row (file, line, reason) to this CSV.")] = None,
) -> None:
    """Import a CSV bundle; bad rows are reported and skipped, good ones written."""
    from maestro_graph.ingest.bundle_files import BundleError
    from maestro_graph.ingest.bundle_import import import_bundle
    from maestro_graph.observability import batch

    settings = get_settings()
    target = _target(settings)
    _migrate(target)
    try:
        with open_driver(target) as driver:
            report = import_bundle(driver, target.database, bundle_dir, batch_size or settings.import_batch_size,
                                   show_progress=sys.stderr.isatty())
    except BundleError as error:
        batch.IMPORT_RUNS.labels("failed").inc()
        batch.publish(settings, "import")
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    batch.record_import(report)
    batch.publish(settings, "import")
    table = Table("file", "read", "written", "rejected")
    for name, file_report in report.files.items():
        table.add_row(name, str(file_report.read), str(file_report.written), str(file_report.rejected))
    console.print(table)
    console.print(f"{report.rows_read} rows in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)")
    for rejection in report.rejections[:20]:
        console.print(f"  rejected {rejection.file}:{rejection.line}: {rejection.reason}")
    if len(report.rejections) > 20:
        console.print(f"  … and {len(report.rejections) - 20} more" + ("" if rejects else " (use --rejects FILE)"))
    if rejects:
        with open(rejects, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "line", "reason"])
            writer.writerows((r.file, r.line, r.reason) for r in report.rejections)


@app.command("import-git")
def import_git_command(
    paths: Annotated[list[Path], typer.Argument(help="Local git repositories (work trees or bare).")],
    project_id: Annotated[str | None, typer.Option(
        "--project-id", help="Project of every repository given (default: each repository's name).")] = None,
) -> None:
    """Import git history: people, memberships, dependencies, model/dataset references, weekly metrics.

    Importing again reads only the commits added since."""
    from maestro_graph.ingest.git.importer import GitImportError, import_repositories

    settings = get_settings()
    target = _target(settings)
    _migrate(target)
    try:
        with open_driver(target) as driver, console.status("importing git history"):
            reports = import_repositories(driver, target.database, paths, project_id)
    except GitImportError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    table = Table("repository", "project", "mode", "commits", "people", "libraries", "models", "datasets", "weeks")
    for r in reports:
        table.add_row(r.repository_id, r.project_id, r.mode, str(r.commits), str(r.people), str(r.libraries),
                      str(r.models), str(r.datasets), str(r.weeks))
    console.print(table)
    for r in reports:
        for problem in r.problems[:20]:
            console.print(f"  {r.repository_id}: {problem}")


@app.command()
def embed() -> None:
    """Embed project and artifact texts whose name or description changed (all-MiniLM-L6-v2)."""
    from rich.progress import Progress

    from maestro_graph.ml.node_embeddings import embed_nodes
    from maestro_graph.ml.text_embedding import MiniLMEmbedder

    target = _target(get_settings())
    _migrate(target)
    with open_driver(target) as driver, Progress(console=console, transient=True) as progress:
        tasks: dict[str, int] = {}

        def on_progress(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(f"embedding {label} texts", total=total)
            progress.update(tasks[label], completed=done)

        reports = embed_nodes(driver, target.database, MiniLMEmbedder(), on_progress=on_progress)
    for report in reports:
        console.print(f"{report.label}: {report.embedded} of {report.nodes} embedded (the rest were current)")


@app.command()
def train(seed: Annotated[int, typer.Option(help="Seed of every random choice in training.")] = 0) -> None:
    """Fit the model on the graph and publish its predictions as new active model versions."""
    from maestro_graph.ml.text_embedding import MiniLMEmbedder
    from maestro_graph.ml.training_run import train_and_publish
    from maestro_graph.observability import batch

    settings = get_settings()
    target = _target(settings)
    _migrate(target)

    def on_step(step: str) -> None:
        status.update(step)
        batch.record_training_step(step)
        batch.publish(settings, "train")

    with open_driver(target) as driver, console.status("training") as status:
        try:
            report = train_and_publish(driver, target.database, MiniLMEmbedder(), seed=seed, progress=on_step)
        except ValueError as error:
            batch.TRAINING_RUNS.labels("failed").inc()
            batch.publish(settings, "train")
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
    batch.record_training(report.timings)
    batch.publish(settings, "train")
    for step, seconds in report.timings.items():
        console.print(f"{step}: {seconds:.1f} s")
    typer.echo(json.dumps({"versions": report.versions, "validation": report.validation}, default=float))


@app.command()
def evaluate(
    bundle_dir: Annotated[Path, typer.Argument(help="A CSV bundle with outcomes (see README).")],
    seed: Annotated[int, typer.Option(help="Seed of the held-out splits and of training.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Run the held-out protocol on a bundle: the model beside the classic baselines, in one run."""
    from maestro_graph.ingest.bundle_files import BundleError
    from maestro_graph.ml.bundle_evaluation import load_through_neo4j
    from maestro_graph.ml.evaluate import evaluate as run_protocol
    from maestro_graph.ml.evaluate import render_markdown

    settings = get_settings()
    try:
        with console.status("importing into a scratch Neo4j"):
            graph, report = load_through_neo4j(bundle_dir, settings.data_dir / "scratch-evaluate")
    except BundleError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    console.print(f"imported {report.rows_read} rows ({len(report.rejections)} rejected) in {report.seconds:.1f} s")
    with console.status("training and scoring"):
        results = run_protocol(graph, seed=seed)
    results.pop("_model", None)
    if as_json:
        typer.echo(json.dumps(results, default=float, indent=2))
    else:
        typer.echo(render_markdown(results))


@app.command("export-schema")
def export_schema(check: Annotated[bool, typer.Option("--check", help="Exit 1 if schema.graphql differs.")] = False) -> None:
    """Write the GraphQL SDL to schema.graphql (or check that it is current)."""
    from maestro_graph.graphql.schema import SDL_PATH, export_sdl

    sdl = export_sdl()
    if check:
        current = SDL_PATH.read_text(encoding="utf-8") if SDL_PATH.exists() else ""
        if current != sdl:
            console.print("schema.graphql is out of date: run `maestro-graph export-schema`")
            raise typer.Exit(1)
        return
    SDL_PATH.write_text(sdl, encoding="utf-8")
    console.print(f"wrote {SDL_PATH}")


def _train_demo(driver, database: str) -> None:
    """Embed and train on the demo graph, so its first view shows the models' answers."""
    from maestro_graph.ml.text_embedding import MiniLMEmbedder
    from maestro_graph.ml.training_run import train_and_publish

    with console.status("training on the demo graph") as status:
        train_and_publish(driver, database, MiniLMEmbedder(), progress=lambda step: status.update(step))
    console.print("trained the demo models")


@app.command()
def serve(
    dev: Annotated[bool, typer.Option("--dev", help="GraphiQL, introspection and unmasked errors; loopback only.")] = False,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help="Seed the demo graph (and train on it) when the graph is empty.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes sharing the port (in containers, prefer "
                                                     "one worker per replica).")] = 1,
) -> None:
    """Run the API with uvicorn (starting the managed Neo4j when NEO4J_URI is unset)."""
    import uvicorn

    from maestro_graph.app import create_app
    from maestro_graph.ingest.demo_seed import seed_demo

    if dev and host not in ("127.0.0.1", "localhost", "::1"):
        console.print("[red]--dev serves GraphiQL without masking errors: it binds to loopback only[/red]")
        raise typer.Exit(2)
    settings = _settings(dev)
    target = _target(settings)
    _migrate(target)
    if demo:
        with open_driver(target) as driver:
            empty = driver.execute_query("MATCH (n:Project) RETURN count(n) = 0 AS empty", database_=target.database)
            if empty.records[0]["empty"]:
                seed_demo(driver, target.database)
                console.print("seeded the demo graph")
            # Train here only on a small graph: a real one is trained with `maestro-graph train`.
            state = driver.execute_query(
                "RETURN COUNT { (:Model {active: true}) } > 0 AS trained, COUNT { (:Project) } AS projects",
                database_=target.database).records[0]
            if not state["trained"] and state["projects"] <= 1000:
                _train_demo(driver, target.database)
    console.print(f"GraphQL on http://{host}:{port}/graphql" + (" (GraphiQL)" if dev else ""))
    if target.browser_url:
        console.print(f"Neo4j Browser on {target.browser_url} (user {target.user}, password in "
                      f"{settings.data_dir / 'neo4j' / 'password'})")
    from maestro_graph.observability import logs

    # Our middleware writes the access log (with request id, route and GraphQL operation).
    options = dict(host=host, port=port, access_log=False,
                   log_config=logs.logging_config(settings.log_format, settings.log_level),
                   timeout_graceful_shutdown=settings.shutdown_grace_seconds,
                   timeout_keep_alive=settings.keep_alive_seconds)
    if workers == 1:
        uvicorn.run(create_app(settings, target), **options)
        return
    # Each worker builds its own app from the environment, so what this command decided goes there.
    os.environ["MAESTRO_PROFILE"] = settings.profile
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        import tempfile

        # Workers write their metrics here and /metrics sums them; a fresh folder per start.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="maestro-graph-metrics-")
    uvicorn.run("maestro_graph.app:create_app", factory=True, workers=workers, **options)


oauth_app = typer.Typer(help="OAuth clients of integrations, and the keys that sign their tokens.", no_args_is_help=True)
app.add_typer(oauth_app, name="oauth")
app.add_typer(webhooks_app, name="webhooks")


def _with_db(work):
    """Run `work(db)` against the configured Neo4j (migrated first) and return its result."""
    import asyncio

    from maestro_graph.db.connection import open_async_driver
    from maestro_graph.db.graph import GraphDB

    target = _target(get_settings())
    _migrate(target)

    async def run():
        db = GraphDB(open_async_driver(target, max_pool_size=2), target.database)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())


@oauth_app.command("create-client")
def oauth_create_client(
    name: Annotated[str, typer.Argument(help="What the integration is, e.g. 'ci-metadata-sync'.")],
    scope: Annotated[str, typer.Option(help="Space-separated scopes it may ask for: read, write, admin.")] = "read",
    person: Annotated[str | None, typer.Option(help="Id of the Person it acts as (its project roles apply).")] = None,
) -> None:
    """Register a client; prints {client_id, client_secret} as JSON. The secret is shown only now."""
    from maestro_graph.auth.clients import ClientError, create_client

    try:
        created = _with_db(lambda db: create_client(db, name, scope, person))
    except ClientError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    typer.echo(json.dumps(created))
    console.print("store the secret now: only its hash is kept")


@oauth_app.command("list-clients")
def oauth_list_clients() -> None:
    """Every registered client (never a secret) as a JSON array."""
    from maestro_graph.auth.clients import list_clients

    typer.echo(json.dumps(_with_db(list_clients), indent=2))


@oauth_app.command("revoke-client")
def oauth_revoke_client(client_id: Annotated[str, typer.Argument()]) -> None:
    """Stop a client: it can get no more tokens, and the tokens it holds stop working."""
    from maestro_graph.auth.clients import ClientError, revoke_client

    try:
        revoked = _with_db(lambda db: revoke_client(db, client_id))
    except ClientError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    typer.echo(json.dumps(revoked))


@oauth_app.command("rotate-key")
def oauth_rotate_key() -> None:
    """Sign new tokens with a new key; the old one verifies until its last token expires."""
    from maestro_graph.auth import keys
    from maestro_graph.auth.services import key_retention_seconds

    retention = key_retention_seconds(get_settings())
    typer.echo(json.dumps(_with_db(lambda db: keys.rotate(db, retention))))


if __name__ == "__main__":  # pragma: no cover
    app()
