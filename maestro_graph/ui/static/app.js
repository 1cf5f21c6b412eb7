/* Maestro Graph Explorer: a small single-page app over the public GraphQL API.
 *
 * Plain JavaScript, no build step, nothing loaded from elsewhere. Pages are addressed by
 * the URL fragment (#/project/<id>, #/artifact/<id>, #/graph/<type>/<id>, ...), so every
 * view can be linked to. Each panel loads on its own: one that fails shows its error and
 * a retry button without taking the rest of the page down.
 */
(function () {
  'use strict';

  const TOKEN_KEY = 'maestro-graph.access-token';
  const SEARCH_KINDS = ['PROJECT', 'ARTIFACT', 'PERSON', 'TEAM'];
  const SEMANTIC_KINDS = ['PROJECT', 'ARTIFACT'];
  const ARTIFACT_KINDS = ['MODEL', 'DATASET', 'NOTEBOOK', 'PIPELINE', 'FEATURE', 'LIBRARY', 'PROMPT', 'OTHER'];
  const SEARCH_MAX = 100; // the API answers at most 100 hits per search
  const SEARCH_STEP = 20;
  const LABELS = { project: 'Project', artifact: 'Artifact', person: 'Person', team: 'Team' };

  const state = {
    config: { profile: null, graphqlPath: '/graphql', neo4jBrowserUrl: null, neo4jDatabase: null, pageSize: 10 },
    generation: 0,
  };

  // ---------------------------------------------------------------- DOM helpers

  function h(tag, props, ...children) {
    const svg = tag.startsWith('svg:');
    const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
      else if (key === 'text') el.textContent = value;
      else if (key === 'on') for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key === 'hidden' || key === 'disabled' || key === 'checked') el[key] = Boolean(value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  const $ = (selector, root) => (root || document).querySelector(selector);

  // ---------------------------------------------------------------- formatting

  const pct = (x) => `${Math.round(x * 100)}%`;
  const score = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3));
  const signedPoints = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)} pts`;
  const plural = (n, one, many) => `${n.toLocaleString()} ${n === 1 ? one : many || one + 's'}`;
  const titleCase = (s) => (s ? s.charAt(0).toUpperCase() + s.slice(1).toLowerCase() : s);

  function date(value) {
    if (!value) return null;
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? value : d.toISOString().slice(0, 10);
  }

  function typeOf(typename) {
    return (typename || '').toLowerCase();
  }

  function nodeHref(type, id) {
    return `#/${type}/${encodeURIComponent(id)}`;
  }

  function graphHref(type, id) {
    return `#/graph/${type}/${encodeURIComponent(id)}`;
  }

  function searchHref(params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      for (const v of [].concat(value)) if (v !== undefined && v !== null && v !== '') query.append(key, v);
    }
    const qs = query.toString();
    return qs ? `#/search?${qs}` : '#/';
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(kind, message, retryAfter) {
      super(message);
      this.kind = kind; // auth | forbidden | down | rate | refused | notfound
      this.retryAfter = retryAfter;
    }
  }

  function getToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) || '';
    } catch (_) {
      return '';
    }
  }

  function setToken(token) {
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (_) { /* storage disabled: the token lives only until reload */ }
    updateTokenButton();
  }

  async function gql(query, variables) {
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch(state.config.graphqlPath || '/graphql', {
        method: 'POST', headers, credentials: 'omit', cache: 'no-store',
        body: JSON.stringify({ query, variables: variables || {} }),
      });
    } catch (_) {
      const error = new ApiError('down', 'The Maestro Graph server cannot be reached. It may be down or restarting.');
      showBanner(error);
      throw error;
    }
    let body = null;
    try {
      body = await response.json();
    } catch (_) { /* a proxy's HTML error page, or nothing */ }
    const errors = (body && body.errors) || [];
    const codes = errors.map((e) => e.extensions && e.extensions.code);
    if (response.status === 401 || codes.includes('UNAUTHENTICATED')) {
      const message = token
        ? 'Your access token has expired or is not valid. Enter a new token to continue.'
        : 'This server needs an access token. Enter one to continue.';
      const error = new ApiError('auth', message);
      if (token === getToken()) showBanner(error); // not for an answer to a token since replaced
      throw error;
    }
    if (response.status === 429 || codes.includes('RATE_LIMITED')) {
      const retry = Number(response.headers.get('Retry-After')) || null;
      throw new ApiError('rate', `Too many requests for now${retry ? `: try again in ${retry} s` : ''}.`, retry);
    }
    if (response.status === 403 || codes.includes('FORBIDDEN')) {
      throw new ApiError('forbidden', errors.length ? errors[0].message : 'Your token does not allow this request.');
    }
    if (response.status >= 500 || !body) {
      const error = new ApiError('down', `The server could not answer (HTTP ${response.status}). It may be down or restarting.`);
      showBanner(error);
      throw error;
    }
    if (token === getToken()) hideBanner(); // the server answers, and to the token in use
    if (errors.length) {
      throw new ApiError(codes.includes('NOT_FOUND') ? 'notfound' : 'refused', errors.map((e) => e.message).join(' · '));
    }
    return body.data;
  }

  // ---------------------------------------------------------------- banner, token dialog

  function showBanner(error) {
    const banner = $('#banner');
    banner.replaceChildren();
    banner.className = `banner banner-${error.kind}`;
    banner.dataset.kind = error.kind;
    append(banner, [h('span', { class: 'banner-text', text: error.message })]);
    if (error.kind === 'auth') {
      banner.append(h('button', { class: 'btn btn-light', type: 'button', text: tokenAction(), on: { click: openTokenDialog } }));
    } else {
      banner.append(h('button', { class: 'btn btn-light', type: 'button', text: 'Retry', on: { click: () => render() } }));
    }
    banner.hidden = false;
  }

  function hideBanner() {
    const banner = $('#banner');
    if (!banner.hidden) {
      banner.hidden = true;
      banner.dataset.kind = '';
    }
  }

  function updateTokenButton() {
    const button = $('#token-button');
    const has = Boolean(getToken());
    button.textContent = has ? 'Token set' : 'Access token';
    button.classList.toggle('has-token', has);
    button.title = has ? 'A bearer token is sent with every request' : 'Requests are anonymous';
  }

  function tokenAction() {
    return getToken() ? 'Enter a new token' : 'Enter a token';
  }

  function openTokenDialog() {
    const dialog = $('#token-dialog');
    $('#token-input').value = getToken();
    if (typeof dialog.showModal === 'function') dialog.showModal();
    else dialog.setAttribute('open', '');
    $('#token-input').focus();
  }

  function closeTokenDialog() {
    const dialog = $('#token-dialog');
    if (typeof dialog.close === 'function') dialog.close();
    else dialog.removeAttribute('open');
  }

  function wireTokenDialog() {
    $('#token-button').addEventListener('click', openTokenDialog);
    $('#token-cancel').addEventListener('click', closeTokenDialog);
    $('#token-clear').addEventListener('click', () => {
      setToken('');
      closeTokenDialog();
      hideBanner();
      render();
    });
    $('#token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      setToken($('#token-input').value.trim().replace(/^Bearer\s+/i, ''));
      closeTokenDialog();
      hideBanner();
      render();
    });
  }

  // ---------------------------------------------------------------- building blocks

  function loading(text) {
    return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text || 'Loading…');
  }

  function errorBox(error, retry) {
    const kind = error instanceof ApiError ? error.kind : 'refused';
    const message = error instanceof ApiError ? error.message : `Something went wrong: ${error.message || error}`;
    const actions = [];
    if (kind === 'auth') actions.push(h('button', { class: 'btn', type: 'button', text: tokenAction(), on: { click: openTokenDialog } }));
    if (retry && kind !== 'notfound') actions.push(h('button', { class: 'btn', type: 'button', text: 'Retry', on: { click: retry } }));
    return h('div', { class: `error error-${kind}`, role: 'alert', dataset: { kind } },
      h('strong', { text: kind === 'down' ? 'Server unavailable' : kind === 'auth' ? 'Sign-in needed' : kind === 'notfound' ? 'Not found' : 'Could not load' }),
      h('p', { text: message }),
      actions.length ? h('div', { class: 'error-actions' }, actions) : null);
  }

  function empty(text) {
    return h('p', { class: 'empty', text });
  }

  /** Runs `work` into `container`: a loading state first, then its content or an error with a retry. */
  async function load(container, work) {
    const generation = state.generation;
    container.replaceChildren(loading());
    container.setAttribute('aria-busy', 'true');
    try {
      const content = await work();
      if (generation !== state.generation) return;
      container.replaceChildren(...[].concat(content).filter(Boolean));
    } catch (error) {
      if (generation !== state.generation) return;
      container.replaceChildren(errorBox(error, () => load(container, work)));
      if (!(error instanceof ApiError)) console.error(error); // eslint-disable-line no-console
    } finally {
      container.removeAttribute('aria-busy');
    }
  }

  function panel(title, options) {
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

  function chip(text, kind) {
    return text ? h('span', { class: ['chip', kind && `chip-${kind}`], text }) : null;
  }

  function kindBadge(typename, artifactKind) {
    const type = typeOf(typename);
    const label = type === 'artifact' && artifactKind ? artifactKind : LABELS[type] || typename;
    return h('span', { class: ['badge', `badge-${type}`], text: titleCase(label) });
  }

  function nodeLink(node, fallbackType) {
    const type = typeOf(node.__typename) || fallbackType;
    return h('a', { class: 'node-link', href: nodeHref(type, node.id), dataset: { id: node.id, type } }, node.name || node.id);
  }

  function row(main, sub, aside) {
    return h('li', { class: 'row' },
      h('div', { class: 'row-main' }, main, sub ? h('div', { class: 'row-sub' }, sub) : null),
      aside ? h('div', { class: 'row-aside' }, aside) : null);
  }

  function meter(value, kind) {
    const bar = h('span', { class: 'meter-fill' });
    bar.style.width = `${Math.max(0, Math.min(1, value)) * 100}%`;
    return h('span', { class: ['meter', kind && `meter-${kind}`], 'aria-hidden': 'true' }, bar);
  }

  function pager({ start, shown, total, hasPrevious, hasNext, onPrevious, onNext, label }) {
    const text = total === null || total === undefined
      ? (shown ? `${start + 1}–${start + shown}` : 'none')
      : total === 0 ? 'none' : `${start + 1}–${start + shown} of ${total.toLocaleString()}`;
    return h('nav', { class: 'pager', 'aria-label': label || 'Pages' },
      h('span', { class: 'pager-text', text }),
      h('span', { class: 'pager-buttons' },
        h('button', { class: 'btn btn-small', type: 'button', disabled: !hasPrevious, text: '← Previous', on: { click: onPrevious } }),
        h('button', { class: 'btn btn-small', type: 'button', disabled: !hasNext, text: 'Next →', on: { click: onNext } })));
  }

  /** A Relay connection, one page at a time, with previous/next over its cursors. */
  function connectionPanel({ title, id, query, variables, select, renderEdge, pageSize, emptyText, hint, wide }) {
    const p = panel(title, { id, hint, wide });
    const size = pageSize || state.config.pageSize || 10;
    const cursors = [null];
    let index = 0;
    const show = () => load(p.body, async () => {
      const data = await gql(query, { ...variables, first: size, after: cursors[index] });
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

  /** A ranked list the API returns whole (k best): grows by `step` up to `max`. */
  function growingPanel({ title, id, hint, first, step, max, fetch, render, wide, footer, emptyText }) {
    const p = panel(title, { id, hint, wide });
    let size = first;
    const show = () => load(p.body, async () => {
      const items = await fetch(size);
      p.count.textContent = items.length ? String(items.length) : '';
      if (!items.length) return empty(emptyText || 'Nothing yet.');
      const parts = [render(items)];
      if (footer) parts.push(footer(items));
      if (items.length >= size && size < max) {
        parts.push(h('div', { class: 'more' },
          h('button', { class: 'btn btn-small', type: 'button', text: 'Show more', on: { click: () => { size = Math.min(max, size + step); show(); } } })));
      }
      return parts;
    });
    show();
    return p;
  }

  function browserUrl(type, id) {
    const base = state.config.neo4jBrowserUrl;
    if (!base) return null;
    const literal = `"${String(id).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    const cypher = `MATCH (n:${LABELS[type]} {id: ${literal}}) OPTIONAL MATCH (n)-[r]-(m) RETURN n, r, m LIMIT 100`;
    const params = new URLSearchParams({ cmd: 'edit', arg: cypher });
    if (state.config.neo4jDatabase && state.config.neo4jDatabase !== 'neo4j') params.set('db', state.config.neo4jDatabase);
    return `${base}${base.includes('?') ? '&' : '?'}${params.toString().replace(/\+/g, '%20')}`;
  }

  function nodeActions(type, id, options) {
    const opts = options || {};
    const actions = [];
    if (opts.page) actions.push(h('a', { class: 'btn', href: nodeHref(type, id), text: 'Open page' }));
    if (!opts.noGraph) actions.push(h('a', { class: 'btn', href: graphHref(type, id), 'data-action': 'graph', text: 'Graph view' }));
    const url = browserUrl(type, id);
    if (url) {
      actions.push(h('a', { class: 'btn', href: url, target: '_blank', rel: 'noopener noreferrer', 'data-action': 'neo4j-browser',
        title: 'Opens the node and its relationships in Neo4j Browser (sign in there with your Neo4j user)',
        text: 'Open in Neo4j Browser ↗' }));
    }
    return h('div', { class: 'actions' }, actions);
  }

  /** Two columns of panels, each stacked on its own so short panels leave no gaps. */
  function columns(left, right) {
    return h('div', { class: 'cols' }, h('div', { class: 'col' }, left), h('div', { class: 'col' }, right));
  }

  function crumbs(...items) {
    return h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      items.map((item, i) => [i ? h('span', { class: 'crumb-sep', 'aria-hidden': 'true', text: '/' }) : null,
        item.href ? h('a', { href: item.href, text: item.text }) : h('span', { text: item.text })]));
  }

  function pageHeader({ type, node, subtitle, chips, description, extra }) {
    return h('section', { class: ['hero', `hero-${type}`] },
      h('div', { class: 'hero-main' },
        h('div', { class: 'hero-kicker' }, kindBadge(LABELS[type], node.kind && type === 'artifact' ? node.kind : null),
          h('code', { class: 'node-id', text: node.id })),
        h('h1', { class: 'hero-title', text: node.name || node.id }),
        subtitle ? h('p', { class: 'hero-subtitle', text: subtitle }) : null,
        chips && chips.filter(Boolean).length ? h('div', { class: 'chips' }, chips) : null,
        description ? h('p', { class: 'hero-description', text: description }) : null,
        nodeActions(type, node.id)),
      extra ? h('div', { class: 'hero-side' }, extra) : null);
  }

  async function loadNode(main, work) {
    // The page's own header: its failure (not found, server down, token) replaces the page.
    main.replaceChildren(loading());
    const generation = state.generation;
    try {
      return await work();
    } catch (error) {
      if (generation === state.generation) main.replaceChildren(errorBox(error, () => render()));
      return null;
    }
  }

  function notFound(main, type, id) {
    main.replaceChildren(errorBox(new ApiError('notfound', `There is no ${type} with id “${id}”.`)),
      h('p', {}, h('a', { href: '#/', text: '← Back to search' })));
  }

  // ---------------------------------------------------------------- search page

  const HIT_FIELDS = `__typename id name
    ... on Project { description status section success }
    ... on Artifact { kind version description }
    ... on Person { kind }
    ... on Team { description }`;

  const SEARCH_QUERY = `query Search($text: String!, $kinds: [SearchKind!], $artifactKinds: [ArtifactKind!], $first: Int) {
    hits: search(text: $text, kinds: $kinds, artifactKinds: $artifactKinds, first: $first) { score node { ${HIT_FIELDS} } }
    facets: search(text: $text, first: ${SEARCH_MAX}) { node { __typename ... on Artifact { kind } } }
  }`;

  const SEMANTIC_QUERY = `query Semantic($text: String!, $kinds: [SearchKind!], $artifactKinds: [ArtifactKind!], $first: Int!, $mode: SearchMode!) {
    hits: semanticSearch(text: $text, kinds: $kinds, artifactKinds: $artifactKinds, first: $first, mode: $mode) { score node { ${HIT_FIELDS} } }
    facets: semanticSearch(text: $text, first: ${SEARCH_MAX}, mode: $mode) { node { __typename ... on Artifact { kind } } }
  }`;

  function renderSearch(main, params) {
    const text = (params.get('q') || '').trim();
    const mode = ['text', 'semantic', 'hybrid'].includes(params.get('mode')) ? params.get('mode') : 'text';
    const allowed = mode === 'text' ? SEARCH_KINDS : SEMANTIC_KINDS;
    const kinds = params.getAll('kind').filter((k) => allowed.includes(k));
    const artifactKinds = params.getAll('akind').filter((k) => ARTIFACT_KINDS.includes(k));
    const first = Math.min(SEARCH_MAX, Math.max(SEARCH_STEP, Number(params.get('n')) || SEARCH_STEP));
    const current = { q: text, mode: mode === 'text' ? null : mode, kind: kinds, akind: artifactKinds };
    document.title = text ? `${text} · Search · Maestro Graph Explorer` : 'Maestro Graph Explorer';

    const input = h('input', { type: 'search', id: 'search-input', name: 'q', value: text, placeholder: 'Search projects, artifacts, people and teams…', 'aria-label': 'Search text', autocomplete: 'off' });
    const modes = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Search mode' },
      [['text', 'Full text', 'Words in names and descriptions'], ['semantic', 'Semantic', 'Nearest in meaning (sentence embeddings)'], ['hybrid', 'Hybrid', 'Full-text and semantic ranks fused']].map(([value, label, title]) =>
        h('label', { class: ['segment', value === mode && 'active'], title },
          h('input', { type: 'radio', name: 'mode', value, checked: value === mode }), label)));
    const form = h('form', { class: 'searchbar', role: 'search', on: { submit: (event) => {
      event.preventDefault();
      const chosen = form.querySelector('input[name=mode]:checked').value;
      location.hash = searchHref({ ...current, q: input.value.trim(), mode: chosen === 'text' ? null : chosen, n: null });
    } } }, input, h('button', { class: 'btn btn-primary', type: 'submit', text: 'Search' }), modes);
    form.querySelectorAll('input[name=mode]').forEach((radio) => radio.addEventListener('change', () => {
      if (input.value.trim()) form.requestSubmit();
      else form.querySelectorAll('.segment').forEach((s) => s.classList.toggle('active', s.contains(radio) && radio.checked));
    }));

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
      const variables = { text, kinds: kinds.length ? kinds : null, artifactKinds: artifactKinds.length ? artifactKinds : null, first };
      const data = mode === 'text'
        ? await gql(SEARCH_QUERY, variables)
        : await gql(SEMANTIC_QUERY, { ...variables, mode: mode === 'hybrid' ? 'HYBRID' : 'VECTOR' });
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
      const list = h('ol', { class: 'hits' }, hits.map((hit) => renderHit(hit, mode)));
      const parts = [summary, list];
      if (hits.length >= first && first < SEARCH_MAX) {
        parts.push(h('div', { class: 'more' }, h('a', { class: 'btn', id: 'search-more', href: searchHref({ ...current, n: Math.min(SEARCH_MAX, first + SEARCH_STEP) }), text: 'Show more results' })));
      } else if (hits.length >= SEARCH_MAX) {
        parts.push(h('p', { class: 'muted small', text: `Showing the best ${SEARCH_MAX}. Narrow the search with more words or the filters.` }));
      }
      return parts;
    }).then(() => {
      if (facets.querySelector('.loading')) facets.replaceChildren();
    });
  }

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
    const artifactValues = ARTIFACT_KINDS.filter((k) => byArtifactKind[k] || current.akind.includes(k));
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
        node.success === true ? chip('Succeeded', 'ok') : node.success === false ? chip('Failed', 'bad') : null);
    }
    if (type === 'artifact' && node.version) details.push(chip(`v${node.version}`, 'plain'));
    return h('li', { class: ['hit', `hit-${type}`], dataset: { id: node.id, type } },
      h('div', { class: 'hit-head' }, kindBadge(node.__typename, node.kind), nodeLink(node),
        h('span', { class: 'hit-score', title: mode === 'text' ? 'Full-text relevance' : 'Similarity score', text: score(hit.score) })),
      node.description ? h('p', { class: 'hit-description', text: node.description }) : null,
      h('div', { class: 'hit-meta' }, h('code', { class: 'node-id', text: node.id }), details));
  }

  function renderBrowse() {
    const projects = connectionPanel({
      title: 'Most connected projects', id: 'browse-projects', pageSize: 8,
      query: `query Browse($first: Int, $after: String) { projects(first: $first, after: $after, orderBy: {field: DEGREE, direction: DESC}) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id name section status success uses(first: 0) { totalCount } members(first: 0) { totalCount } } } } }`,
      select: (d) => d.projects,
      renderEdge: ({ node }) => row(h('a', { class: 'node-link', href: nodeHref('project', node.id), text: node.name || node.id }),
        [node.section ? `${node.section} · ` : '', `${plural(node.uses.totalCount, 'artifact')} · ${plural(node.members.totalCount, 'member')}`],
        node.success === true ? chip('Succeeded', 'ok') : node.success === false ? chip('Failed', 'bad') : chip(node.status && titleCase(node.status), 'plain')),
      emptyText: 'The graph has no projects yet.',
    });
    const artifacts = connectionPanel({
      title: 'Most used artifacts', id: 'browse-artifacts', pageSize: 8,
      query: `query BrowseArtifacts($first: Int, $after: String) { artifacts(first: $first, after: $after, orderBy: {field: DEGREE, direction: DESC}) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id name kind version usedBy(first: 0) { totalCount } } } } }`,
      select: (d) => d.artifacts,
      renderEdge: ({ node }) => row(h('a', { class: 'node-link', href: nodeHref('artifact', node.id), text: node.name || node.id }),
        `used by ${plural(node.usedBy.totalCount, 'project')}`, kindBadge('Artifact', node.kind)),
      emptyText: 'The graph has no artifacts yet.',
    });
    return h('div', { class: 'grid grid-2 browse' }, projects, artifacts);
  }

  // ---------------------------------------------------------------- project page

  const PROJECT_QUERY = `query Project($id: ID!) { project(id: $id) {
    id name description status section tags success createdAt
    outcomePrediction { successProbability modelVersion }
    uses(first: 0) { totalCount } members(first: 0) { totalCount } } }`;

  async function renderProject(main, id) {
    const data = await loadNode(main, () => gql(PROJECT_QUERY, { id }));
    if (!data) return;
    const project = data.project;
    if (!project) return notFound(main, 'project', id);
    document.title = `${project.name || project.id} · Maestro Graph Explorer`;

    const outcome = project.success === true ? chip('Succeeded', 'ok') : project.success === false ? chip('Failed', 'bad') : chip('Outcome unknown', 'plain');
    const prediction = project.outcomePrediction;
    const side = h('div', { class: 'prediction', 'data-panel': 'prediction' },
      h('div', { class: 'prediction-label', text: 'Predicted chance of success' }),
      prediction
        ? [h('div', { class: 'prediction-value', text: pct(prediction.successProbability) }),
          meter(prediction.successProbability, prediction.successProbability >= 0.5 ? 'ok' : 'bad'),
          h('div', { class: 'model-version' }, 'model ', h('code', { text: prediction.modelVersion }))]
        : h('div', { class: 'prediction-none', text: 'No outcome model has been trained yet.' }));

    main.replaceChildren(
      crumbs({ href: '#/', text: 'Search' }, { text: 'Project' }),
      pageHeader({
        type: 'project', node: project,
        subtitle: [project.section && `${titleCase(project.section)}`, `${plural(project.uses.totalCount, 'artifact')} used`,
          plural(project.members.totalCount, 'member'), project.createdAt && `created ${date(project.createdAt)}`].filter(Boolean).join(' · '),
        chips: [chip(project.status && titleCase(project.status), project.status === 'active' ? 'ok' : 'plain'), outcome,
          ...(project.tags || []).map((tag) => h('a', { class: 'chip chip-tag', href: searchHref({ q: tag }), text: `#${tag}` }))],
        description: project.description,
        extra: side,
      }),
      columns([
        recommendedArtifactsPanel(id),
        connectionPanel({
          title: 'Uses', id: 'uses',
          query: `query Uses($id: ID!, $first: Int, $after: String) { project(id: $id) { uses(first: $first, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { id name kind version } usage { count kinds lastUsed } } } } }`,
          variables: { id }, select: (d) => d.project && d.project.uses,
          renderEdge: ({ node, usage }) => row(nodeLink({ ...node, __typename: 'Artifact' }),
            [usage.kinds.length ? usage.kinds.join(', ') : 'uses', usage.count ? ` · ${plural(usage.count, 'time')}` : '', usage.lastUsed ? ` · last ${date(usage.lastUsed)}` : ''],
            kindBadge('Artifact', node.kind)),
          emptyText: 'This project uses no artifacts yet.',
        }),
      ], [
        recommendedTeamPanel(id),
        connectionPanel({
          title: 'Members', id: 'members',
          query: `query Members($id: ID!, $first: Int, $after: String) { project(id: $id) { members(first: $first, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { id name kind } membership { roles since } } } } }`,
          variables: { id }, select: (d) => d.project && d.project.members,
          renderEdge: ({ node, membership }) => row(nodeLink({ ...node, __typename: 'Person' }),
            membership.since ? `since ${date(membership.since)}` : null,
            h('span', { class: 'chips' }, membership.roles.map((r) => chip(titleCase(r), 'plain')))),
          emptyText: 'Nobody is a member yet.',
        }),
        metricsPanel(id),
        similarProjectsPanel(id),
      ]));
  }

  function recommendedArtifactsPanel(projectId) {
    const p = growingPanel({
      title: 'Recommended artifacts', id: 'recommended-artifacts', wide: false,
      hint: 'Artifacts this project does not use yet, best first, with the reason.',
      first: 8, step: 8, max: 100,
      fetch: async (k) => (await gql(`query Recommend($id: ID!, $k: Int!) { recommendArtifacts(projectId: $id, k: $k) {
        score modelVersion coldStart artifact { id name kind description } because { __typename id name } } }`, { id: projectId, k })).recommendArtifacts,
      render: (items) => h('ol', { class: 'rows ranked' }, items.map((rec, i) => h('li', { class: 'row rec', dataset: { id: rec.artifact.id } },
        h('span', { class: 'rank', text: String(i + 1) }),
        h('div', { class: 'row-main' },
          h('div', { class: 'rec-title' }, nodeLink({ ...rec.artifact, __typename: 'Artifact' }), kindBadge('Artifact', rec.artifact.kind),
            rec.coldStart ? chip('cold start', 'warn') : null),
          rec.because.length ? h('div', { class: 'because' },
            h('span', { class: 'because-label', text: rec.coldStart ? 'used by similar projects:' : 'because it is used with' }),
            rec.because.map((node) => h('a', { class: 'because-item', href: nodeHref(typeOf(node.__typename), node.id), text: node.name || node.id }))) : null),
        h('div', { class: 'row-aside' }, h('span', { class: 'score', title: 'Recommendation score', text: score(rec.score) }))))),
      footer: (items) => modelFooter(items),
      emptyText: 'No recommendations yet: train the models (maestro-graph train).',
    });
    return p.root;
  }

  function modelFooter(items) {
    const versions = [...new Set(items.map((i) => i.modelVersion).filter(Boolean))];
    if (items.some((i) => i.coldStart)) {
      return h('p', { class: 'model-version' }, 'Cold start: this project is new to the model; ranked from text-similar projects.');
    }
    return versions.length ? h('p', { class: 'model-version' }, 'model ', versions.map((v) => h('code', { text: v }))) : null;
  }

  function recommendedTeamPanel(projectId) {
    const p = panel('Recommended team', { id: 'recommended-team', hint: 'People who are not members yet, and a composed team of four.' });
    const compose = h('div', { class: 'compose' });
    const list = h('div');
    p.body.replaceWith(h('div', { class: 'panel-body' }, compose, list));
    load(compose, async () => {
      const data = await gql(`query Compose($id: ID!) { composeTeam(projectId: $id, size: 4) {
        coverage pairsWorkedTogether neededArtifactIds members { score coldStart person { id name } } } }`, { id: projectId });
      const team = data.composeTeam;
      if (!team.members.length) return null;
      return h('div', { class: 'compose-card' },
        h('div', { class: 'compose-head' }, h('strong', { text: 'Suggested team' }),
          h('span', { class: 'muted small', text: `covers ${pct(team.coverage)} of ${plural(team.neededArtifactIds.length, 'needed artifact')} · ${plural(team.pairsWorkedTogether, 'pair')} worked together` })),
        h('div', { class: 'avatars' }, team.members.map((m) => h('a', { class: 'avatar-chip', href: nodeHref('person', m.person.id) },
          h('span', { class: 'avatar', 'aria-hidden': 'true', text: initials(m.person.name || m.person.id) }), m.person.name || m.person.id))));
    });
    let size = 8;
    const show = () => load(list, async () => {
      const data = await gql(`query Team($id: ID!, $k: Int!) { recommendTeam(projectId: $id, k: $k) {
        score modelVersion coldStart person { id name kind teams(first: 3) { edges { node { id name } } } } } }`, { id: projectId, k: size });
      const items = data.recommendTeam;
      p.count.textContent = items.length ? String(items.length) : '';
      if (!items.length) return empty('No suggestions yet: train the models (maestro-graph train).');
      const best = Math.max(...items.map((i) => Math.abs(i.score))) || 1;
      const parts = [h('ol', { class: 'rows ranked' }, items.map((rec, i) => h('li', { class: 'row', dataset: { id: rec.person.id } },
        h('span', { class: 'rank', text: String(i + 1) }),
        h('div', { class: 'row-main' }, h('div', { class: 'rec-title' }, nodeLink({ ...rec.person, __typename: 'Person' }), rec.coldStart ? chip('cold start', 'warn') : null),
          rec.person.teams.edges.length ? h('div', { class: 'row-sub' }, rec.person.teams.edges.map((e) => e.node.name || e.node.id).join(', ')) : null),
        h('div', { class: 'row-aside' }, meter(Math.abs(rec.score) / best), h('span', { class: 'score', text: score(rec.score) }))))),
      modelFooter(items)];
      if (items.length >= size && size < 100) {
        parts.push(h('div', { class: 'more' }, h('button', { class: 'btn btn-small', type: 'button', text: 'Show more', on: { click: () => { size = Math.min(100, size + 8); show(); } } })));
      }
      return parts;
    });
    show();
    return p.root;
  }

  function initials(name) {
    return name.split(/[\s:_-]+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join('');
  }

  const METRICS_QUERY = `query Metrics($id: ID!) { project(id: $id) {
    metrics { week commits authors churn busFactor collaboration }
    series: metricSeries(name: COMMITS) { at period value }
    dora(window: 30) { windowDays deployments failedDeployments deploymentFrequency leadTimeHours changes
      changeFailureRate timeToRestoreHours restores openFailures } } }`;

  /** Process metrics (git) and DORA metrics (deployments); left out where the API has no such fields. */
  function metricsPanel(projectId) {
    const p = panel('Process and delivery', { id: 'metrics', hint: 'Latest week of git activity, commits per week, and DORA metrics over the last 30 days.' });
    load(p.body, async () => {
      let data;
      try {
        data = await gql(METRICS_QUERY, { id: projectId });
      } catch (error) {
        if (error instanceof ApiError && error.kind === 'refused' && /Cannot query field/.test(error.message)) {
          p.root.remove(); // a server without these metrics
          return null;
        }
        throw error;
      }
      const project = data.project;
      if (!project) throw new ApiError('notfound', 'This project no longer exists.');
      const parts = [];
      const m = project.metrics;
      if (m) {
        parts.push(h('h3', { class: 'subhead' }, 'Git activity ', h('span', { class: 'muted small', text: `week of ${date(m.week)}` })),
          h('div', { class: 'tiles' },
            tile('Commits', m.commits), tile('Authors', m.authors), tile('Churn', m.churn, 'lines added + deleted'),
            tile('Bus factor', m.busFactor, 'fewest people whose leaving orphans half the files'),
            tile('Collaboration', m.collaboration === null || m.collaboration === undefined ? null : m.collaboration.toFixed(2))));
        const recent = project.series.slice(-26); // the last half year of weeks with data
        if (recent.length > 1) parts.push(sparkline(recent, 'commits per week'));
      } else {
        parts.push(h('p', { class: 'empty', text: 'No git history imported yet (maestro-graph import-git).' }));
      }
      const d = project.dora;
      parts.push(h('h3', { class: 'subhead' }, 'Delivery ', h('span', { class: 'muted small', text: `DORA, last ${d.windowDays} days` })));
      if (!d.deployments && !d.failedDeployments) {
        parts.push(h('p', { class: 'empty', text: 'No production deployments reported in this window.' }));
      } else {
        parts.push(h('div', { class: 'tiles' },
          tile('Deploys', d.deploymentFrequency >= 1 ? `${d.deploymentFrequency.toFixed(1)}/day` : `${(d.deploymentFrequency * 7).toFixed(1)}/week`,
            `${plural(d.deployments, 'successful deployment')}`),
          tile('Lead time', hours(d.leadTimeHours), d.changes ? `median over ${plural(d.changes, 'change')}` : null),
          tile('Change failure', d.changeFailureRate === null ? null : pct(d.changeFailureRate), plural(d.failedDeployments, 'failed deployment')),
          tile('Time to restore', hours(d.timeToRestoreHours), d.openFailures ? `${plural(d.openFailures, 'environment')} failing now` : null)));
      }
      return parts;
    });
    return p.root;
  }

  function hours(value) {
    if (value === null || value === undefined) return null;
    return value >= 48 ? `${(value / 24).toFixed(1)} d` : `${value.toFixed(1)} h`;
  }

  function tile(label, value, hint) {
    return h('div', { class: 'tile', title: hint || null },
      h('div', { class: 'tile-value', text: value === null || value === undefined ? '–' : String(value) }),
      h('div', { class: 'tile-label', text: label }));
  }

  function sparkline(points, label) {
    const width = 320;
    const height = 48;
    const values = points.map((pt) => pt.value);
    const max = Math.max(...values, 1);
    const step = width / Math.max(1, values.length - 1);
    const coords = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 4 - (v / max) * (height - 8)).toFixed(1)}`);
    return h('figure', { class: 'sparkline' },
      h('svg:svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label },
        h('svg:polyline', { points: coords.join(' '), class: 'spark-line' })),
      h('figcaption', { class: 'muted small', text: `${label}: ${points[0].period} to ${points[points.length - 1].period}, at most ${max}` }));
  }

  function similarProjectsPanel(projectId) {
    return growingPanel({
      title: 'Similar projects', id: 'similar-projects', hint: 'Nearest in meaning (text embeddings of name and description).',
      first: 5, step: 5, max: 50,
      fetch: async (k) => {
        const data = await gql(`query Similar($id: ID!, $k: Int!) { project(id: $id) { similarProjects(first: $k) { score project { id name success section } } } }`, { id: projectId, k });
        return data.project ? data.project.similarProjects : [];
      },
      render: (items) => h('ul', { class: 'rows' }, items.map((s) => row(nodeLink({ ...s.project, __typename: 'Project' }),
        s.project.section, [s.project.success === true ? chip('Succeeded', 'ok') : s.project.success === false ? chip('Failed', 'bad') : null,
          h('span', { class: 'score', title: 'Cosine similarity', text: score(s.score) })]))),
      emptyText: 'No similar projects: embed the graph first (maestro-graph embed).',
    }).root;
  }

  // ---------------------------------------------------------------- artifact page

  const ARTIFACT_QUERY = `query Artifact($id: ID!) { artifact(id: $id) {
    id name kind version uri description section createdAt
    impact { score rank modelVersion }
    usedBy(first: 0) { totalCount } derivedFrom(first: 0) { totalCount } derivatives(first: 0) { totalCount } } }`;

  const ARTIFACT_EDGE = 'totalCount pageInfo { hasNextPage endCursor } edges { node { id name kind version } }';

  async function renderArtifact(main, id) {
    const data = await loadNode(main, () => gql(ARTIFACT_QUERY, { id }));
    if (!data) return;
    const artifact = data.artifact;
    if (!artifact) return notFound(main, 'artifact', id);
    document.title = `${artifact.name || artifact.id} · Maestro Graph Explorer`;

    const impact = artifact.impact;
    const side = h('div', { class: 'prediction', 'data-panel': 'impact' },
      h('div', { class: 'prediction-label', text: 'Impact on project success' }),
      impact
        ? [h('div', { class: ['prediction-value', impact.score >= 0 ? 'positive' : 'negative'], text: signedPoints(impact.score) }),
          h('div', { class: 'prediction-rank' }, `rank #${impact.rank} · `, h('a', { href: `#/leaderboard?kind=${encodeURIComponent((artifact.kind || '').toUpperCase())}`, text: 'leaderboard' })),
          h('p', { class: 'muted small', text: 'Mean change in the predicted success of its user projects when it is taken away.' }),
          h('div', { class: 'model-version' }, 'model ', h('code', { text: impact.modelVersion }))]
        : h('div', { class: 'prediction-none', text: 'No impact model has been trained yet.' }));
    const uri = artifact.uri && /^https?:\/\//i.test(artifact.uri)
      ? h('a', { href: artifact.uri, target: '_blank', rel: 'noopener noreferrer', text: artifact.uri }) : artifact.uri;

    main.replaceChildren(
      crumbs({ href: '#/', text: 'Search' }, { text: 'Artifact' }),
      pageHeader({
        type: 'artifact', node: artifact,
        subtitle: [artifact.version && `version ${artifact.version}`, artifact.section && titleCase(artifact.section),
          `used by ${plural(artifact.usedBy.totalCount, 'project')}`, artifact.createdAt && `created ${date(artifact.createdAt)}`].filter(Boolean).join(' · '),
        chips: [uri ? h('span', { class: 'chip chip-plain chip-uri' }, uri) : null],
        description: artifact.description,
        extra: side,
      }),
      columns([
        connectionPanel({
          title: 'Used by', id: 'used-by',
          query: `query UsedBy($id: ID!, $first: Int, $after: String) { artifact(id: $id) { usedBy(first: $first, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { id name success section } usage { count kinds lastUsed } } } } }`,
          variables: { id }, select: (d) => d.artifact && d.artifact.usedBy,
          renderEdge: ({ node, usage }) => row(nodeLink({ ...node, __typename: 'Project' }),
            [usage.kinds.length ? usage.kinds.join(', ') : 'uses', usage.count ? ` · ${plural(usage.count, 'time')}` : '', node.section ? ` · ${node.section}` : ''],
            node.success === true ? chip('Succeeded', 'ok') : node.success === false ? chip('Failed', 'bad') : null),
          emptyText: 'No project uses this artifact yet.',
        }),
        connectionPanel({
          title: 'Creators', id: 'creators',
          query: `query Creators($id: ID!, $first: Int, $after: String) { artifact(id: $id) { creators(first: $first, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { id name kind } } } } }`,
          variables: { id }, select: (d) => d.artifact && d.artifact.creators,
          renderEdge: ({ node }) => row(nodeLink({ ...node, __typename: 'Person' }), node.kind === 'team' ? 'group address' : null),
          emptyText: 'No creator recorded.',
        }),
      ], [
        lineagePanel(artifact),
      ]));
  }

  function lineagePanel(artifact) {
    const p = panel('Lineage', { id: 'lineage', hint: 'What this artifact was derived from, and what was derived from it.' });
    const edgeRow = ({ node }) => row(nodeLink({ ...node, __typename: 'Artifact' }), node.version ? `version ${node.version}` : null, kindBadge('Artifact', node.kind));
    const up = connectionPanel({
      title: 'Derived from', id: 'derived-from', pageSize: 5,
      query: `query DerivedFrom($id: ID!, $first: Int, $after: String) { artifact(id: $id) { derivedFrom(first: $first, after: $after) { ${ARTIFACT_EDGE} } } }`,
      variables: { id: artifact.id }, select: (d) => d.artifact && d.artifact.derivedFrom, renderEdge: edgeRow,
      emptyText: 'Not derived from another artifact.',
    });
    const down = connectionPanel({
      title: 'Derivatives', id: 'derivatives', pageSize: 5,
      query: `query Derivatives($id: ID!, $first: Int, $after: String) { artifact(id: $id) { derivatives(first: $first, after: $after) { ${ARTIFACT_EDGE} } } }`,
      variables: { id: artifact.id }, select: (d) => d.artifact && d.artifact.derivatives, renderEdge: edgeRow,
      emptyText: 'Nothing derived from it yet.',
    });
    up.classList.add('nested');
    down.classList.add('nested');
    p.body.replaceChildren(up, h('div', { class: 'lineage-self' },
      h('span', { class: 'lineage-this', text: 'this artifact' }), kindBadge('Artifact', artifact.kind),
      h('strong', { text: artifact.name || artifact.id })), down);
    p.count.textContent = String(artifact.derivedFrom.totalCount + artifact.derivatives.totalCount);
    return p.root;
  }

  // ---------------------------------------------------------------- person and team pages

  async function renderPerson(main, id) {
    const data = await loadNode(main, () => gql(`query Person($id: ID!) { person(id: $id) { id name kind createdAt
      projects(first: 0) { totalCount } created(first: 0) { totalCount } } }`, { id }));
    if (!data) return;
    const person = data.person;
    if (!person) return notFound(main, 'person', id);
    document.title = `${person.name || person.id} · Maestro Graph Explorer`;
    main.replaceChildren(
      crumbs({ href: '#/', text: 'Search' }, { text: 'Person' }),
      pageHeader({
        type: 'person', node: person,
        subtitle: [person.kind === 'team' ? 'a group address acting as one person' : null,
          `member of ${plural(person.projects.totalCount, 'project')}`, `created ${plural(person.created.totalCount, 'artifact')}`].filter(Boolean).join(' · '),
      }),
      columns([
        connectionPanel({
          title: 'Projects', id: 'person-projects',
          query: `query PersonProjects($id: ID!, $first: Int, $after: String) { person(id: $id) { projects(first: $first, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { id name success section } membership { roles since } } } } }`,
          variables: { id }, select: (d) => d.person && d.person.projects,
          renderEdge: ({ node, membership }) => row(nodeLink({ ...node, __typename: 'Project' }), node.section,
            h('span', { class: 'chips' }, membership.roles.map((r) => chip(titleCase(r), 'plain')),
              node.success === true ? chip('Succeeded', 'ok') : node.success === false ? chip('Failed', 'bad') : null)),
          emptyText: 'Not a member of any project.',
        }),
      ], [
        connectionPanel({
          title: 'Created', id: 'person-created',
          query: `query PersonCreated($id: ID!, $first: Int, $after: String) { person(id: $id) { created(first: $first, after: $after) { ${ARTIFACT_EDGE} } } }`,
          variables: { id }, select: (d) => d.person && d.person.created,
          renderEdge: ({ node }) => row(nodeLink({ ...node, __typename: 'Artifact' }), node.version ? `version ${node.version}` : null, kindBadge('Artifact', node.kind)),
          emptyText: 'No artifacts created.',
        }),
        connectionPanel({
          title: 'Teams', id: 'person-teams',
          query: `query PersonTeams($id: ID!, $first: Int, $after: String) { person(id: $id) { teams(first: $first, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { id name description } } } } }`,
          variables: { id }, select: (d) => d.person && d.person.teams,
          renderEdge: ({ node }) => row(nodeLink({ ...node, __typename: 'Team' }), node.description),
          emptyText: 'In no team.',
        }),
      ]));
  }

  async function renderTeam(main, id) {
    const data = await loadNode(main, () => gql(`query Team($id: ID!) { team(id: $id) { id name description createdAt members(first: 0) { totalCount } } }`, { id }));
    if (!data) return;
    const team = data.team;
    if (!team) return notFound(main, 'team', id);
    document.title = `${team.name || team.id} · Maestro Graph Explorer`;
    main.replaceChildren(
      crumbs({ href: '#/', text: 'Search' }, { text: 'Team' }),
      pageHeader({ type: 'team', node: team, subtitle: plural(team.members.totalCount, 'member'), description: team.description }),
      h('div', { class: 'grid grid-2' },
        connectionPanel({
          title: 'Members', id: 'team-members',
          query: `query TeamMembers($id: ID!, $first: Int, $after: String) { team(id: $id) { members(first: $first, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { id name kind projects(first: 0) { totalCount } } } } } }`,
          variables: { id }, select: (d) => d.team && d.team.members,
          renderEdge: ({ node }) => row(nodeLink({ ...node, __typename: 'Person' }), `member of ${plural(node.projects.totalCount, 'project')}`),
          emptyText: 'Nobody in this team yet.',
        })));
  }

  // ---------------------------------------------------------------- leaderboard

  /** The leaderboard is a ranked list without cursors; `after` takes the API's offset cursor. */
  function offsetCursor(offset) {
    return btoa(`offset:${offset}`).replace(/\+/g, '-').replace(/\//g, '_');
  }

  function renderLeaderboard(main, params) {
    const kind = ARTIFACT_KINDS.includes(params.get('kind')) ? params.get('kind') : null;
    const page = Math.max(0, (Number(params.get('page')) || 1) - 1);
    const size = 20;
    document.title = 'Artifact leaderboard · Maestro Graph Explorer';
    const href = (k, p) => `#/leaderboard${k || p ? '?' : ''}${new URLSearchParams({ ...(k ? { kind: k } : {}), ...(p ? { page: String(p + 1) } : {}) })}`;
    const filters = h('div', { class: 'filter-chips', role: 'group', 'aria-label': 'Artifact kind' },
      [null, ...ARTIFACT_KINDS].map((k) => h('a', { class: ['filter-chip', k === kind && 'active'], href: href(k, 0), dataset: { kind: k || 'ALL' }, text: k ? titleCase(k) : 'All kinds' })));
    const body = h('div', { class: 'panel-body' });
    main.replaceChildren(
      h('section', { class: 'page-intro' },
        h('h1', { text: 'Artifact leaderboard' }),
        h('p', { class: 'muted', text: 'Artifacts ranked by their learned impact on project success: the mean change in the predicted success of the projects that use an artifact when it is taken out of their neighbourhood.' })),
      filters,
      h('section', { class: 'panel panel-wide', 'data-panel': 'leaderboard' }, body));
    load(body, async () => {
      const data = await gql(`query Leaderboard($first: Int, $after: String, $kind: ArtifactKind) {
        artifactLeaderboard(first: $first, after: $after, kind: $kind) { impact { score rank modelVersion } artifact { id name kind version usedBy(first: 0) { totalCount } } } }`,
      { first: size + 1, after: page ? offsetCursor(page * size - 1) : null, kind });
      const entries = data.artifactLeaderboard;
      const hasNext = entries.length > size;
      const shown = entries.slice(0, size);
      if (!shown.length) {
        return empty(page ? 'No more artifacts.' : 'No impact model yet: train the models (maestro-graph train) to rank artifacts.');
      }
      const best = Math.max(...shown.map((e) => Math.abs(e.impact.score))) || 1;
      const versions = [...new Set(shown.map((e) => e.impact.modelVersion))];
      const table = h('table', { class: 'table leaderboard' },
        h('thead', {}, h('tr', {}, ['Rank', 'Artifact', 'Kind', 'Used by', 'Impact', ''].map((c) => h('th', { text: c })))),
        h('tbody', {}, shown.map((e) => {
          const width = Math.abs(e.impact.score) / best;
          const bar = h('span', { class: ['diverging-fill', e.impact.score >= 0 ? 'positive' : 'negative'] });
          bar.style.width = `${width * 50}%`;
          return h('tr', { dataset: { id: e.artifact.id } },
            h('td', { class: 'num rank-cell', text: `#${e.impact.rank}` }),
            h('td', {}, nodeLink({ ...e.artifact, __typename: 'Artifact' })),
            h('td', {}, kindBadge('Artifact', e.artifact.kind)),
            h('td', { class: 'num', text: e.artifact.usedBy.totalCount.toLocaleString() }),
            h('td', { class: 'diverging-cell' }, h('span', { class: 'diverging' }, h('span', { class: 'diverging-axis' }), bar)),
            h('td', { class: ['num', e.impact.score >= 0 ? 'positive' : 'negative'], text: signedPoints(e.impact.score) }));
        })));
      return [table,
        h('div', { class: 'table-foot' },
          h('p', { class: 'model-version' }, 'model ', versions.map((v) => h('code', { text: v }))),
          pager({ start: page * size, shown: shown.length, total: null, hasPrevious: page > 0, hasNext,
            onPrevious: () => { location.hash = href(kind, page - 1); }, onNext: () => { location.hash = href(kind, page + 1); } }))];
    });
  }

  // ---------------------------------------------------------------- graph view

  const NEIGHBOURHOOD = {
    project: {
      query: `query N($id: ID!) { node: project(id: $id) { id name
        uses(first: 24) { totalCount edges { node { id name kind } } }
        members(first: 16) { totalCount edges { node { id name } } } } }`,
      groups: [['uses', 'artifact', 'USES', 'out'], ['members', 'person', 'MEMBER_OF', 'in']],
    },
    artifact: {
      query: `query N($id: ID!) { node: artifact(id: $id) { id name kind
        usedBy(first: 20) { totalCount edges { node { id name } } }
        creators(first: 8) { totalCount edges { node { id name } } }
        derivedFrom(first: 8) { totalCount edges { node { id name kind } } }
        derivatives(first: 8) { totalCount edges { node { id name kind } } } } }`,
      groups: [['usedBy', 'project', 'USES', 'in'], ['creators', 'person', 'CREATED', 'in'],
        ['derivedFrom', 'artifact', 'DERIVED_FROM', 'out'], ['derivatives', 'artifact', 'DERIVED_FROM', 'in']],
    },
    person: {
      query: `query N($id: ID!) { node: person(id: $id) { id name
        projects(first: 20) { totalCount edges { node { id name } } }
        created(first: 16) { totalCount edges { node { id name kind } } }
        teams(first: 8) { totalCount edges { node { id name } } } } }`,
      groups: [['projects', 'project', 'MEMBER_OF', 'out'], ['created', 'artifact', 'CREATED', 'out'], ['teams', 'team', 'IN_TEAM', 'out']],
    },
    team: {
      query: `query N($id: ID!) { node: team(id: $id) { id name members(first: 40) { totalCount edges { node { id name } } } } }`,
      groups: [['members', 'person', 'IN_TEAM', 'in']],
    },
  };

  const GROUP_TITLES = { uses: 'uses', members: 'members', usedBy: 'used by', creators: 'creators', derivedFrom: 'derived from',
    derivatives: 'derivatives', projects: 'projects', created: 'created', teams: 'teams' };

  async function renderGraph(main, type, id) {
    const spec = NEIGHBOURHOOD[type];
    if (!spec) {
      main.replaceChildren(errorBox(new ApiError('notfound', 'There is no such page.')), h('p', {}, h('a', { href: '#/', text: '← Back to search' })));
      return null;
    }
    const data = await loadNode(main, () => gql(spec.query, { id }));
    if (!data) return;
    const center = data.node;
    if (!center) return notFound(main, type, id);
    document.title = `${center.name || center.id} · Graph · Maestro Graph Explorer`;

    const nodes = [{ key: `${type}:${center.id}`, id: center.id, name: center.name || center.id, type, center: true, kind: center.kind }];
    const links = [];
    const seen = new Map([[nodes[0].key, 0]]);
    const summary = [];
    for (const [field, neighbourType, relation, direction] of spec.groups) {
      const conn = center[field];
      summary.push({ field, shown: conn.edges.length, total: conn.totalCount });
      for (const { node } of conn.edges) {
        const key = `${neighbourType}:${node.id}`;
        if (!seen.has(key)) {
          seen.set(key, nodes.length);
          nodes.push({ key, id: node.id, name: node.name || node.id, type: neighbourType, kind: node.kind });
        }
        links.push({ source: 0, target: seen.get(key), relation, direction });
      }
    }
    const width = 960;
    const height = 620;
    forceLayout(nodes, links, width, height);
    const svg = drawGraph(nodes, links, width, height);

    main.replaceChildren(
      crumbs({ href: '#/', text: 'Search' }, { href: nodeHref(type, center.id), text: center.name || center.id }, { text: 'Graph' }),
      h('section', { class: 'graph-head' },
        h('div', {}, h('h1', {}, kindBadge(LABELS[type], type === 'artifact' ? center.kind : null), ' ', center.name || center.id),
          h('p', { class: 'muted', text: 'The node and its direct neighbours. Click a neighbour to move there; open a page for the details.' })),
        nodeActions(type, center.id, { page: true, noGraph: true })),
      h('div', { class: 'graph-layout' },
        h('div', { class: 'graph-canvas', 'data-panel': 'graph' }, svg),
        h('aside', { class: 'graph-side' },
          h('h2', { text: 'Neighbours' }),
          h('ul', { class: 'legend' }, summary.map((s) => h('li', {},
            h('span', { class: ['legend-dot', `dot-${spec.groups.find((g) => g[0] === s.field)[1]}`], 'aria-hidden': 'true' }),
            h('span', { class: 'legend-label', text: GROUP_TITLES[s.field] }),
            h('span', { class: 'legend-count', text: s.shown < s.total ? `${s.shown} of ${s.total}` : String(s.total) })))),
          summary.some((s) => s.shown < s.total)
            ? h('p', { class: 'muted small', text: 'Only the first of many neighbours are drawn; the page lists them all.' }) : null,
          h('h2', { text: 'Legend' }),
          h('ul', { class: 'legend' }, Object.keys(LABELS).map((t) => h('li', {},
            h('span', { class: ['legend-dot', `dot-${t}`], 'aria-hidden': 'true' }), h('span', { class: 'legend-label', text: LABELS[t] })))))));
  }

  /** A small deterministic force layout: the centre is pinned, neighbours repel and hang on springs. */
  function forceLayout(nodes, links, width, height) {
    const cx = width / 2;
    const cy = height / 2;
    const n = nodes.length;
    const radius = Math.min(width, height) * 0.36;
    // Start on a circle, neighbours of one type side by side, so the result is stable and readable.
    const order = nodes.slice(1).map((node, i) => ({ node, i })).sort((a, b) => a.node.type.localeCompare(b.node.type) || a.i - b.i);
    order.forEach(({ node }, i) => {
      const angle = (2 * Math.PI * i) / Math.max(1, n - 1) - Math.PI / 2;
      node.x = cx + radius * Math.cos(angle);
      node.y = cy + radius * Math.sin(angle) * 0.8;
    });
    nodes[0].x = cx;
    nodes[0].y = cy;
    const rest = Math.min(width, height) * (n > 24 ? 0.42 : 0.36);
    let temperature = 24;
    for (let iteration = 0; iteration < 300; iteration += 1) {
      const fx = new Float64Array(n);
      const fy = new Float64Array(n);
      for (let i = 0; i < n; i += 1) {
        for (let j = i + 1; j < n; j += 1) {
          let dx = nodes[i].x - nodes[j].x;
          let dy = nodes[i].y - nodes[j].y;
          let d2 = dx * dx + dy * dy;
          if (d2 < 0.01) { dx = 0.1 * (i - j); dy = 0.1; d2 = dx * dx + dy * dy; }
          const force = 5200 / d2;
          const d = Math.sqrt(d2);
          fx[i] += (dx / d) * force; fy[i] += (dy / d) * force;
          fx[j] -= (dx / d) * force; fy[j] -= (dy / d) * force;
        }
      }
      for (const link of links) {
        const a = nodes[link.source];
        const b = nodes[link.target];
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const d = Math.sqrt(dx * dx + dy * dy) || 0.01;
        const force = (d - rest) * 0.06;
        fx[link.target] -= (dx / d) * force; fy[link.target] -= (dy / d) * force;
      }
      for (let i = 1; i < n; i += 1) {
        const step = Math.sqrt(fx[i] * fx[i] + fy[i] * fy[i]);
        const limited = Math.min(step, temperature) / (step || 1);
        nodes[i].x = Math.max(70, Math.min(width - 70, nodes[i].x + fx[i] * limited));
        nodes[i].y = Math.max(40, Math.min(height - 40, nodes[i].y + fy[i] * limited));
      }
      temperature = Math.max(0.5, temperature * 0.985);
    }
  }

  function drawGraph(nodes, links, width, height) {
    const svg = h('svg:svg', { viewBox: `0 0 ${width} ${height}`, class: 'graph', role: 'img', 'aria-label': `Neighbourhood of ${nodes[0].name}` });
    const edgeLayer = h('svg:g', { class: 'g-edges' });
    const nodeLayer = h('svg:g', { class: 'g-nodes' });
    svg.append(h('svg:defs', {}, h('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
      h('svg:path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'g-arrow' }))), edgeLayer, nodeLayer);
    for (const link of links) {
      const a = nodes[link.source];
      const b = nodes[link.target];
      const [from, to] = link.direction === 'out' ? [a, b] : [b, a];
      const dx = to.x - from.x;
      const dy = to.y - from.y;
      const d = Math.sqrt(dx * dx + dy * dy) || 1;
      const rFrom = from.center ? 26 : 11;
      const rTo = to.center ? 29 : 14;
      edgeLayer.append(h('svg:g', { class: `g-edge rel-${link.relation.toLowerCase()}` },
        h('svg:line', { x1: (from.x + (dx / d) * rFrom).toFixed(1), y1: (from.y + (dy / d) * rFrom).toFixed(1),
          x2: (to.x - (dx / d) * rTo).toFixed(1), y2: (to.y - (dy / d) * rTo).toFixed(1), 'marker-end': 'url(#arrow)' }),
        h('svg:text', { class: 'g-edge-label', x: ((a.x + b.x) / 2).toFixed(1), y: ((a.y + b.y) / 2 - 3).toFixed(1), 'text-anchor': 'middle', text: link.relation })));
    }
    const cx = nodes[0].x;
    const cy = nodes[0].y;
    for (const node of nodes) {
      const limit = node.center ? 40 : 26;
      const label = node.name.length > limit ? `${node.name.slice(0, limit - 1)}…` : node.name;
      // Labels point away from the centre, so they do not sit on the edges.
      const dx = node.x - cx;
      const dy = node.y - cy;
      let x = 0;
      let y = node.center ? 44 : 4;
      let anchor = 'middle';
      if (!node.center) {
        if (Math.abs(dx) > Math.abs(dy) * 0.6) { x = dx > 0 ? 17 : -17; anchor = dx > 0 ? 'start' : 'end'; } else { y = dy > 0 ? 28 : -18; }
      }
      const group = h('svg:g', { class: ['g-node', `node-${node.type}`, node.center && 'g-center'], transform: `translate(${node.x.toFixed(1)},${node.y.toFixed(1)})`, dataset: { id: node.id, type: node.type } },
        h('svg:title', { text: `${LABELS[node.type]}${node.kind ? ` (${node.kind})` : ''}: ${node.name} — ${node.id}` }),
        h('svg:circle', { r: node.center ? 24 : 11 }),
        h('svg:text', { class: 'g-label', x: String(x), y: String(y), 'text-anchor': anchor, 'dominant-baseline': node.center || anchor === 'middle' ? 'auto' : 'middle', text: label }));
      nodeLayer.append(node.center ? group : h('svg:a', { href: graphHref(node.type, node.id), class: 'g-link' }, group));
    }
    return svg;
  }

  // ---------------------------------------------------------------- router

  function parseHash() {
    const raw = location.hash.replace(/^#/, '') || '/';
    const at = raw.indexOf('?');
    const path = at >= 0 ? raw.slice(0, at) : raw;
    const params = new URLSearchParams(at >= 0 ? raw.slice(at + 1) : '');
    let parts;
    try {
      parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch (_) {
      parts = ['?'];
    }
    return { parts, params };
  }

  function render() {
    state.generation += 1;
    updateTokenButton();
    const main = $('#app');
    const { parts, params } = parseHash();
    const [page, a, b] = parts;
    document.querySelectorAll('[data-nav]').forEach((link) => link.classList.toggle('active',
      link.dataset.nav === (page === 'leaderboard' ? 'leaderboard' : !page || page === 'search' ? 'search' : '')));
    main.dataset.page = page || 'search';
    main.dataset.route = location.hash; // which address the content shown belongs to
    window.scrollTo(0, 0);
    if (!page || page === 'search') return renderSearch(main, params);
    if (page === 'leaderboard') return renderLeaderboard(main, params);
    if (page === 'project' && a) return renderProject(main, a);
    if (page === 'artifact' && a) return renderArtifact(main, a);
    if (page === 'person' && a) return renderPerson(main, a);
    if (page === 'team' && a) return renderTeam(main, a);
    if (page === 'graph' && a && b) return renderGraph(main, a, b);
    main.replaceChildren(errorBox(new ApiError('notfound', 'There is no such page.')), h('p', {}, h('a', { href: '#/', text: '← Back to search' })));
    return null;
  }

  async function start() {
    wireTokenDialog();
    updateTokenButton();
    try {
      const response = await fetch('config.json', { cache: 'no-store', credentials: 'omit' });
      if (response.ok) Object.assign(state.config, await response.json());
    } catch (_) { /* the first API call reports an unreachable server */ }
    if (state.config.profile) {
      const profile = $('#profile');
      profile.textContent = `${state.config.profile} profile`;
      profile.classList.add(`profile-${state.config.profile}`);
      profile.hidden = false;
    }
    window.addEventListener('hashchange', render);
    render();
  }

  document.addEventListener('DOMContentLoaded', start);
}());
