/* The signed-in person in the top bar: "Sign in" when nobody is, else their name, what the
 * API grants them (scopes, and their roles on projects) and "Sign out". Also the one action
 * that helps when the API wants credentials: signing in where the server offers it, else the
 * token dialog. */

import { gql } from '../api/client.js';
import { onSessionChange, sessionExpired, signedInPerson, signIn, signInAvailable, signOut } from '../auth/session.js';
import { $ } from '../lib/dom.js';
import { rerender } from '../navigation.js';
import { hideBanner, showBanner } from './banner.js';
import { openTokenDialog, tokenAction } from './token-dialog.js';

/** The button that answers "credentials needed": { label, run }. */
export function authAction() {
  if (signInAvailable()) return { label: sessionExpired() ? 'Sign in again' : 'Sign in', run: startSignIn };
  return { label: tokenAction(), run: openTokenDialog };
}

async function startSignIn() {
  try {
    await signIn();
  } catch (error) {
    showBanner({ kind: 'auth', message: `The identity provider cannot be reached: ${error.message}` },
      { label: 'Retry', run: startSignIn });
  }
}

function describeRoles(viewer) {
  const parts = [viewer.scopes.join(' · ') || 'no access'];
  const person = viewer.person;
  if (!person) parts.push('not in the graph: read only');
  else {
    const roles = person.projects.edges
      .filter((edge) => edge.membership && edge.membership.roles.length)
      .map((edge) => `${edge.membership.roles.join('/')} on ${edge.node.name || edge.node.id}`);
    parts.push(...roles);
  }
  return parts.join(' — ');
}

async function showViewer() {
  const who = signedInPerson();
  $('#account-name').textContent = who.name || who.sub;
  $('#account-roles').textContent = '';
  try {
    const { viewer } = await gql('Viewer', { first: 20 });
    if (!signedInPerson()) return; // signed out meanwhile
    $('#account-name').textContent = (viewer.person && viewer.person.name) || who.name || viewer.subject;
    $('#account-roles').textContent = describeRoles(viewer);
  } catch (_) { /* the banner says what went wrong */ }
}

function updateAccount() {
  const person = signedInPerson();
  $('#sign-in').hidden = Boolean(person) || !signInAvailable();
  $('#sign-in').textContent = sessionExpired() ? 'Sign in again' : 'Sign in';
  $('#sign-out').hidden = !person;
  $('#account').hidden = !person;
  if (person) showViewer();
}

export function wireAccount() {
  $('#sign-in').addEventListener('click', startSignIn);
  $('#sign-out').addEventListener('click', () => { signOut(); });
  onSessionChange(() => {
    updateAccount();
    if (signedInPerson()) hideBanner();
    rerender();
  });
  updateAccount();
}
