/* An artifact's page (#/artifact/<id>): its impact on project success, who uses and made
 * it, and its lineage. */

import { gql } from '../api/client.js';
import { columns, crumbs, loadNode, notFound, pageHeader } from '../components/page.js';
import { connectionPanel, panel } from '../components/panels.js';
import { kindBadge, nodeLink, outcomeChip, row } from '../components/widgets.js';
import { h } from '../lib/dom.js';
import { date, plural, signedPoints, titleCase } from '../lib/format.js';

export async function renderArtifact(main, id) {
  const data = await loadNode(main, () => gql('Artifact', { id }));
  if (!data) return;
  const artifact = data.artifact;
  if (!artifact) return notFound(main, 'artifact', id);
  document.title = `${artifact.name || artifact.id} · Maestro Graph Explorer`;
  // Only web addresses become links; anything else (s3://, a path) is shown as text.
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
      extra: impactSide(artifact),
    }),
    columns([usedByPanel(id), creatorsPanel(id)], [lineagePanel(artifact)]));
}

/** The impact model's answer beside the header, naming the model version that gave it. */
function impactSide(artifact) {
  const impact = artifact.impact;
  return h('div', { class: 'prediction', 'data-panel': 'impact' },
    h('div', { class: 'prediction-label', text: 'Impact on project success' }),
    impact
      ? [h('div', { class: ['prediction-value', impact.score >= 0 ? 'positive' : 'negative'], text: signedPoints(impact.score) }),
        h('div', { class: 'prediction-rank' }, `rank #${impact.rank} · `, h('a', { href: `#/leaderboard?kind=${encodeURIComponent((artifact.kind || '').toUpperCase())}`, text: 'leaderboard' })),
        h('p', { class: 'muted small', text: 'Mean change in the predicted success of its user projects when it is taken away.' }),
        h('div', { class: 'model-version' }, 'model ', h('code', { text: impact.modelVersion }))]
      : h('div', { class: 'prediction-none', text: 'No impact model has been trained yet.' }));
}

function usedByPanel(id) {
  return connectionPanel({
    title: 'Used by', id: 'used-by', document: 'ArtifactUsedBy',
    variables: { id }, select: (d) => d.artifact && d.artifact.usedBy,
    renderEdge: ({ node, usage }) => row(nodeLink(node),
      [usage.kinds.length ? usage.kinds.join(', ') : 'uses', usage.count ? ` · ${plural(usage.count, 'time')}` : '', node.section ? ` · ${node.section}` : ''],
      outcomeChip(node.success)),
    emptyText: 'No project uses this artifact yet.',
  });
}

function creatorsPanel(id) {
  return connectionPanel({
    title: 'Creators', id: 'creators', document: 'ArtifactCreators',
    variables: { id }, select: (d) => d.artifact && d.artifact.creators,
    renderEdge: ({ node }) => row(nodeLink(node), node.kind === 'team' ? 'group address' : null),
    emptyText: 'No creator recorded.',
  });
}

/** What the artifact was derived from above it, what was derived from it below. */
function lineagePanel(artifact) {
  const p = panel('Lineage', { id: 'lineage', hint: 'What this artifact was derived from, and what was derived from it.' });
  const edgeRow = ({ node }) => row(nodeLink(node), node.version ? `version ${node.version}` : null, kindBadge(node.__typename, node.kind));
  const up = connectionPanel({
    title: 'Derived from', id: 'derived-from', pageSize: 5, document: 'DerivedFrom',
    variables: { id: artifact.id }, select: (d) => d.artifact && d.artifact.derivedFrom, renderEdge: edgeRow,
    emptyText: 'Not derived from another artifact.',
  });
  const down = connectionPanel({
    title: 'Derivatives', id: 'derivatives', pageSize: 5, document: 'Derivatives',
    variables: { id: artifact.id }, select: (d) => d.artifact && d.artifact.derivatives, renderEdge: edgeRow,
    emptyText: 'Nothing derived from it yet.',
  });
  up.classList.add('nested');
  down.classList.add('nested');
  p.body.replaceChildren(up, h('div', { class: 'lineage-self' },
    h('span', { class: 'lineage-this', text: 'this artifact' }), kindBadge(artifact.__typename, artifact.kind),
    h('strong', { text: artifact.name || artifact.id })), down);
  p.count.textContent = String(artifact.derivedFrom.totalCount + artifact.derivatives.totalCount);
  return p.root;
}
