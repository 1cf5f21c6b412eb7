/* A project's page (#/project/<id>): what it uses, who works on it, what the models
 * recommend and predict, and its process metrics. */

import { gql } from '../api/client.js';
import { subscribe } from '../api/live.js';
import { columns, crumbs, loadNode, notFound, pageHeader } from '../components/page.js';
import { connectionPanel, growingPanel } from '../components/panels.js';
import { chip, kindBadge, meter, nodeLink, outcomeChip, row } from '../components/widgets.js';
import { h } from '../lib/dom.js';
import { date, pct, plural, score, titleCase } from '../lib/format.js';
import { searchHref } from '../lib/links.js';
import { rerender } from '../navigation.js';
import { currentRendering } from '../state.js';
import { metricsPanel } from './metrics.js';
import { recommendedArtifactsPanel, recommendedTeamPanel } from './recommendations.js';

export async function renderProject(main, id) {
  const data = await loadNode(main, () => gql('Project', { id }));
  if (!data) return;
  const project = data.project;
  if (!project) return notFound(main, 'project', id);
  document.title = `${project.name || project.id} · Maestro Graph Explorer`;

  main.replaceChildren(
    crumbs({ href: '#/', text: 'Search' }, { text: 'Project' }),
    liveUpdates(id),
    pageHeader({
      type: 'project', node: project,
      subtitle: [project.section && `${titleCase(project.section)}`, `${plural(project.uses.totalCount, 'artifact')} used`,
        plural(project.members.totalCount, 'member'), project.createdAt && `created ${date(project.createdAt)}`].filter(Boolean).join(' · '),
      chips: [chip(project.status && titleCase(project.status), project.status === 'active' ? 'ok' : 'plain'),
        outcomeChip(project.success, chip('Outcome unknown', 'plain')),
        ...(project.tags || []).map((tag) => h('a', { class: 'chip chip-tag', href: searchHref({ q: tag }), text: `#${tag}` }))],
      description: project.description,
      extra: predictionSide(project.outcomePrediction),
    }),
    columns([
      recommendedArtifactsPanel(id),
      usesPanel(id),
    ], [
      recommendedTeamPanel(id),
      membersPanel(id),
      metricsPanel(id),
      similarProjectsPanel(id),
    ]));
}

/** Writes to this project as they are committed (a graphChanged subscription over SSE): the
 * page says it is live, and offers to refresh once something changed. The stream stops when
 * the user leaves the page. */
function liveUpdates(id) {
  const rendering = currentRendering();
  const status = h('span', { class: 'live-status', dataset: { live: 'connecting' }, text: 'Connecting to live updates…' });
  const changes = h('span', { class: 'live-changes' });
  const refresh = h('button', { class: 'live-refresh', type: 'button', hidden: true, text: 'Refresh', on: { click: () => rerender() } });
  const bar = h('div', { class: 'live', 'data-panel': 'live' }, status, changes, refresh);
  let seen = 0;
  const stop = subscribe('ProjectChanges', { projectIds: [id] }, {
    data: ({ graphChanged: change }) => {
      if (rendering !== currentRendering()) return stop();
      seen += 1;
      bar.dataset.changes = String(seen);
      changes.textContent = `${plural(seen, 'change')} since this page loaded, last ${change.kind}` +
        (change.changedFields.length ? ` (${change.changedFields.join(', ')})` : '');
      refresh.hidden = false;
    },
    state: (state) => {
      status.dataset.live = state;
      status.textContent = state === 'live' ? 'Live' : 'Live updates off';
    },
  });
  // Stopped when the user leaves, or the page is drawn again (a refresh, a retry).
  const watch = setInterval(() => {
    if (bar.isConnected && rendering === currentRendering()) return;
    clearInterval(watch);
    stop();
  }, 1000);
  window.addEventListener('hashchange', stop, { once: true });
  return bar;
}

/** The outcome model's answer beside the header, naming the model version that gave it. */
function predictionSide(prediction) {
  return h('div', { class: 'prediction', 'data-panel': 'prediction' },
    h('div', { class: 'prediction-label', text: 'Predicted chance of success' }),
    prediction
      ? [h('div', { class: 'prediction-value', text: pct(prediction.successProbability) }),
        meter(prediction.successProbability, prediction.successProbability >= 0.5 ? 'ok' : 'bad'),
        h('div', { class: 'model-version' }, 'model ', h('code', { text: prediction.modelVersion }))]
      : h('div', { class: 'prediction-none', text: 'No outcome model has been trained yet.' }));
}

function usesPanel(id) {
  return connectionPanel({
    title: 'Uses', id: 'uses', document: 'ProjectUses',
    variables: { id }, select: (d) => d.project && d.project.uses,
    renderEdge: ({ node, usage }) => row(nodeLink(node),
      [usage.kinds.length ? usage.kinds.join(', ') : 'uses', usage.count ? ` · ${plural(usage.count, 'time')}` : '', usage.lastUsed ? ` · last ${date(usage.lastUsed)}` : ''],
      kindBadge(node.__typename, node.kind)),
    emptyText: 'This project uses no artifacts yet.',
  });
}

function membersPanel(id) {
  return connectionPanel({
    title: 'Members', id: 'members', document: 'ProjectMembers',
    variables: { id }, select: (d) => d.project && d.project.members,
    renderEdge: ({ node, membership }) => row(nodeLink(node),
      membership.since ? `since ${date(membership.since)}` : null,
      h('span', { class: 'chips' }, membership.roles.map((r) => chip(titleCase(r), 'plain')))),
    emptyText: 'Nobody is a member yet.',
  });
}

function similarProjectsPanel(projectId) {
  return growingPanel({
    title: 'Similar projects', id: 'similar-projects', hint: 'Nearest in meaning (text embeddings of name and description).',
    first: 5, step: 5, max: 50,
    fetch: async (k) => {
      const data = await gql('SimilarProjects', { id: projectId, k });
      return data.project ? data.project.similarProjects : [];
    },
    render: (items) => h('ul', { class: 'rows' }, items.map((s) => row(nodeLink(s.project),
      s.project.section, [outcomeChip(s.project.success), h('span', { class: 'score', title: 'Cosine similarity', text: score(s.score) })]))),
    emptyText: 'No similar projects: embed the graph first (maestro-graph embed).',
  }).root;
}
