/* The graph view (#/graph/<type>/<id>): a node and its direct neighbours, drawn. Which
 * connection fields to walk, to which type and along which relationship in which direction,
 * all come from the graph model; the documents only say how many neighbours to fetch. */

import { gql } from '../api/client.js';
import { crumbs, loadNode, noSuchPage, nodeActions, notFound } from '../components/page.js';
import { kindBadge } from '../components/widgets.js';
import { drawGraph } from '../graph/draw.js';
import { forceLayout } from '../graph/layout.js';
import { label, nodeTypes, relationsOf } from '../graph-model.js';
import { h } from '../lib/dom.js';
import { nodeHref } from '../lib/links.js';

// One document per node type, selecting every relationship field the graph model lists for
// it (tests/test_ui_documents.py holds them to the model).
const NEIGHBOURHOOD_DOCUMENTS = {
  project: 'ProjectNeighbourhood',
  artifact: 'ArtifactNeighbourhood',
  person: 'PersonNeighbourhood',
  team: 'TeamNeighbourhood',
};
const WIDTH = 960;
const HEIGHT = 620;

/** "usedBy" → "used by": the legend names a group by its field. */
const fieldTitle = (field) => field.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);

/** Nodes (the centre first, each neighbour once) and one link per relationship met. */
function neighbourhood(type, center) {
  const nodes = [{ key: `${type}:${center.id}`, id: center.id, name: center.name || center.id, type, center: true, kind: center.kind }];
  const links = [];
  const index = new Map([[nodes[0].key, 0]]);
  const groups = [];
  for (const relation of relationsOf(type)) {
    const conn = center[relation.field];
    if (!conn) continue; // a relationship the document does not ask for yet
    groups.push({ relation, shown: conn.edges.length, total: conn.totalCount });
    for (const { node } of conn.edges) {
      const key = `${relation.neighbour}:${node.id}`;
      if (!index.has(key)) {
        index.set(key, nodes.length);
        nodes.push({ key, id: node.id, name: node.name || node.id, type: relation.neighbour, kind: node.kind });
      }
      links.push({ source: 0, target: index.get(key), relationship: relation.relationship, outgoing: relation.outgoing });
    }
  }
  return { nodes, links, groups };
}

function sidebar(groups) {
  return h('aside', { class: 'graph-side' },
    h('h2', { text: 'Neighbours' }),
    h('ul', { class: 'legend' }, groups.map((g) => h('li', {},
      h('span', { class: ['legend-dot', `dot-${g.relation.neighbour}`], 'aria-hidden': 'true' }),
      h('span', { class: 'legend-label', text: fieldTitle(g.relation.field) }),
      h('span', { class: 'legend-count', text: g.shown < g.total ? `${g.shown} of ${g.total}` : String(g.total) })))),
    groups.some((g) => g.shown < g.total)
      ? h('p', { class: 'muted small', text: 'Only the first of many neighbours are drawn; the page lists them all.' }) : null,
    h('h2', { text: 'Legend' }),
    h('ul', { class: 'legend' }, nodeTypes().map((t) => h('li', {},
      h('span', { class: ['legend-dot', `dot-${t}`], 'aria-hidden': 'true' }), h('span', { class: 'legend-label', text: label(t) })))));
}

export async function renderGraph(main, type, id) {
  const documentName = NEIGHBOURHOOD_DOCUMENTS[type];
  if (!documentName) return noSuchPage(main);
  const data = await loadNode(main, () => gql(documentName, { id }));
  if (!data) return;
  const center = data.node;
  if (!center) return notFound(main, type, id);
  document.title = `${center.name || center.id} · Graph · Maestro Graph Explorer`;

  const { nodes, links, groups } = neighbourhood(type, center);
  forceLayout(nodes, links, WIDTH, HEIGHT);
  main.replaceChildren(
    crumbs({ href: '#/', text: 'Search' }, { href: nodeHref(type, center.id), text: center.name || center.id }, { text: 'Graph' }),
    h('section', { class: 'graph-head' },
      h('div', {}, h('h1', {}, kindBadge(label(type), type === 'artifact' ? center.kind : null), ' ', center.name || center.id),
        h('p', { class: 'muted', text: 'The node and its direct neighbours. Click a neighbour to move there; open a page for the details.' })),
      nodeActions(type, center.id, { page: true, noGraph: true })),
    h('div', { class: 'graph-layout' },
      h('div', { class: 'graph-canvas', 'data-panel': 'graph' }, drawGraph(nodes, links, WIDTH, HEIGHT)),
      sidebar(groups)));
}
