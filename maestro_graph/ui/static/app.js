/* Maestro Graph Explorer: a small single-page app over the public GraphQL API.
 *
 * Native ES modules, no build step, nothing loaded from elsewhere. This module starts the
 * page: it reads the server's settings, finishes a sign-in when the identity provider has just
 * sent the person back, wires the top bar, and draws the address. Pages are
 * addressed by the URL fragment (see lib/links.js), so every view can be linked to.
 */

import { reportTo } from './api/client.js';
import { hideBanner, showBanner } from './chrome/banner.js';
import { configureSignIn, completeSignIn } from './auth/session.js';
import { authAction, wireAccount } from './chrome/account.js';
import { wireTokenDialog } from './chrome/token-dialog.js';
import { $ } from './lib/dom.js';
import { rerender, setRenderer } from './navigation.js';
import { render } from './router.js';
import { config } from './state.js';

async function readConfig() {
  try {
    const response = await fetch('config.json', { cache: 'no-store', credentials: 'omit' });
    if (response.ok) Object.assign(config, await response.json());
  } catch (_) { /* the first API call reports an unreachable server */ }
}

function showProfile() {
  if (!config.profile) return;
  const profile = $('#profile');
  profile.textContent = `${config.profile} profile`;
  profile.classList.add(`profile-${config.profile}`);
  profile.hidden = false;
}

async function start() {
  setRenderer(render);
  // Page-wide trouble goes to the banner, with the action that helps: signing in (or a
  // token), or a retry.
  reportTo({
    trouble: (error) => showBanner(error, error.kind === 'auth' ? authAction() : { label: 'Retry', run: () => rerender() }),
    answered: hideBanner,
  });
  wireTokenDialog();
  await readConfig();
  configureSignIn(config.signIn);
  showProfile();
  try {
    await completeSignIn();
  } catch (error) {
    showBanner({ kind: 'auth', message: error.message }, authAction());
  }
  wireAccount();
  window.addEventListener('hashchange', render);
  render();
}

// Module scripts run once the document is parsed, so the page's elements are there.
start();
