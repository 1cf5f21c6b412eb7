/* The artifact leaderboard (#/leaderboard?kind=…&page=…): artifacts ranked by their learned
 * impact on project success, filtered by kind, twenty a page. */

import { gql } from '../api/client.js';
import { load, pager } from '../components/panels.js';
import { empty } from '../components/status.js';
import { kindBadge, nodeLink } from '../components/widgets.js';
import { enumValues } from '../graph-model.js';
import { h } from '../lib/dom.js';
import { signedPoints, titleCase } from '../lib/format.js';

const PAGE_SIZE = 20;

/** The leaderboard is a ranked list without cursors; `after` takes the API's offset cursor. */
function offsetCursor(offset) {
  return btoa(`offset:${offset}`).replace(/\+/g, '-').replace(/\//g, '_');
}

function leaderboardHref(kind, page) {
  const params = new URLSearchParams({ ...(kind ? { kind } : {}), ...(page ? { page: String(page + 1) } : {}) });
  return `#/leaderboard${kind || page ? '?' : ''}${params}`;
}

export function renderLeaderboard(main, params) {
  const kinds = enumValues('ArtifactKind');
  const kind = kinds.includes(params.get('kind')) ? params.get('kind') : null;
  const page = Math.max(0, (Number(params.get('page')) || 1) - 1);
  document.title = 'Artifact leaderboard · Maestro Graph Explorer';
  const filters = h('div', { class: 'filter-chips', role: 'group', 'aria-label': 'Artifact kind' },
    [null, ...kinds].map((k) => h('a', { class: ['filter-chip', k === kind && 'active'], href: leaderboardHref(k, 0), dataset: { kind: k || 'ALL' }, text: k ? titleCase(k) : 'All kinds' })));
  const body = h('div', { class: 'panel-body' });
  main.replaceChildren(
    h('section', { class: 'page-intro' },
      h('h1', { text: 'Artifact leaderboard' }),
      h('p', { class: 'muted', text: 'Artifacts ranked by their learned impact on project success: the mean change in the predicted success of the projects that use an artifact when it is taken out of their neighbourhood.' })),
    filters,
    h('section', { class: 'panel panel-wide', 'data-panel': 'leaderboard' }, body));
  load(body, async () => {
    // One more than a page: whether it comes tells if there is a next page.
    const data = await gql('Leaderboard', { first: PAGE_SIZE + 1, after: page ? offsetCursor(page * PAGE_SIZE - 1) : null, kind });
    const entries = data.artifactLeaderboard;
    const shown = entries.slice(0, PAGE_SIZE);
    if (!shown.length) {
      return empty(page ? 'No more artifacts.' : 'No impact model yet: train the models (maestro-graph train) to rank artifacts.');
    }
    const versions = [...new Set(shown.map((e) => e.impact.modelVersion))];
    return [leaderboardTable(shown),
      h('div', { class: 'table-foot' },
        h('p', { class: 'model-version' }, 'model ', versions.map((v) => h('code', { text: v }))),
        pager({ start: page * PAGE_SIZE, shown: shown.length, total: null, hasPrevious: page > 0, hasNext: entries.length > PAGE_SIZE,
          onPrevious: () => { location.hash = leaderboardHref(kind, page - 1); },
          onNext: () => { location.hash = leaderboardHref(kind, page + 1); } }))];
  });
}

/** One row an artifact, its impact drawn as a bar either side of zero, scaled to the page's largest. */
function leaderboardTable(entries) {
  const best = Math.max(...entries.map((e) => Math.abs(e.impact.score))) || 1;
  return h('table', { class: 'table leaderboard' },
    h('thead', {}, h('tr', {}, ['Rank', 'Artifact', 'Kind', 'Used by', 'Impact', ''].map((c) => h('th', { text: c })))),
    h('tbody', {}, entries.map((e) => {
      const bar = h('span', { class: ['diverging-fill', e.impact.score >= 0 ? 'positive' : 'negative'] });
      bar.style.width = `${(Math.abs(e.impact.score) / best) * 50}%`;
      return h('tr', { dataset: { id: e.artifact.id } },
        h('td', { class: 'num rank-cell', text: `#${e.impact.rank}` }),
        h('td', {}, nodeLink(e.artifact)),
        h('td', {}, kindBadge(e.artifact.__typename, e.artifact.kind)),
        h('td', { class: 'num', text: e.artifact.usedBy.totalCount.toLocaleString() }),
        h('td', { class: 'diverging-cell' }, h('span', { class: 'diverging' }, h('span', { class: 'diverging-axis' }), bar)),
        h('td', { class: ['num', e.impact.score >= 0 ? 'positive' : 'negative'], text: signedPoints(e.impact.score) }));
    })));
}
