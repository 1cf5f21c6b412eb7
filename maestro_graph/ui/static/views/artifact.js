/* An artifact's page (#/artifact/<id>): its impact on project success, who uses and made
 * it, and its lineage. */

import { gql } from '../api/client.js';
import { columns, crumbs, loadNode, notFound, pageHeader } from '../components/page.js';
import { connectionPanel, load, panel } from '../components/panels.js';
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
    columns([usedByPanel(id), impactPanel(id), creatorsPanel(id)], [lineagePanel(artifact)]));
  if (artifact.deprecation) main.insertBefore(deprecationWarning(artifact.deprecation), main.children[1] || null);
}

/** The deprecation, above everything else on the page: why, since when, what to use instead. */
function deprecationWarning(deprecation) {
  const replacement = deprecation.replacement;
  return h('div', { class: 'deprecation-warning', role: 'alert', 'data-panel': 'deprecation' },
    h('strong', { text: 'Deprecated' }),
    deprecation.deprecatedAt ? ` since ${date(deprecation.deprecatedAt)}` : '',
    `: ${deprecation.reason}. It is no longer recommended.`,
    replacement ? [' Use ', nodeLink(replacement), ' instead.'] : '');
}

const IMPACT_DEPTH = 3;

/** What would happen if the artifact went away: the totals, then the projects, most exposed first. */
function impactPanel(id) {
  const p = panel('If it went away', {
    id: 'impact-of-removing',
    hint: `Projects that use it, or something derived from it (up to ${IMPACT_DEPTH} steps), re-scored by the outcome model without it.`,
  });
  const summary = h('div', { class: 'impact-summary' });
  load(summary, async () => {
    const answer = (await gql('ImpactTotals', { ids: [id], depth: IMPACT_DEPTH })).impactOfRemoving;
    const totals = answer.totals;
    p.count.textContent = totals.projects.toLocaleString();
    const byDepth = totals.byDepth.map((d) => `${plural(d.projects, 'project')} at depth ${d.depth}`).join(', ');
    const change = totals.expectedChangeInSuccessfulProjects;
    return [
      h('p', { text: byDepth || 'No project relies on it.' }),
      answer.modelVersion
        ? h('p', {}, 'Expected change in successful projects: ',
          h('strong', { class: change < 0 ? 'negative' : 'positive', text: (change >= 0 ? '+' : '−') + Math.abs(change).toFixed(2) }),
          ` (${plural(totals.rescoredProjects, 'project')} re-scored) · model `, h('code', { text: answer.modelVersion }))
        : h('p', { class: 'muted small', text: answer.reason }),
    ];
  });
  const projects = connectionPanel({
    title: 'Affected projects', id: 'impact-projects', pageSize: 10, document: 'ImpactOfRemoving',
    variables: { ids: [id], depth: IMPACT_DEPTH },
    select: (d) => d.impactOfRemoving && d.impactOfRemoving.projects,
    renderEdge: ({ node }) => row(nodeLink(node.project),
      [node.depth === 1 ? 'uses it' : ['through ', node.path.slice(0, -1).map((a, i) => [i ? ' → ' : '', a.name || a.id])],
        node.memberCount ? ` · notify ${node.notify.map((g) => plural(g.people.length, g.role)).join(', ')}` : ' · no members'],
      node.change === null ? null : h('span', { class: ['chip', node.change < 0 ? 'chip-bad' : 'chip-ok'], text: signedPoints(node.change) })),
    emptyText: 'No project relies on it.',
  });
  projects.classList.add('nested');
  p.body.replaceChildren(summary, projects);
  return p.root;
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
