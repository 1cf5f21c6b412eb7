"""`maestro-graph embed`, `train`, `evaluate`, `predict` and `models`: the usage model's batch jobs.

torch and the sentence embedder load only inside the command that needs them, so the rest
of the command line starts fast.
"""

from __future__ import annotations

import json
import logging.config
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from maestro_graph.cli_support import console, fail, migrated_graph
from maestro_graph.config import get_settings

if TYPE_CHECKING:
    from maestro_graph.ml.text_embedding import MiniLMEmbedder

commands = typer.Typer()


def _check_encoder_setting() -> None:
    """A bad MAESTRO_ENCODER_PRECISION ends the command before it reads or imports anything."""
    from maestro_graph.ml.text_embedding import requested_precision

    try:
        requested_precision()
    except ValueError as error:
        fail(error, 2)


def _text_embedder() -> MiniLMEmbedder:
    """The packaged sentence encoder, in the precision the environment asks for."""
    from maestro_graph.ml.text_embedding import MiniLMEmbedder

    _check_encoder_setting()
    return MiniLMEmbedder()


@commands.command()
def embed() -> None:
    """Embed project and artifact texts whose name or description changed (all-MiniLM-L6-v2)."""
    from rich.progress import Progress, TaskID

    from maestro_graph.ml.training.node_embeddings import embed_nodes

    embedder = _text_embedder()
    with migrated_graph() as graph, Progress(console=console, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def on_progress(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(f"embedding {label} texts", total=total)
            progress.update(tasks[label], completed=done)

        reports = embed_nodes(graph.driver, graph.database, embedder, on_progress=on_progress)
    for report in reports:
        console.print(f"{report.label}: {report.embedded} of {report.nodes} embedded (the rest were current)")


@commands.command()
def train(seed: Annotated[int, typer.Option(help="Seed of every random choice in training.")] = 0) -> None:
    """Fit the model on the graph and publish its predictions as new active model versions."""
    from maestro_graph.ml.training.train_command import train_and_publish
    from maestro_graph.observability import batch, logs

    embedder = _text_embedder()
    settings = get_settings()
    # Each step (and embedding progress) is logged as well as shown, so a run under a
    # scheduler, with no terminal, says where it is.
    logging.config.dictConfig(logs.logging_config(settings.log_format, settings.log_level))
    with migrated_graph(settings) as graph, console.status("training") as status:

        def on_step(step: str) -> None:
            status.update(step)
            batch.record_training_step(step)
            batch.publish(settings, "train")

        try:
            report = train_and_publish(graph.driver, graph.database, embedder, seed=seed, progress=on_step)
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
    test_bundle: Annotated[
        Path | None, typer.Argument(help="With --forward: the snapshot to predict (its outcomes only score).")
    ] = None,
    forward: Annotated[
        bool, typer.Option("--forward", help="Train on BUNDLE_DIR's outcomes, predict TEST_BUNDLE from its graph.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the held-out splits and of training.")] = 0,
    seeds: Annotated[int, typer.Option(min=1, help="Runs with seeds SEED, SEED+1, …: mean and spread.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    ablation: Annotated[
        bool, typer.Option("--ablation", help="With --forward: also the model without each input group.")
    ] = False,
) -> None:
    """Run the held-out protocol on a bundle: the model beside the classic baselines, in one run.

    With --forward TRAIN_BUNDLE TEST_BUNDLE: the outcome model and the tree baseline fit on one
    snapshot and predict the other, whose outcome file is read only to score them."""
    _check_encoder_setting()
    if forward or test_bundle is not None:
        if not (forward and test_bundle is not None):
            fail("--forward takes two bundles: TRAIN_BUNDLE TEST_BUNDLE", 2)
        _evaluate_forward(bundle_dir, test_bundle, list(range(seed, seed + seeds)), as_json, ablation)
        return
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


def _evaluate_forward(train_dir: Path, test_dir: Path, seeds: list[int], as_json: bool, ablation: bool) -> None:
    from maestro_graph.ingest.bundle_files import BundleError
    from maestro_graph.ml.evaluation.bundle_evaluation import load_pair_through_neo4j, read_outcomes
    from maestro_graph.ml.evaluation.forward import HEADLINE, VARIANTS, forward_evaluation
    from maestro_graph.ml.evaluation.seed_summary import render_summary

    scratch = get_settings().data_dir / "scratch-evaluate"
    try:
        with console.status("importing both snapshots into a scratch Neo4j, the test one without its outcomes"):
            train, test = load_pair_through_neo4j(train_dir, test_dir, scratch)
        outcomes = read_outcomes(test_dir)
    except BundleError as error:
        fail(error, 2)
    console.print(f"train: {train.num_projects} projects; test: {test.num_projects} projects, {len(outcomes)} outcomes")

    def on_run(seed: int, run: dict) -> None:
        run.pop("_scores", None)
        console.print(f"seed {seed}: " + json.dumps(run["outcome"], default=float))

    with console.status(f"fitting and predicting, {len(seeds)} seed(s)"):
        variants = tuple(VARIANTS) if ablation else HEADLINE
        result = forward_evaluation(train, test, outcomes, seeds, variants, on_run=on_run)
    typer.echo(
        json.dumps(result, default=float, indent=2) if as_json else render_summary(result["summary"], len(seeds))
    )


@commands.command()
def predict(
    model: Annotated[
        str | None, typer.Option("--model", help="The model version to score with (default: the active one).")
    ] = None,
) -> None:
    """Score the graph with a stored outcome model and publish the scores as a new active version."""
    from maestro_graph.ml.model_file import ModelFileError
    from maestro_graph.ml.serving.outcome_versions import ModelVersionError, predict_and_publish

    with migrated_graph() as graph, console.status("scoring"):
        try:
            report = predict_and_publish(graph.driver, graph.database, model)
        except (ModelVersionError, ModelFileError) as error:
            fail(error)
    console.print(f"scored {report.projects} projects with model {report.model}")
    typer.echo(json.dumps({"version": report.version, "model": report.model, "projects": report.projects}))


models = typer.Typer(help="Move outcome models between graphs: a portable model file.", no_args_is_help=True)
commands.add_typer(models, name="models")


@models.command("export")
def export_model(
    version: Annotated[str, typer.Argument(help="The model version to export.")],
    file: Annotated[Path, typer.Argument(help="Where to write the model file (refuses to overwrite).")],
) -> None:
    """Write a stored outcome model version to a portable model file."""
    from maestro_graph.ml.model_file import ModelFileError
    from maestro_graph.ml.serving.outcome_versions import ModelVersionError
    from maestro_graph.ml.serving.outcome_versions import export_model as read_stored

    with migrated_graph() as graph:
        try:
            data = read_stored(graph.driver, graph.database, version)
        except (ModelVersionError, ModelFileError) as error:
            fail(error)
    try:
        with file.open("xb") as out:  # never replaces a file already there
            out.write(data)
    except OSError as error:
        fail(f"cannot write {file}: {error.strerror or error}")
    console.print(f"wrote model {version} to {file} ({len(data)} bytes)")


@models.command("import")
def import_model(file: Annotated[Path, typer.Argument(help="A model file written by `models export`.")]) -> None:
    """Store a model file as an inactive outcome version; `predict --model VERSION` serves it."""
    from maestro_graph.ml.model_file import MAX_FILE_BYTES, ModelFileError
    from maestro_graph.ml.serving.outcome_versions import import_model as store

    try:
        if not file.is_file() or file.stat().st_size > MAX_FILE_BYTES:
            fail(f"{file}: not a file, or larger than {MAX_FILE_BYTES} bytes", 2)
        data = file.read_bytes()
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror or error}", 2)
    with migrated_graph() as graph:
        try:
            version = store(graph.driver, graph.database, data)
        except ModelFileError as error:
            fail(error, 2)
    console.print(f"imported model {version}; publish its predictions with `predict --model {version}`")
    typer.echo(json.dumps({"version": version}))
