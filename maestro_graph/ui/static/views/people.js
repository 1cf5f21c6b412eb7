/* Person (#/person/<id>) and team (#/team/<id>) pages. */

import { gql } from '../api/client.js';
import { columns, crumbs, loadNode, notFound, pageHeader } from '../components/page.js';
import { connectionPanel } from '../components/panels.js';
import { chip, kindBadge, nodeLink, outcomeChip, row } from '../components/widgets.js';
import { h } from '../lib/dom.js';
import { plural, titleCase } from '../lib/format.js';

export async function renderPerson(main, id) {
  const data = await loadNode(main, () => gql('Person', { id }));
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
        title: 'Projects', id: 'person-projects', document: 'PersonProjects',
        variables: { id }, select: (d) => d.person && d.person.projects,
        renderEdge: ({ node, membership }) => row(nodeLink(node), node.section,
          h('span', { class: 'chips' }, membership.roles.map((r) => chip(titleCase(r), 'plain')), outcomeChip(node.success))),
        emptyText: 'Not a member of any project.',
      }),
    ], [
      connectionPanel({
        title: 'Created', id: 'person-created', document: 'PersonCreated',
        variables: { id }, select: (d) => d.person && d.person.created,
        renderEdge: ({ node }) => row(nodeLink(node), node.version ? `version ${node.version}` : null, kindBadge(node.__typename, node.kind)),
        emptyText: 'No artifacts created.',
      }),
      connectionPanel({
        title: 'Teams', id: 'person-teams', document: 'PersonTeams',
        variables: { id }, select: (d) => d.person && d.person.teams,
        renderEdge: ({ node }) => row(nodeLink(node), node.description),
        emptyText: 'In no team.',
      }),
    ]));
}

export async function renderTeam(main, id) {
  const data = await loadNode(main, () => gql('Team', { id }));
  if (!data) return;
  const team = data.team;
  if (!team) return notFound(main, 'team', id);
  document.title = `${team.name || team.id} · Maestro Graph Explorer`;
  main.replaceChildren(
    crumbs({ href: '#/', text: 'Search' }, { text: 'Team' }),
    pageHeader({ type: 'team', node: team, subtitle: plural(team.members.totalCount, 'member'), description: team.description }),
    h('div', { class: 'grid grid-2' },
      connectionPanel({
        title: 'Members', id: 'team-members', document: 'TeamMembers',
        variables: { id }, select: (d) => d.team && d.team.members,
        renderEdge: ({ node }) => row(nodeLink(node), `member of ${plural(node.projects.totalCount, 'project')}`),
        emptyText: 'Nobody in this team yet.',
      })));
}
