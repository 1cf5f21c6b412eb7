/* Panels: a titled box that loads its content on its own. One that fails shows its error and
 * a retry button without taking the rest of the page down. */

import { ApiError, gql } from '../api/client.js';
import { h } from '../lib/dom.js';
import { config, currentRendering } from '../state.js';
import { empty, errorBox, loading } from './status.js';

/** Runs `work` into `container`: a loading state first, then its content or an error with a retry. */
export async function load(container, work) {
  const rendering = currentRendering();
  container.replaceChildren(loading());
  container.setAttribute('aria-busy', 'true');
  try {
    const content = await work();
    if (rendering !== currentRendering()) return;
    container.replaceChildren(...[].concat(content).filter(Boolean));
  } catch (error) {
    if (rendering !== currentRendering()) return;
    container.replaceChildren(errorBox(error, () => load(container, work)));
    if (!(error instanceof ApiError)) console.error(error); // eslint-disable-line no-console
  } finally {
    container.removeAttribute('aria-busy');
  }
}

/** An empty panel: `root` to place, `body` to fill, `count` for the number beside the title. */
export function panel(title, options) {
  const opts = options || {};
  const count = h('span', { class: 'panel-count' });
  const body = h('div', { class: 'panel-body' });
  const root = h('section', { class: ['panel', opts.wide && 'panel-wide', opts.class], 'data-panel': opts.id || null },
    h('header', { class: 'panel-head' },
      h('h2', {}, title, count),
      opts.hint ? h('p', { class: 'panel-hint', text: opts.hint }) : null),
    body);
  return { root, body, count };
}

/** "1–10 of 42" with previous and next buttons; `total` null where the API does not count. */
export function pager({ start, shown, total, hasPrevious, hasNext, onPrevious, onNext, label }) {
  const text = total === null || total === undefined
    ? (shown ? `${start + 1}–${start + shown}` : 'none')
    : total === 0 ? 'none' : `${start + 1}–${start + shown} of ${total.toLocaleString()}`;
  return h('nav', { class: 'pager', 'aria-label': label || 'Pages' },
    h('span', { class: 'pager-text', text }),
    h('span', { class: 'pager-buttons' },
      h('button', { class: 'btn btn-small', type: 'button', disabled: !hasPrevious, text: '← Previous', on: { click: onPrevious } }),
      h('button', { class: 'btn btn-small', type: 'button', disabled: !hasNext, text: 'Next →', on: { click: onNext } })));
}

/**
 * A Relay connection, one page at a time, with previous/next over its cursors. `document`
 * names a graphql/ file taking `$first` and `$after`; `select` picks the connection from its data.
 */
export function connectionPanel({ title, id, document, variables, select, renderEdge, pageSize, emptyText, hint, wide }) {
  const p = panel(title, { id, hint, wide });
  const size = pageSize || config.pageSize || 10;
  const cursors = [null]; // the cursor each page starts after, so "previous" needs no backward paging
  let index = 0;
  const show = () => load(p.body, async () => {
    const data = await gql(document, { ...variables, first: size, after: cursors[index] });
    const conn = select(data);
    if (!conn) throw new ApiError('notfound', 'This node no longer exists.');
    p.count.textContent = conn.totalCount.toLocaleString();
    if (!conn.edges.length) return empty(emptyText || 'Nothing here yet.');
    const list = h('ul', { class: 'rows' }, conn.edges.map(renderEdge));
    const needsPager = index > 0 || conn.pageInfo.hasNextPage;
    return [list, needsPager ? pager({
      start: index * size, shown: conn.edges.length, total: conn.totalCount,
      hasPrevious: index > 0, hasNext: conn.pageInfo.hasNextPage,
      onPrevious: () => { index -= 1; show(); },
      onNext: () => { cursors[index + 1] = conn.pageInfo.endCursor; index += 1; show(); },
    }) : null];
  });
  show();
  return p.root;
}

/** A ranked list the API returns whole (the k best): grows by `step` up to `max`. */
export function growingPanel({ title, id, hint, first, step, max, fetch, render, wide, footer, emptyText }) {
  const p = panel(title, { id, hint, wide });
  let size = first;
  const show = () => load(p.body, async () => {
    const items = await fetch(size);
    p.count.textContent = items.length ? String(items.length) : '';
    if (!items.length) return empty(emptyText || 'Nothing yet.');
    const parts = [render(items)];
    if (footer) parts.push(footer(items));
    if (items.length >= size && size < max) {
      parts.push(moreButton(() => { size = Math.min(max, size + step); show(); }));
    }
    return parts;
  });
  show();
  return p;
}

export function moreButton(onClick) {
  return h('div', { class: 'more' }, h('button', { class: 'btn btn-small', type: 'button', text: 'Show more', on: { click: onClick } }));
}
