/* The search page (#/search?q=…&mode=…&kind=…&akind=…&n=…): full-text, semantic or hybrid
 * search with kind facets. Without search text it is the landing page. */

import { gql } from '../api/client.js';
import { load } from '../components/panels.js';
import { empty, loading } from '../components/status.js';
import { chip, kindBadge, nodeLink, outcomeChip } from '../components/widgets.js';
import { enumValues, nodeTypes } from '../graph-model.js';
import { h } from '../lib/dom.js';
import { plural, score, titleCase } from '../lib/format.js';
import { searchHref, typeOf } from '../lib/links.js';
import { renderBrowse } from './browse.js';

// Text search covers every node type: SearchKind has one value per label, in upper case
// (tests/test_ui_documents.py holds the schema to that). Semantic search covers the kinds
// that have text embeddings.
const searchKinds = () => nodeTypes().map((type) => type.toUpperCase());
const SEMANTIC_KINDS = ['PROJECT', 'ARTIFACT'];
const SEARCH_MAX = 100; // the API answers at most 100 hits per search
const SEARCH_STEP = 20;
const MODES = [
  ['text', 'Full text', 'Words in names and descriptions'],
  ['semantic', 'Semantic', 'Nearest in meaning (sentence embeddings)'],
  ['hybrid', 'Hybrid', 'Full-text and semantic ranks fused'],
];

/** The search as the address states it, with values the API would refuse left out. */
function searchFromAddress(params) {
  const text = (params.get('q') || '').trim();
  const mode = MODES.some(([value]) => value === params.get('mode')) ? params.get('mode') : 'text';
  const allowed = mode === 'text' ? searchKinds() : SEMANTIC_KINDS;
  const artifactKinds = enumValues('ArtifactKind');
  return {
    text, mode, allowed,
    kinds: params.getAll('kind').filter((k) => allowed.includes(k)),
    artifactKinds: params.getAll('akind').filter((k) => artifactKinds.includes(k)),
    first: Math.min(SEARCH_MAX, Math.max(SEARCH_STEP, Number(params.get('n')) || SEARCH_STEP)),
  };
}

function searchForm(text, mode, current) {
  const input = h('input', { type: 'search', id: 'search-input', name: 'q', value: text, placeholder: 'Search projects, artifacts, people and teams…', 'aria-label': 'Search text', autocomplete: 'off' });
  const modes = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Search mode' },
    MODES.map(([value, name, title]) => h('label', { class: ['segment', value === mode && 'active'], title },
      h('input', { type: 'radio', name: 'mode', value, checked: value === mode }), name)));
  const form = h('form', { class: 'searchbar', role: 'search', on: { submit: (event) => {
    event.preventDefault();
    const chosen = form.querySelector('input[name=mode]:checked').value;
    location.hash = searchHref({ ...current, q: input.value.trim(), mode: chosen === 'text' ? null : chosen, n: null });
  } } }, input, h('button', { class: 'btn btn-primary', type: 'submit', text: 'Search' }), modes);
  // Switching mode searches again at once; with no text yet it only marks the choice.
  form.querySelectorAll('input[name=mode]').forEach((radio) => radio.addEventListener('change', () => {
    if (input.value.trim()) form.requestSubmit();
    else form.querySelectorAll('.segment').forEach((s) => s.classList.toggle('active', s.contains(radio) && radio.checked));
  }));
  return { form, input };
}

export function renderSearch(main, params) {
  const { text, mode, allowed, kinds, artifactKinds, first } = searchFromAddress(params);
  const current = { q: text, mode: mode === 'text' ? null : mode, kind: kinds, akind: artifactKinds };
  document.title = text ? `${text} · Search · Maestro Graph Explorer` : 'Maestro Graph Explorer';
  const { form, input } = searchForm(text, mode, current);

  main.replaceChildren(
    h('section', { class: 'search-hero' },
      h('h1', { text: 'What should this project use, and who should work on it?' }),
      h('p', { class: 'muted', text: 'Search the graph of ML projects, the artifacts they use and the people who build them. Open a project to see what the models recommend.' }),
      form));
  if (!text) {
    main.append(renderBrowse());
    input.focus();
    return;
  }

  const facets = h('aside', { class: 'facets', 'aria-label': 'Filters' });
  const results = h('div', { class: 'results', id: 'search-results' });
  main.append(h('div', { class: 'search-layout' }, facets, results));
  facets.append(loading());

  load(results, async () => {
    const variables = { text, kinds: kinds.length ? kinds : null, artifactKinds: artifactKinds.length ? artifactKinds : null,
      first, facetWindow: SEARCH_MAX };
    const data = mode === 'text'
      ? await gql('Search', variables)
      : await gql('SemanticSearch', { ...variables, mode: mode === 'hybrid' ? 'HYBRID' : 'VECTOR' });
    facets.replaceChildren(...renderFacets(data.facets, current, allowed));
    const hits = data.hits;
    const summary = h('p', { class: 'results-summary' },
      hits.length ? `${plural(hits.length, 'match', 'matches')}` : 'No matches',
      mode === 'text' ? ' · full text' : mode === 'semantic' ? ' · nearest in meaning' : ' · hybrid ranking',
      kinds.length || artifactKinds.length ? [' · filtered ', h('a', { href: searchHref({ q: text, mode: current.mode }), text: 'clear filters' })] : null);
    if (!hits.length) {
      return [summary, empty(mode === 'text'
        ? 'Nothing matches these words. Try other words, the Semantic mode, or fewer filters.'
        : 'Nothing matches. Try other words or fewer filters.')];
    }
    const parts = [summary, h('ol', { class: 'hits' }, hits.map((hit) => renderHit(hit, mode)))];
    if (hits.length >= first && first < SEARCH_MAX) {
      parts.push(h('div', { class: 'more' }, h('a', { class: 'btn', id: 'search-more', href: searchHref({ ...current, n: Math.min(SEARCH_MAX, first + SEARCH_STEP) }), text: 'Show more results' })));
    } else if (hits.length >= SEARCH_MAX) {
      parts.push(h('p', { class: 'muted small', text: `Showing the best ${SEARCH_MAX}. Narrow the search with more words or the filters.` }));
    }
    return parts;
  }).then(() => {
    if (facets.querySelector('.loading')) facets.replaceChildren(); // the search failed: no facets to count
  });
}

/** Kind and artifact-kind facets, counted over the unfiltered matches (up to SEARCH_MAX). */
function renderFacets(facetHits, current, allowed) {
  const byKind = {};
  const byArtifactKind = {};
  for (const hit of facetHits) {
    const kind = hit.node.__typename.toUpperCase();
    byKind[kind] = (byKind[kind] || 0) + 1;
    if (hit.node.kind) byArtifactKind[hit.node.kind.toUpperCase()] = (byArtifactKind[hit.node.kind.toUpperCase()] || 0) + 1;
  }
  const capped = facetHits.length >= SEARCH_MAX;
  const group = (title, values, selected, key, counts) => h('fieldset', { class: 'facet', 'data-facet': key },
    h('legend', { text: title }),
    values.map((value) => {
      const on = selected.includes(value);
      const next = on ? selected.filter((v) => v !== value) : [...selected, value];
      const n = counts[value] || 0;
      return h('a', { class: ['facet-item', on && 'active', !n && !on && 'zero'], href: searchHref({ ...current, [key]: next, n: null }),
        role: 'checkbox', 'aria-checked': on ? 'true' : 'false', dataset: { value } },
      h('span', { class: 'facet-box', 'aria-hidden': 'true' }), h('span', { class: 'facet-label', text: titleCase(value) }),
      h('span', { class: 'facet-count', text: String(n) }));
    }));
  const artifactValues = enumValues('ArtifactKind').filter((k) => byArtifactKind[k] || current.akind.includes(k));
  return [
    group('Kind', allowed, current.kind, 'kind', byKind),
    artifactValues.length ? group('Artifact kind', artifactValues, current.akind, 'akind', byArtifactKind) : null,
    h('p', { class: 'facet-note', text: capped ? `Counts over the best ${SEARCH_MAX} matches.` : 'Counts over all matches.' }),
  ].filter(Boolean);
}

function renderHit(hit, mode) {
  const node = hit.node;
  const type = typeOf(node.__typename);
  const details = [];
  if (type === 'project') {
    details.push(chip(node.section, 'plain'), chip(node.status && titleCase(node.status), node.status === 'active' ? 'ok' : 'plain'),
      outcomeChip(node.success));
  }
  if (type === 'artifact' && node.version) details.push(chip(`v${node.version}`, 'plain'));
  return h('li', { class: ['hit', `hit-${type}`], dataset: { id: node.id, type } },
    h('div', { class: 'hit-head' }, kindBadge(node.__typename, node.kind), nodeLink(node),
      h('span', { class: 'hit-score', title: mode === 'text' ? 'Full-text relevance' : 'Similarity score', text: score(hit.score) })),
    node.description ? h('p', { class: 'hit-description', text: node.description }) : null,
    h('div', { class: 'hit-meta' }, h('code', { class: 'node-id', text: node.id }), details));
}
