"""`maestro-graph seed`, `import`, `export`, `import-git`, `import-mlflow` and `import-feast`: data
into the graph (and, for `export`, back out as the bundle `import` reads)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from maestro_graph.cli_support import console, fail, migrated_graph
from maestro_graph.config import Settings, get_settings

if TYPE_CHECKING:
    from maestro_graph.ingest.bundle_import import ImportReport

commands = typer.Typer()

# Rejected rows and problems printed after a report; the rest go to --rejects (or are counted).
_SHOWN = 20


@commands.command()
def seed(
    demo: Annotated[bool, typer.Option("--demo", help="The synthetic ML-team demo graph.")] = False,
    seed_value: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """Write demo data into the graph."""
    from maestro_graph.ingest.demo_seed import seed_demo

    if not demo:
        console.print("nothing to seed: pass --demo")
        raise typer.Exit(2)
    with migrated_graph() as graph:
        counts = seed_demo(graph.driver, graph.database, seed=seed_value)
    console.print("seeded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@commands.command("import")
def import_command(
    bundle_dir: Annotated[
        Path, typer.Argument(help="Folder of projects/artifacts/people/uses/members/outcomes .csv[.gz]")
    ],
    batch_size: Annotated[int | None, typer.Option(help="Rows per write transaction.")] = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Write every rejected row (file, line, reason) to this CSV.")
    ] = None,
    initial: Annotated[
        bool,
        typer.Option(
            "--initial",
            help="A first import into the managed Neo4j's empty database with Neo4j's offline importer: "
            "the same graph, written faster; the server stops meanwhile. Refused when the graph holds data.",
        ),
    ] = False,
) -> None:
    """Import a CSV bundle; bad rows are reported and skipped, good ones written. A bundle
    that cannot be read is refused (exit 2) before anything is written."""
    from maestro_graph.observability import batch

    settings = get_settings()
    run = _initial_import if initial else _import
    report = run(settings, bundle_dir, batch_size or settings.import_batch_size)
    batch.record_import(report)
    batch.publish(settings, "import")
    table = Table("file", "read", "written", "rejected")
    for name, file_report in report.files.items():
        table.add_row(name, str(file_report.read), str(file_report.written), str(file_report.rejected))
    console.print(table)
    console.print(f"{report.rows_read} rows in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)")
    # Reasons quote row values: printed as text, never read as rich markup.
    for rejection in report.rejections[:_SHOWN]:
        console.print(
            f"  rejected {rejection.file}:{rejection.line}: {rejection.reason}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if len(report.rejections) > _SHOWN:
        console.print(f"  … and {len(report.rejections) - _SHOWN} more" + ("" if rejects else " (use --rejects FILE)"))
    if rejects:
        try:
            with open(rejects, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["file", "line", "reason"])
                writer.writerows((r.file, r.line, r.reason) for r in report.rejections)
        except OSError as error:
            fail(f"cannot write the rejects report to {rejects}: {error.strerror}")


@contextmanager
def _counted_as_failed(
    settings: Settings, refusals: tuple[type[Exception], ...], failures: tuple[type[Exception], ...]
) -> Iterator[None]:
    """A run that ends without its work is counted as a failed import: `refusals` (nothing was
    written) end it with exit 2, `failures` with exit 1, anything else is raised as it is."""
    from maestro_graph.observability import batch

    try:
        yield
    except typer.Exit:
        raise
    except Exception as error:
        batch.record_failure("import")
        batch.publish(settings, "import")
        if isinstance(error, refusals):
            fail(f"import refused: {error}", 2)
        if isinstance(error, failures):
            fail(f"import failed: {error}")
        raise  # Neo4j lost mid-import, say: reported as it is


def _import(settings: Settings, bundle_dir: Path, batch_size: int) -> ImportReport:
    from maestro_graph.ingest.bundle_files import BundleError
    from maestro_graph.ingest.bundle_import import import_bundle

    with migrated_graph(settings) as graph, _counted_as_failed(settings, (BundleError,), ()):
        return import_bundle(graph.driver, graph.database, bundle_dir, batch_size, show_progress=sys.stderr.isatty())


def _initial_import(settings: Settings, bundle_dir: Path, batch_size: int) -> ImportReport:
    from maestro_graph.db.connection import Neo4jUnavailable
    from maestro_graph.db.managed_neo4j import Neo4jServerError
    from maestro_graph.ingest.bundle_files import BundleError
    from maestro_graph.ingest.offline_import import InitialImportFailed, InitialImportRefused, import_initial

    refusals = (BundleError, InitialImportRefused)
    shown = sys.stderr.isatty()
    with _counted_as_failed(settings, refusals, (InitialImportFailed, Neo4jServerError, Neo4jUnavailable)):
        report = import_initial(
            settings,
            bundle_dir,
            batch_size,
            show_progress=shown,
            # A line per phase: the progress bars of the reading may still be on screen.
            on_phase=lambda phase: console.print(f"{phase}…") if shown else None,
        )
    console.print("  " + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in report.phases.items()))
    return report


@commands.command("export")
def export_command(
    bundle_dir: Annotated[Path, typer.Argument(help="A new (or empty) folder for the bundle's .csv files.")],
) -> None:
    """Write the graph as a CSV bundle that `import` reads back. What the bundle format has no
    place for is listed at the end (use `backup` for a complete copy)."""
    from maestro_graph.ingest.bundle_export import NOT_EXPORTED, ExportError, export_bundle

    with migrated_graph() as graph:
        try:
            report = export_bundle(graph.driver, graph.database, bundle_dir)
        except ExportError as error:
            fail(f"export refused: {error}", 2)
    table = Table("file", "rows")
    for stem, count in report.rows.items():
        table.add_row(f"{stem}.csv", str(count))
    console.print(table)
    console.print("not in a bundle (use `maestro-graph backup` for these): " + "; ".join(NOT_EXPORTED))


@commands.command("import-git")
def import_git_command(
    paths: Annotated[list[Path], typer.Argument(help="Local git repositories (work trees or bare).")],
    project_id: Annotated[
        str | None,
        typer.Option("--project-id", help="Project of every repository given (default: each repository's name)."),
    ] = None,
) -> None:
    """Import git history: people, memberships, dependencies, model/dataset references, weekly metrics.

    Importing again reads only the commits added since."""
    from maestro_graph.ingest.git.importer import MAX_ARTIFACTS_PER_FILE, GitImportError, import_repositories

    with migrated_graph() as graph:
        try:
            with console.status("importing git history"):
                reports = import_repositories(graph.driver, graph.database, paths, project_id)
        except GitImportError as error:
            fail(error, 2)
    table = Table("repository", "project", "mode", "commits", "people", "libraries", "models", "datasets", "weeks")
    for r in reports:
        table.add_row(
            r.repository_id,
            r.project_id,
            r.mode,
            str(r.commits),
            str(r.people),
            str(r.libraries),
            str(r.models),
            str(r.datasets),
            str(r.weeks),
        )
    console.print(table)
    for r in reports:
        if r.left_out:
            console.print(
                f"[yellow]{r.repository_id}: {r.left_out} artifacts left out, over the "
                f"{MAX_ARTIFACTS_PER_FILE} one file may add (the files are named below)[/yellow]"
            )
        for problem in r.problems[:_SHOWN]:
            console.print(f"  {r.repository_id}: {problem}")
        if len(r.problems) > _SHOWN:
            console.print(f"  {r.repository_id}: … and {len(r.problems) - _SHOWN} more problems")


@commands.command("import-mlflow")
def import_mlflow_command(
    tracking_uri: Annotated[str, typer.Argument(help="The MLflow tracking server, e.g. http://127.0.0.1:5000.")],
    experiment: Annotated[
        list[str] | None,
        typer.Option("--experiment", help="Import only this experiment (by name); may be given again."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only runs started at or after this ISO 8601 date or time.")
    ] = None,
) -> None:
    """Import MLflow experiments, runs, datasets and models: projects, people, artifacts, weekly metrics.

    Importing again reads only the runs started since (and those still running then)."""
    from maestro_graph.ingest.mlflow.importer import MlflowImportError, import_mlflow, parse_since

    try:
        start = parse_since(since)
    except MlflowImportError as error:
        fail(error, 2)
    with migrated_graph() as graph:
        try:
            with console.status("importing from MLflow") as status:
                report = import_mlflow(
                    graph.driver,
                    graph.database,
                    tracking_uri,
                    experiment,
                    start,
                    on_progress=lambda message: status.update(f"importing from MLflow: {message}"),
                )
        except MlflowImportError as error:
            fail(error, 2)
    table = Table("experiment", "project", "mode", "runs", "people", "datasets", "models", "weeks")
    for r in report.experiments:
        table.add_row(
            r.experiment, r.project_id, r.mode, str(r.runs), str(r.people), str(r.datasets), str(r.models), str(r.weeks)
        )
    console.print(table, markup=False, highlight=False)
    console.print(f"{report.server}: {report.registered_models} registered models")
    problems = [p for r in report.experiments for p in r.problems] + report.problems
    for problem in problems[:_SHOWN]:
        console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
    if len(problems) > _SHOWN:
        console.print(f"  … and {len(problems) - _SHOWN} more problems")


@commands.command("import-feast")
def import_feast_command(
    repo_path: Annotated[Path, typer.Argument(help="A Feast feature repository (feature_store.yaml), applied.")],
) -> None:
    """Import a Feast registry: data sources, feature views and feature services as artifacts and their lineage.

    The registry is read whole; importing again changes nothing unless it changed."""
    from maestro_graph.ingest.feast_repo import FeastImportError, import_feast

    with migrated_graph() as graph:
        try:
            with console.status("importing the Feast registry"):
                report = import_feast(graph.driver, graph.database, repo_path)
        except FeastImportError as error:
            fail(error, 2)
    table = Table(
        "feast project", "sources", "feature views", "on-demand views", "feature services", "used by projects"
    )
    table.add_row(
        report.project,
        str(report.sources),
        str(report.feature_views),
        str(report.on_demand_views),
        str(report.feature_services),
        str(report.uses),
    )
    console.print(table, markup=False, highlight=False)
    for problem in report.problems[:_SHOWN]:
        console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
