/* The landing page under the search box: the most connected projects and artifacts. */

import { connectionPanel } from '../components/panels.js';
import { chip, kindBadge, nodeLink, outcomeChip, row } from '../components/widgets.js';
import { h } from '../lib/dom.js';
import { plural, titleCase } from '../lib/format.js';

const LANDING_PAGE_SIZE = 8;

export function renderBrowse() {
  const projects = connectionPanel({
    title: 'Most connected projects', id: 'browse-projects', pageSize: LANDING_PAGE_SIZE,
    document: 'BrowseProjects', select: (d) => d.projects,
    renderEdge: ({ node }) => row(nodeLink(node),
      [node.section ? `${node.section} · ` : '', `${plural(node.uses.totalCount, 'artifact')} · ${plural(node.members.totalCount, 'member')}`],
      outcomeChip(node.success, chip(node.status && titleCase(node.status), 'plain'))),
    emptyText: 'The graph has no projects yet.',
  });
  const artifacts = connectionPanel({
    title: 'Most used artifacts', id: 'browse-artifacts', pageSize: LANDING_PAGE_SIZE,
    document: 'BrowseArtifacts', select: (d) => d.artifacts,
    renderEdge: ({ node }) => row(nodeLink(node),
      `used by ${plural(node.usedBy.totalCount, 'project')}`, kindBadge(node.__typename, node.kind)),
    emptyText: 'The graph has no artifacts yet.',
  });
  return h('div', { class: 'grid grid-2 browse' }, projects, artifacts);
}
