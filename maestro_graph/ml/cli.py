"""`maestro-graph embed`, `train` and `evaluate`: the usage model's batch jobs.

torch and the sentence embedder load only inside the command that needs them, so the rest
of the command line starts fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from maestro_graph.cli_support import console, fail, migrated_graph
from maestro_graph.config import get_settings

commands = typer.Typer()


@commands.command()
def embed() -> None:
    """Embed project and artifact texts whose name or description changed (all-MiniLM-L6-v2)."""
    from rich.progress import Progress, TaskID

    from maestro_graph.ml.text_embedding import MiniLMEmbedder
    from maestro_graph.ml.training.node_embeddings import embed_nodes

    with migrated_graph() as graph, Progress(console=console, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def on_progress(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(f"embedding {label} texts", total=total)
            progress.update(tasks[label], completed=done)

        reports = embed_nodes(graph.driver, graph.database, MiniLMEmbedder(), on_progress=on_progress)
    for report in reports:
        console.print(f"{report.label}: {report.embedded} of {report.nodes} embedded (the rest were current)")


@commands.command()
def train(seed: Annotated[int, typer.Option(help="Seed of every random choice in training.")] = 0) -> None:
    """Fit the model on the graph and publish its predictions as new active model versions."""
    from maestro_graph.ml.text_embedding import MiniLMEmbedder
    from maestro_graph.ml.training.train_command import train_and_publish
    from maestro_graph.observability import batch

    settings = get_settings()
    with migrated_graph(settings) as graph, console.status("training") as status:

        def on_step(step: str) -> None:
            status.update(step)
            batch.record_training_step(step)
            batch.publish(settings, "train")

        try:
            report = train_and_publish(graph.driver, graph.database, MiniLMEmbedder(), seed=seed, progress=on_step)
        except ValueError as error:
            batch.record_failure("train")
            batch.publish(settings, "train")
            fail(error)
        except Exception:  # Neo4j lost mid-training, say: counted as failed, then reported as it is
            batch.record_failure("train")
            batch.publish(settings, "train")
            raise
    batch.record_training(report.timings)
    batch.publish(settings, "train")
    for step, seconds in report.timings.items():
        console.print(f"{step}: {seconds:.1f} s")
    typer.echo(json.dumps({"versions": report.versions, "validation": report.validation}, default=float))


@commands.command()
def evaluate(
    bundle_dir: Annotated[Path, typer.Argument(help="A CSV bundle with outcomes (see README).")],
    seed: Annotated[int, typer.Option(help="Seed of the held-out splits and of training.")] = 0,
    seeds: Annotated[int, typer.Option(min=1, help="Runs with seeds SEED, SEED+1, …: mean and spread.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Run the held-out protocol on a bundle: the model beside the classic baselines, in one run."""
    from maestro_graph.ingest.bundle_files import BundleError
    from maestro_graph.ml.evaluation.bundle_evaluation import load_through_neo4j
    from maestro_graph.ml.evaluation.evaluate import evaluate as run_protocol
    from maestro_graph.ml.evaluation.evaluate import evaluate_seeds, render_markdown
    from maestro_graph.ml.evaluation.seed_summary import render_summary

    settings = get_settings()
    try:
        with console.status("importing into a scratch Neo4j"):
            graph, report = load_through_neo4j(bundle_dir, settings.data_dir / "scratch-evaluate")
    except BundleError as error:
        fail(error, 2)
    console.print(f"imported {report.rows_read} rows ({len(report.rejections)} rejected) in {report.seconds:.1f} s")
    if seeds > 1:
        with console.status(f"training and scoring, {seeds} seeds"):
            summary = evaluate_seeds(graph, list(range(seed, seed + seeds)))
        typer.echo(
            json.dumps(summary, default=float, indent=2) if as_json else render_summary(summary["summary"], seeds)
        )
        return
    with console.status("training and scoring"):
        results = run_protocol(graph, seed=seed)
    results.pop("_model", None)
    if as_json:
        typer.echo(json.dumps(results, default=float, indent=2))
    else:
        typer.echo(render_markdown(results))
