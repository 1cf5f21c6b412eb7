/* From the address (URL fragment) to the view that draws it. */

import { ApiError } from './api/client.js';
import { updateTokenButton } from './chrome/token-dialog.js';
import { noSuchPage } from './components/page.js';
import { errorBox } from './components/status.js';
import { loadGraphModel } from './graph-model.js';
import { $ } from './lib/dom.js';
import { beginRendering, currentRendering } from './state.js';
import { renderArtifact } from './views/artifact.js';
import { renderGraph } from './views/graph.js';
import { renderLeaderboard } from './views/leaderboard.js';
import { renderPerson, renderTeam } from './views/people.js';
import { renderProject } from './views/project.js';
import { renderSearch } from './views/search.js';

/** `#/project/abc?x=1` → { parts: ['project', 'abc'], params }. */
function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const at = raw.indexOf('?');
  const path = at >= 0 ? raw.slice(0, at) : raw;
  const params = new URLSearchParams(at >= 0 ? raw.slice(at + 1) : '');
  let parts;
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch (_) {
    parts = ['?']; // malformed escapes: no such page
  }
  return { parts, params };
}

function route(main, [page, a, b], params) {
  if (!page || page === 'search') return renderSearch(main, params);
  if (page === 'leaderboard') return renderLeaderboard(main, params);
  if (page === 'project' && a) return renderProject(main, a);
  if (page === 'artifact' && a) return renderArtifact(main, a);
  if (page === 'person' && a) return renderPerson(main, a);
  if (page === 'team' && a) return renderTeam(main, a);
  if (page === 'graph' && a && b) return renderGraph(main, a, b);
  return noSuchPage(main);
}

/** Marks which address the content of #app belongs to, and the top bar's current page. */
function markRoute(main, page) {
  document.querySelectorAll('[data-nav]').forEach((link) => link.classList.toggle('active',
    link.dataset.nav === (page === 'leaderboard' ? 'leaderboard' : !page || page === 'search' ? 'search' : '')));
  main.dataset.page = page || 'search';
  main.dataset.route = location.hash;
  window.scrollTo(0, 0);
}

/** Draws the current address into #app. */
export async function render() {
  const rendering = beginRendering();
  updateTokenButton();
  const main = $('#app');
  const { parts, params } = parseHash();
  try {
    await loadGraphModel(); // fetched once; at once after that
  } catch (_) {
    if (rendering !== currentRendering()) return;
    markRoute(main, parts[0]);
    main.replaceChildren(errorBox(new ApiError('down', 'The Maestro Graph server cannot be reached. It may be down or restarting.'), render));
    return;
  }
  if (rendering !== currentRendering()) return; // the address changed meanwhile
  markRoute(main, parts[0]);
  route(main, parts, params);
}
