"""The guide as Neo4j Browser plays it: `<article class="guide">` holding a `<carousel>` of
`<slide>`s, Cypher in `<pre mode="cypher" class="code runnable">` blocks that a click puts
in Browser's editor. Browser drops scripts and event attributes from a guide, so it is plain
HTML with the model's picture as inline SVG.

The page is built from `graph_model` (the picture and the list of patterns) and from
`queries.cypher` (the ready queries), never from a request, so it is built once.
"""

from __future__ import annotations

from html import escape

from maestro_graph.graph_model import RECORD_RELATIONSHIPS, RELATIONSHIP_TYPES
from maestro_graph.ui.browser_guide import model_picture
from maestro_graph.ui.browser_guide.queries import GuideQuery, guide_queries

TITLE = "Maestro Graph"

# Browser's own setting: while it is on, Browser sends every query in a read transaction,
# which the server refuses to write in.
READ_TRANSACTIONS_COMMAND = ":config useReadTransactions: true"


def _runnable(code: str) -> str:
    return f'<pre mode="cypher" class="pre-scrollable code runnable">{escape(code)}</pre>'


def _slide(*body: str) -> str:
    return '<slide class="row-fluid"><div class="col-sm-12">' + "".join(body) + "</div></slide>"


def _model_slide() -> str:
    patterns = [
        f"<li><code>(:{rel.start.label})-[:{rel.name}]-&gt;(:{rel.end.label})</code> {escape(rel.description)}</li>"
        for rel in RELATIONSHIP_TYPES
    ]
    patterns += [
        f"<li><code>(:{'|'.join(rel.start)})-[:{rel.name}]-&gt;(:{'|'.join(rel.end)})</code>"
        f" {escape(rel.description)}</li>"
        for rel in RECORD_RELATIONSHIPS
    ]
    books = ", ".join(f"<code>:{label}</code>" for label in model_picture.unpictured_labels())
    return _slide(
        "<h3>The graph in one picture</h3>",
        "<p>Blue: the domain graph that the API serves. Grey: what the service keeps beside it: process"
        " metrics, git history, deployments, and the model versions with their answers. Every node has a"
        " unique <code>id</code>.</p>",
        f'<div class="mg-model">{model_picture.svg()}</div>',
        '<ul class="mg-patterns">',
        *patterns,
        "</ul>",
        f'<p class="mg-books">Also stored, with no relationships: the service&#39;s own books ({books}).</p>',
    )


def _read_only_slide() -> str:
    return _slide(
        "<h3>Looking without touching</h3>",
        "<p>Every query in this guide only reads. Browser can hold you to that: with this setting on, it"
        " sends each query in a read transaction, and the server refuses any write in one.</p>",
        _runnable(READ_TRANSACTIONS_COMMAND),
        "<p>That is a seatbelt, not a lock. Neo4j Community has no roles: whoever has the password"
        " can write the whole graph. On Neo4j Enterprise or Aura, give explorers a user with the"
        " <code>reader</code> role instead.</p>",
        "<p>Parameters: click a <code>:param</code> block, run it, then click and run the query."
        " Change a value by editing the block before you run it; <code>:params</code> lists what is set.</p>",
    )


def _query_slide(query: GuideQuery) -> str:
    columns = ", ".join(f"<code>{escape(column)}</code>" for column in query.columns)
    return _slide(
        f'<h3 data-query="{escape(query.name)}">{escape(query.title)}</h3>',
        f"<p>{escape(query.shows)}</p>",
        _runnable(";\n".join(query.param_commands)) if query.params else "",
        _runnable(query.cypher),
        f"<p>Columns: {columns}.</p>",
    )


def render() -> str:
    slides = [_model_slide(), _read_only_slide(), *(_query_slide(query) for query in guide_queries())]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{TITLE}</title></head><body>\n"
        '<article class="guide"><carousel class="deck container-fluid">\n'
        + "\n".join(slides)
        + "\n</carousel></article>\n</body></html>\n"
    )
