"""`maestro-graph serve`: the API under uvicorn — where the dev profile may listen, whose
forwarding headers are believed, the timeouts every replica shares, and the demo graph a
first run may start with."""

from __future__ import annotations

import gc
import os
from typing import Annotated, Any

import neo4j
import typer

from maestro_graph.auth.loopback import is_loopback
from maestro_graph.cli_support import command_settings, console, fail, migrated_graph
from maestro_graph.config import Settings
from maestro_graph.db import managed_neo4j
from maestro_graph.observability import logs
from maestro_graph.repositories.graph_summary import graph_summary

commands = typer.Typer()

# `serve --demo` trains at start only on a graph this small; a real one is trained with
# `maestro-graph train`, which takes minutes.
DEMO_TRAINING_MAX_PROJECTS = 1000


class BindRefused(ValueError):
    """The address `serve` was asked to listen on is not allowed for the profile."""


def check_bind(settings: Settings, host: str) -> None:
    """The dev profile listens on loopback only, whichever way it was chosen (`--dev`,
    MAESTRO_PROFILE, `.env`): it gives callers without a token full rights and shows GraphiQL
    and unmasked errors, which only this machine may have."""
    if settings.is_dev and not is_loopback(host):
        raise BindRefused(
            f"the dev profile listens on a loopback address only (127.0.0.1, ::1, localhost), not {host!r}: "
            "it gives callers without a token full rights. Use the production profile to serve other machines."
        )


def uvicorn_options(settings: Settings, host: str, port: int) -> dict[str, Any]:
    return {
        "host": host,
        "port": port,
        # Our middleware writes the access log (with request id, route and GraphQL operation).
        "access_log": False,
        "log_config": logs.logging_config(settings.log_format, settings.log_level),
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        "timeout_keep_alive": settings.keep_alive_seconds,
        # uvicorn believes X-Forwarded-For from loopback (or FORWARDED_ALLOW_IPS) by default,
        # which would let any local caller, or one behind a proxy that appends to the header,
        # choose the address its rate limits are kept under. Only the configured proxies count.
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies),
    }


def prepare_demo(driver: neo4j.Driver, database: str) -> None:
    """Seed the demo graph into an empty graph, and train on a small untrained one, so the
    first view shows the models' answers."""
    from maestro_graph.ingest.demo_seed import seed_demo

    if graph_summary(driver, database).projects == 0:
        seed_demo(driver, database)
        console.print("seeded the demo graph")
    summary = graph_summary(driver, database)
    if not summary.trained and summary.projects <= DEMO_TRAINING_MAX_PROJECTS:
        _train_demo(driver, database)


def _train_demo(driver: neo4j.Driver, database: str) -> None:
    from maestro_graph.ml.text_embedding import MiniLMEmbedder
    from maestro_graph.ml.training.train_command import train_and_publish

    with console.status("training on the demo graph") as status:
        train_and_publish(driver, database, MiniLMEmbedder(), progress=lambda step: status.update(step))
    console.print("trained the demo models")


@commands.command()
def serve(
    dev: Annotated[
        bool, typer.Option("--dev", help="GraphiQL, introspection and unmasked errors; loopback only.")
    ] = False,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed the demo graph (and train on it) when the graph is empty.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Worker processes sharing the port (in containers, prefer one worker per replica)."),
    ] = 1,
) -> None:
    """Run the API with uvicorn (starting the managed Neo4j when NEO4J_URI is unset)."""
    import uvicorn

    from maestro_graph.app import create_app
    from maestro_graph.ml.text_embedding import requested_precision
    from maestro_graph.ui.browser_guide import browser_link, guide_url

    settings = command_settings(dev)
    try:
        check_bind(settings, host)
        requested_precision()  # searches embed their text with it; a bad value stops the start
    except ValueError as error:
        fail(error, 2)
    with migrated_graph(settings) as graph:
        if demo:
            prepare_demo(graph.driver, graph.database)
    target = graph.target
    console.print(f"GraphQL on http://{host}:{port}/graphql" + (" (GraphiQL)" if dev else ""))
    if target.browser_url:
        console.print(
            f"Neo4j Browser on {target.browser_url} (user {target.user}, password in "
            f"{managed_neo4j.password_file(settings.data_dir)})"
        )
        guide = guide_url(host, port)
        if guide:
            link = browser_link(target.browser_url, guide)
            # One unwrapped line, so the terminal keeps the link whole.
            console.print(f"Neo4j Browser guide (the model, ready queries): {link} or :guide {guide}", soft_wrap=True)
    options = uvicorn_options(settings, host, port)
    if workers == 1:
        app = create_app(settings, target)
        freeze_startup_heap()
        uvicorn.run(app, **options)
        return
    # Each worker builds its own app from the environment, so what this command decided goes there.
    os.environ["MAESTRO_PROFILE"] = settings.profile
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        import tempfile

        # Workers write their metrics here and /metrics sums them; a fresh folder per start.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="maestro-graph-metrics-")
    uvicorn.run("maestro_graph.serving:worker_app", factory=True, workers=workers, **options)


def freeze_startup_heap() -> None:
    """Move every object alive once the app is built (modules, the schema, the app) out of the
    garbage collector's reach: they live as long as the process, yet each full collection
    walked all of them (~145,000 objects), a pause every in-flight request waited out
    (bench/gc_freeze.py). Garbage is collected first, so none of it is kept. Only for a
    serving process: a process that builds many apps (the tests) would keep each one's
    cycles forever."""
    gc.collect()
    gc.freeze()


def worker_app() -> Any:
    """The app of one `serve --workers N` process, built from the environment."""
    from maestro_graph.app import create_app

    app = create_app()
    freeze_startup_heap()
    return app
