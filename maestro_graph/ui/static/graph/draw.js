/* Draws a laid-out neighbourhood as SVG: arrows in the relationship's own direction,
 * labelled with its type; each neighbour links to its own neighbourhood. */

import { label } from '../graph-model.js';
import { h } from '../lib/dom.js';
import { graphHref } from '../lib/links.js';

const CENTRE_RADIUS = 24;
const NODE_RADIUS = 11;

function arrowMarker() {
  return h('svg:defs', {}, h('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
    h('svg:path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'g-arrow' })));
}

/** A line from the relationship's start to its end, stopping short of both circles. */
function edge(link, nodes) {
  const a = nodes[link.source];
  const b = nodes[link.target];
  const [from, to] = link.outgoing ? [a, b] : [b, a];
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const d = Math.sqrt(dx * dx + dy * dy) || 1;
  const rFrom = from.center ? CENTRE_RADIUS + 2 : NODE_RADIUS;
  const rTo = to.center ? CENTRE_RADIUS + 5 : NODE_RADIUS + 3; // the arrow head's room
  return h('svg:g', { class: `g-edge rel-${link.relationship.toLowerCase()}` },
    h('svg:line', { x1: (from.x + (dx / d) * rFrom).toFixed(1), y1: (from.y + (dy / d) * rFrom).toFixed(1),
      x2: (to.x - (dx / d) * rTo).toFixed(1), y2: (to.y - (dy / d) * rTo).toFixed(1), 'marker-end': 'url(#arrow)' }),
    h('svg:text', { class: 'g-edge-label', x: ((a.x + b.x) / 2).toFixed(1), y: ((a.y + b.y) / 2 - 3).toFixed(1), 'text-anchor': 'middle', text: link.relationship }));
}

/** Where a node's label goes: away from the centre, so it does not sit on the edges. */
function labelPlacement(node, centre) {
  if (node.center) return { x: 0, y: 44, anchor: 'middle' };
  const dx = node.x - centre.x;
  const dy = node.y - centre.y;
  if (Math.abs(dx) > Math.abs(dy) * 0.6) return { x: dx > 0 ? 17 : -17, y: 4, anchor: dx > 0 ? 'start' : 'end' };
  return { x: 0, y: dy > 0 ? 28 : -18, anchor: 'middle' };
}

function vertex(node, centre) {
  const limit = node.center ? 40 : 26;
  const text = node.name.length > limit ? `${node.name.slice(0, limit - 1)}…` : node.name;
  const place = labelPlacement(node, centre);
  const group = h('svg:g', { class: ['g-node', `node-${node.type}`, node.center && 'g-center'], transform: `translate(${node.x.toFixed(1)},${node.y.toFixed(1)})`, dataset: { id: node.id, type: node.type } },
    h('svg:title', { text: `${label(node.type)}${node.kind ? ` (${node.kind})` : ''}: ${node.name} — ${node.id}` }),
    h('svg:circle', { r: node.center ? CENTRE_RADIUS : NODE_RADIUS }),
    h('svg:text', { class: 'g-label', x: String(place.x), y: String(place.y), 'text-anchor': place.anchor,
      'dominant-baseline': node.center || place.anchor === 'middle' ? 'auto' : 'middle', text }));
  return node.center ? group : h('svg:a', { href: graphHref(node.type, node.id), class: 'g-link' }, group);
}

/** `nodes[0]` is the centre; `links` carry `relationship` and `outgoing` (seen from the centre). */
export function drawGraph(nodes, links, width, height) {
  const svg = h('svg:svg', { viewBox: `0 0 ${width} ${height}`, class: 'graph', role: 'img', 'aria-label': `Neighbourhood of ${nodes[0].name}` });
  svg.append(arrowMarker(),
    h('svg:g', { class: 'g-edges' }, links.map((link) => edge(link, nodes))),
    h('svg:g', { class: 'g-nodes' }, nodes.map((node) => vertex(node, nodes[0]))));
  return svg;
}
