/* The access-token button and dialog: the user pastes a bearer token, or forgets it to call
 * the API anonymously. Either way the page is drawn again with the new credentials. */

import { getToken, pastedToken, setToken } from '../api/token.js';
import { $ } from '../lib/dom.js';
import { rerender } from '../navigation.js';
import { hideBanner } from './banner.js';

export function updateTokenButton() {
  const button = $('#token-button');
  const has = Boolean(getToken());
  button.textContent = has ? 'Token set' : 'Access token';
  button.classList.toggle('has-token', has);
  button.title = has ? 'A bearer token is sent with every request' : 'Requests are anonymous';
}

/** The label of a button that opens the dialog. */
export function tokenAction() {
  return getToken() ? 'Enter a new token' : 'Enter a token';
}

export function openTokenDialog() {
  const dialog = $('#token-dialog');
  $('#token-input').value = pastedToken();
  if (typeof dialog.showModal === 'function') dialog.showModal();
  else dialog.setAttribute('open', '');
  $('#token-input').focus();
}

function closeTokenDialog() {
  const dialog = $('#token-dialog');
  if (typeof dialog.close === 'function') dialog.close();
  else dialog.removeAttribute('open');
}

function useToken(token) {
  setToken(token);
  updateTokenButton();
  closeTokenDialog();
  hideBanner(); // the next answer says whether the new credentials are good
  rerender();
}

export function wireTokenDialog() {
  $('#token-button').addEventListener('click', openTokenDialog);
  $('#token-cancel').addEventListener('click', closeTokenDialog);
  $('#token-clear').addEventListener('click', () => useToken(''));
  $('#token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    // People paste the whole header value as often as the token itself.
    useToken($('#token-input').value.trim().replace(/^Bearer\s+/i, ''));
  });
  updateTokenButton();
}
