from maestro_graph.graphql.schema import SDL_PATH, export_sdl


def test_schema_graphql_matches_the_code():
    assert SDL_PATH.read_text(encoding="utf-8") == export_sdl(), (
        "run `maestro-graph export-schema` and commit schema.graphql"
    )
