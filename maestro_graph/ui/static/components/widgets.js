/* Small pieces the views are built from: chips, badges, links to nodes, list rows, meters. */

import { label } from '../graph-model.js';
import { h } from '../lib/dom.js';
import { titleCase } from '../lib/format.js';
import { nodeHref, typeOf } from '../lib/links.js';

export function chip(text, kind) {
  return text ? h('span', { class: ['chip', kind && `chip-${kind}`], text }) : null;
}

/** A project's outcome as a chip; `otherwise` when it is not known. */
export function outcomeChip(success, otherwise) {
  if (success === true) return chip('Succeeded', 'ok');
  if (success === false) return chip('Failed', 'bad');
  return otherwise || null;
}

/** The node's type, or an artifact's kind (Model, Dataset, …) where there is one. */
export function kindBadge(typename, artifactKind) {
  const type = typeOf(typename);
  const text = type === 'artifact' && artifactKind ? artifactKind : label(type) || typename;
  return h('span', { class: ['badge', `badge-${type}`], text: titleCase(text) });
}

/** A link to the node's page; `node.__typename` says which kind of page. */
export function nodeLink(node) {
  const type = typeOf(node.__typename);
  return h('a', { class: 'node-link', href: nodeHref(type, node.id), dataset: { id: node.id, type } }, node.name || node.id);
}

export function row(main, sub, aside) {
  return h('li', { class: 'row' },
    h('div', { class: 'row-main' }, main, sub ? h('div', { class: 'row-sub' }, sub) : null),
    aside ? h('div', { class: 'row-aside' }, aside) : null);
}

/** A bar filled to `value` (0..1). */
export function meter(value, kind) {
  const bar = h('span', { class: 'meter-fill' });
  bar.style.width = `${Math.max(0, Math.min(1, value)) * 100}%`;
  return h('span', { class: ['meter', kind && `meter-${kind}`], 'aria-hidden': 'true' }, bar);
}

/** The model versions behind a ranked list, or a word on cold start when the model did not know the project. */
export function modelFooter(items) {
  if (items.some((i) => i.coldStart)) {
    return h('p', { class: 'model-version' }, 'Cold start: this project is new to the model; ranked from text-similar projects.');
  }
  const versions = [...new Set(items.map((i) => i.modelVersion).filter(Boolean))];
  return versions.length ? h('p', { class: 'model-version' }, 'model ', versions.map((v) => h('code', { text: v }))) : null;
}
