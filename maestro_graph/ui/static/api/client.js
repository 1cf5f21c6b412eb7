/* Calls to the public GraphQL API, and what their failures mean to the user.
 *
 * Every failure becomes an ApiError whose `kind` the page acts on: `auth` asks the person to
 * sign in (or for a token),
 * `down` and `rate` offer a retry, `notfound` and `refused` say what the server said.
 * Trouble that concerns the whole page (the server is down, the token is refused) goes to
 * the reporter as well, which shows it in the banner. */

import { expire, sessionExpired, signInAvailable } from '../auth/session.js';
import { config } from '../state.js';
import { graphqlDocument } from './documents.js';
import { getToken, isSignedInToken } from './token.js';

export class ApiError extends Error {
  constructor(kind, message, retryAfter) {
    super(message);
    this.kind = kind; // auth | forbidden | down | rate | refused | notfound
    this.retryAfter = retryAfter;
  }
}

let reporter = { trouble: () => {}, answered: () => {} };

/** `trouble(error)` for page-wide failures, `answered()` once the server answers the current token. */
export function reportTo(listener) {
  reporter = listener;
}

function down(message) {
  const error = new ApiError('down', message);
  reporter.trouble(error);
  return error;
}

async function post(query, variables, token) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(config.graphqlPath || '/graphql', {
      method: 'POST', headers, credentials: 'omit', cache: 'no-store',
      body: JSON.stringify({ query, variables: variables || {} }),
    });
  } catch (_) {
    throw down('The Maestro Graph server cannot be reached. It may be down or restarting.');
  }
}

/** Runs the document graphql/<name>.graphql with `variables`; resolves to its `data`. */
export async function gql(name, variables) {
  let query;
  try {
    query = await graphqlDocument(name);
  } catch (_) {
    throw down('The Maestro Graph server cannot be reached. It may be down or restarting.');
  }
  return execute(query, variables);
}

function unauthenticated(token) {
  if (isSignedInToken(token)) {
    expire(); // the API no longer takes the access token: the person signs in again
    return 'Your session has expired. Sign in again to continue.';
  }
  if (token) return 'Your access token has expired or is not valid. Enter a new token to continue.';
  if (sessionExpired()) return 'Your session has expired. Sign in again to continue.';
  return signInAvailable()
    ? 'This server needs you to sign in. Sign in to continue.'
    : 'This server needs an access token. Enter one to continue.';
}

/** Runs the GraphQL `query` text with `variables` and the current credentials; resolves to its `data`. */
export async function execute(query, variables) {
  const token = getToken();
  const response = await post(query, variables, token);
  let body = null;
  try {
    body = await response.json();
  } catch (_) { /* a proxy's HTML error page, or nothing */ }
  const errors = (body && body.errors) || [];
  const codes = errors.map((e) => e.extensions && e.extensions.code);
  if (response.status === 401 || codes.includes('UNAUTHENTICATED')) {
    const current = token === getToken(); // not for an answer to a token since replaced
    const error = new ApiError('auth', unauthenticated(token));
    if (current) reporter.trouble(error);
    throw error;
  }
  if (response.status === 429 || codes.includes('RATE_LIMITED')) {
    const retry = Number(response.headers.get('Retry-After')) || null;
    throw new ApiError('rate', `Too many requests for now${retry ? `: try again in ${retry} s` : ''}.`, retry);
  }
  if (response.status === 403 || codes.includes('FORBIDDEN')) {
    throw new ApiError('forbidden', errors.length ? errors[0].message : 'Your token does not allow this request.');
  }
  if (response.status >= 500 || !body) {
    throw down(`The server could not answer (HTTP ${response.status}). It may be down or restarting.`);
  }
  if (token === getToken()) reporter.answered(); // the server answers, and to the token in use
  if (errors.length) {
    throw new ApiError(codes.includes('NOT_FOUND') ? 'notfound' : 'refused', errors.map((e) => e.message).join(' · '));
  }
  return body.data;
}
