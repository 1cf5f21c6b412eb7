"""`maestro-graph export-schema`: the GraphQL SDL the API serves, kept in schema.graphql."""

from __future__ import annotations

from typing import Annotated

import typer

from maestro_graph.cli_support import console

commands = typer.Typer()


@commands.command("export-schema")
def export_schema(
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if schema.graphql differs.")] = False,
) -> None:
    """Write the GraphQL SDL to schema.graphql (or check that it is current)."""
    # Building the schema imports every resolver: only this command pays for it.
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
