/* A project's process and delivery figures: the latest week of git activity, commits per
 * week, and DORA metrics over the last 30 days. */

import { ApiError, gql } from '../api/client.js';
import { load, panel } from '../components/panels.js';
import { h } from '../lib/dom.js';
import { date, hours, pct, plural } from '../lib/format.js';

const SPARKLINE_WEEKS = 26; // half a year of weeks with data

/** Left out of the page where the server has no such fields (an older API). */
export function metricsPanel(projectId) {
  const p = panel('Process and delivery', { id: 'metrics', hint: 'Latest week of git activity, commits per week, and DORA metrics over the last 30 days.' });
  load(p.body, async () => {
    let data;
    try {
      data = await gql('ProjectMetrics', { id: projectId });
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'refused' && /Cannot query field/.test(error.message)) {
        p.root.remove();
        return null;
      }
      throw error;
    }
    const project = data.project;
    if (!project) throw new ApiError('notfound', 'This project no longer exists.');
    return [...gitActivity(project.metrics, project.series), ...delivery(project.dora)];
  });
  return p.root;
}

function gitActivity(m, series) {
  if (!m) return [h('p', { class: 'empty', text: 'No git history imported yet (maestro-graph import-git).' })];
  const parts = [h('h3', { class: 'subhead' }, 'Git activity ', h('span', { class: 'muted small', text: `week of ${date(m.week)}` })),
    h('div', { class: 'tiles' },
      tile('Commits', m.commits), tile('Authors', m.authors), tile('Churn', m.churn, 'lines added + deleted'),
      tile('Bus factor', m.busFactor, 'fewest people whose leaving orphans half the files'),
      tile('Collaboration', m.collaboration === null || m.collaboration === undefined ? null : m.collaboration.toFixed(2)))];
  const recent = series.slice(-SPARKLINE_WEEKS);
  if (recent.length > 1) parts.push(sparkline(recent, 'commits per week'));
  return parts;
}

function delivery(d) {
  const parts = [h('h3', { class: 'subhead' }, 'Delivery ', h('span', { class: 'muted small', text: `DORA, last ${d.windowDays} days` }))];
  if (!d.deployments && !d.failedDeployments) {
    parts.push(h('p', { class: 'empty', text: 'No production deployments reported in this window.' }));
    return parts;
  }
  parts.push(h('div', { class: 'tiles' },
    tile('Deploys', d.deploymentFrequency >= 1 ? `${d.deploymentFrequency.toFixed(1)}/day` : `${(d.deploymentFrequency * 7).toFixed(1)}/week`,
      `${plural(d.deployments, 'successful deployment')}`),
    tile('Lead time', hours(d.leadTimeHours), d.changes ? `median over ${plural(d.changes, 'change')}` : null),
    tile('Change failure', d.changeFailureRate === null ? null : pct(d.changeFailureRate), plural(d.failedDeployments, 'failed deployment')),
    tile('Time to restore', hours(d.timeToRestoreHours), d.openFailures ? `${plural(d.openFailures, 'environment')} failing now` : null)));
  return parts;
}

function tile(label, value, hint) {
  return h('div', { class: 'tile', title: hint || null },
    h('div', { class: 'tile-value', text: value === null || value === undefined ? '–' : String(value) }),
    h('div', { class: 'tile-label', text: label }));
}

/** A line of `points` ({ value, period }) scaled to its largest value. */
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
