/* What a panel shows while it waits, when it fails, and when it has nothing. */

import { ApiError } from '../api/client.js';
import { authAction } from '../chrome/account.js';
import { h } from '../lib/dom.js';

const HEADINGS = { down: 'Server unavailable', auth: 'Sign-in needed', notfound: 'Not found' };

export function loading(text) {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text || 'Loading…');
}

/** An error in place of content, with what can be done about it: signing in (or a token), or a retry. */
export function errorBox(error, retry) {
  const kind = error instanceof ApiError ? error.kind : 'refused';
  const message = error instanceof ApiError ? error.message : `Something went wrong: ${error.message || error}`;
  const actions = [];
  if (kind === 'auth') {
    const action = authAction();
    actions.push(h('button', { class: 'btn', type: 'button', text: action.label, on: { click: action.run } }));
  }
  if (retry && kind !== 'notfound') actions.push(h('button', { class: 'btn', type: 'button', text: 'Retry', on: { click: retry } }));
  return h('div', { class: `error error-${kind}`, role: 'alert', dataset: { kind } },
    h('strong', { text: HEADINGS[kind] || 'Could not load' }),
    h('p', { text: message }),
    actions.length ? h('div', { class: 'error-actions' }, actions) : null);
}

export function empty(text) {
  return h('p', { class: 'empty', text });
}
