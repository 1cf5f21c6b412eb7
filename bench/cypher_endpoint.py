"""The second baseline of bench/graphql_vs_cypher.py: the hand-written Cypher of each case behind
the smallest HTTP endpoint Starlette makes (POST /cypher/{case} with the variables as JSON), so
the GraphQL API can also be compared with what a hand-written REST endpoint would pay for HTTP.

    NEO4J_URI=… NEO4J_PASSWORD=… python -m uvicorn cypher_endpoint:app   (from bench/)
"""

from __future__ import annotations

import contextlib
import os

import neo4j
from representative_queries import CASES
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

QUERIES = {kind: cypher for _, cypher, kind in CASES.values()}


async def run_case(request: Request) -> JSONResponse:
    query = QUERIES.get(request.path_params["case"])
    if query is None:
        return JSONResponse({"error": "unknown case"}, 404)
    variables = await request.json()
    records, _, _ = await request.app.state.driver.execute_query(
        query, variables, database_=os.environ.get("NEO4J_DATABASE", "neo4j"), routing_=neo4j.RoutingControl.READ
    )
    return JSONResponse({"records": [record.data() for record in records]})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):
    auth = (os.environ.get("NEO4J_USER", "neo4j"), os.environ["NEO4J_PASSWORD"])
    app.state.driver = neo4j.AsyncGraphDatabase.driver(os.environ["NEO4J_URI"], auth=auth)
    try:
        yield
    finally:
        await app.state.driver.close()


app = Starlette(
    routes=[Route("/cypher/{case}", run_case, methods=["POST"]), Route("/healthz", healthz)], lifespan=lifespan
)
