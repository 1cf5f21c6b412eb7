/* The frame of a node's page: breadcrumbs, the header with its actions, two columns of
 * panels, and what the page shows when the node cannot be loaded. */

import { ApiError } from '../api/client.js';
import { label } from '../graph-model.js';
import { h } from '../lib/dom.js';
import { graphHref, neo4jBrowserHref, nodeHref } from '../lib/links.js';
import { rerender } from '../navigation.js';
import { config, currentRendering } from '../state.js';
import { errorBox, loading } from './status.js';
import { kindBadge } from './widgets.js';

/** Neo4j Browser on the guide's query for the node, where the server knows a Browser. */
function browserUrl(type, id) {
  const query = (config.neo4jBrowserQueries || {})[type];
  return config.neo4jBrowserUrl && query ? neo4jBrowserHref(config.neo4jBrowserUrl, config.neo4jDatabase, query, id) : null;
}

export function nodeActions(type, id, options) {
  const opts = options || {};
  const actions = [];
  if (opts.page) actions.push(h('a', { class: 'btn', href: nodeHref(type, id), text: 'Open page' }));
  if (!opts.noGraph) actions.push(h('a', { class: 'btn', href: graphHref(type, id), 'data-action': 'graph', text: 'Graph view' }));
  const url = browserUrl(type, id);
  if (url) {
    actions.push(h('a', { class: 'btn', href: url, target: '_blank', rel: 'noopener noreferrer', 'data-action': 'neo4j-browser',
      title: 'Opens the guide\'s query for this node in Neo4j Browser (sign in there with your Neo4j user, then run it)',
      text: 'Open in Neo4j Browser ↗' }));
  }
  return h('div', { class: 'actions' }, actions);
}

/** Two columns of panels, each stacked on its own so short panels leave no gaps. */
export function columns(left, right) {
  return h('div', { class: 'cols' }, h('div', { class: 'col' }, left), h('div', { class: 'col' }, right));
}

/** `crumbs({ href, text }, …, { text })`: the last is where the user is. */
export function crumbs(...items) {
  return h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
    items.map((item, i) => [i ? h('span', { class: 'crumb-sep', 'aria-hidden': 'true', text: '/' }) : null,
      item.href ? h('a', { href: item.href, text: item.text }) : h('span', { text: item.text })]));
}

export function pageHeader({ type, node, subtitle, chips, description, extra }) {
  return h('section', { class: ['hero', `hero-${type}`] },
    h('div', { class: 'hero-main' },
      h('div', { class: 'hero-kicker' }, kindBadge(label(type), node.kind && type === 'artifact' ? node.kind : null),
        h('code', { class: 'node-id', text: node.id })),
      h('h1', { class: 'hero-title', text: node.name || node.id }),
      subtitle ? h('p', { class: 'hero-subtitle', text: subtitle }) : null,
      chips && chips.filter(Boolean).length ? h('div', { class: 'chips' }, chips) : null,
      description ? h('p', { class: 'hero-description', text: description }) : null,
      nodeActions(type, node.id)),
    extra ? h('div', { class: 'hero-side' }, extra) : null);
}

/**
 * Loads what the page's header needs. Its failure (not found, server down, token) replaces
 * the whole page, since there is nothing to show around it; resolves to null then.
 */
export async function loadNode(main, work) {
  main.replaceChildren(loading());
  const rendering = currentRendering();
  try {
    return await work();
  } catch (error) {
    if (rendering === currentRendering()) main.replaceChildren(errorBox(error, () => rerender()));
    return null;
  }
}

const backToSearch = () => h('p', {}, h('a', { href: '#/', text: '← Back to search' }));

export function notFound(main, type, id) {
  main.replaceChildren(errorBox(new ApiError('notfound', `There is no ${type} with id “${id}”.`)), backToSearch());
}

export function noSuchPage(main) {
  main.replaceChildren(errorBox(new ApiError('notfound', 'There is no such page.')), backToSearch());
}
