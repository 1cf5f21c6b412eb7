/* What the models recommend for a project: artifacts it does not use yet (with the reason),
 * people who are not members yet, and a composed team. */

import { gql } from '../api/client.js';
import { growingPanel, load, moreButton, panel } from '../components/panels.js';
import { empty } from '../components/status.js';
import { chip, kindBadge, meter, modelFooter, nodeLink } from '../components/widgets.js';
import { h } from '../lib/dom.js';
import { initials, pct, plural, score } from '../lib/format.js';
import { nodeHref, typeOf } from '../lib/links.js';

const TEAM_SIZE_STEP = 8;
const TEAM_SIZE_MAX = 100; // the API's largest k

export function recommendedArtifactsPanel(projectId) {
  return growingPanel({
    title: 'Recommended artifacts', id: 'recommended-artifacts', wide: false,
    hint: 'Artifacts this project does not use yet, best first, with the reason.',
    first: 8, step: 8, max: 100,
    fetch: async (k) => (await gql('RecommendArtifacts', { id: projectId, k })).recommendArtifacts,
    render: (items) => h('ol', { class: 'rows ranked' }, items.map(recommendedArtifact)),
    footer: modelFooter,
    emptyText: 'No recommendations yet: train the models (maestro-graph train).',
  }).root;
}

function recommendedArtifact(rec, i) {
  return h('li', { class: 'row rec', dataset: { id: rec.artifact.id } },
    h('span', { class: 'rank', text: String(i + 1) }),
    h('div', { class: 'row-main' },
      h('div', { class: 'rec-title' }, nodeLink(rec.artifact), kindBadge(rec.artifact.__typename, rec.artifact.kind),
        rec.coldStart ? chip('cold start', 'warn') : null),
      rec.because.length ? h('div', { class: 'because' },
        h('span', { class: 'because-label', text: rec.coldStart ? 'used by similar projects:' : 'because it is used with' }),
        rec.because.map((node) => h('a', { class: 'because-item', href: nodeHref(typeOf(node.__typename), node.id), text: node.name || node.id }))) : null),
    h('div', { class: 'row-aside' }, h('span', { class: 'score', title: 'Recommendation score', text: score(rec.score) })));
}

/** A composed team of four on top, then people ranked one by one, growing on demand. */
export function recommendedTeamPanel(projectId) {
  const p = panel('Recommended team', { id: 'recommended-team', hint: 'People who are not members yet, and a composed team of four.' });
  const compose = h('div', { class: 'compose' });
  const list = h('div');
  p.body.replaceWith(h('div', { class: 'panel-body' }, compose, list));
  load(compose, () => composedTeam(projectId));
  let size = TEAM_SIZE_STEP;
  const show = () => load(list, async () => {
    const items = (await gql('RecommendTeam', { id: projectId, k: size })).recommendTeam;
    p.count.textContent = items.length ? String(items.length) : '';
    if (!items.length) return empty('No suggestions yet: train the models (maestro-graph train).');
    const best = Math.max(...items.map((i) => Math.abs(i.score))) || 1;
    const parts = [h('ol', { class: 'rows ranked' }, items.map((rec, i) => recommendedPerson(rec, i, best))), modelFooter(items)];
    if (items.length >= size && size < TEAM_SIZE_MAX) {
      parts.push(moreButton(() => { size = Math.min(TEAM_SIZE_MAX, size + TEAM_SIZE_STEP); show(); }));
    }
    return parts;
  });
  show();
  return p.root;
}

async function composedTeam(projectId) {
  const team = (await gql('ComposeTeam', { id: projectId })).composeTeam;
  if (!team.members.length) return null;
  return h('div', { class: 'compose-card' },
    h('div', { class: 'compose-head' }, h('strong', { text: 'Suggested team' }),
      h('span', { class: 'muted small', text: `covers ${pct(team.coverage)} of ${plural(team.neededArtifactIds.length, 'needed artifact')} · ${plural(team.pairsWorkedTogether, 'pair')} worked together` })),
    h('div', { class: 'avatars' }, team.members.map((m) => h('a', { class: 'avatar-chip', href: nodeHref(typeOf(m.person.__typename), m.person.id) },
      h('span', { class: 'avatar', 'aria-hidden': 'true', text: initials(m.person.name || m.person.id) }), m.person.name || m.person.id))));
}

function recommendedPerson(rec, i, best) {
  return h('li', { class: 'row', dataset: { id: rec.person.id } },
    h('span', { class: 'rank', text: String(i + 1) }),
    h('div', { class: 'row-main' }, h('div', { class: 'rec-title' }, nodeLink(rec.person), rec.coldStart ? chip('cold start', 'warn') : null),
      rec.person.teams.edges.length ? h('div', { class: 'row-sub' }, rec.person.teams.edges.map((e) => e.node.name || e.node.id).join(', ')) : null),
    h('div', { class: 'row-aside' }, meter(Math.abs(rec.score) / best), h('span', { class: 'score', text: score(rec.score) })));
}
