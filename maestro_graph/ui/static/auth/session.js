/* Signing a person in at the organisation's OpenID Connect provider: the authorization code
 * flow with PKCE, as a public client, done by oauth4webapi (vendor/oauth4webapi).
 *
 * The tokens live in this module's memory only, never in web storage: a script injected into
 * the page later cannot find them there, and they are gone when the tab closes or reloads
 * (the provider's own session makes signing in again one redirect). What must survive the
 * redirect to the provider and back (the PKCE verifier, state, nonce and the page the person
 * was on) is kept in session storage for that one round trip and removed on return.
 *
 * With a refresh token the access token is renewed silently before it expires; without one
 * (or when renewal fails) the person is told their session has expired. Signing out forgets
 * the tokens and, where the provider publishes an end_session_endpoint, ends its session too.
 */

import {
  allowInsecureRequests,
  authorizationCodeGrantRequest,
  calculatePKCECodeChallenge,
  discoveryRequest,
  generateRandomCodeVerifier,
  generateRandomNonce,
  generateRandomState,
  getValidatedIdTokenClaims,
  None as publicClient,
  processAuthorizationCodeResponse,
  processDiscoveryResponse,
  processRefreshTokenResponse,
  refreshTokenGrantRequest,
  validateAuthResponse,
} from '../vendor/oauth4webapi/index.js';
import { setSignedInToken } from '../api/token.js';

const FLOW_KEY = 'maestro-graph.sign-in-flow';
const RENEW_BEFORE_SECONDS = 30;

let settings = null; // config.signIn: { issuer, clientId, scopes, resource }
let provider = null; // the provider's discovery document, once fetched
let session = null; // { accessToken, idToken, refreshToken, expiresAt, claims }
let expired = false;
let renewal = null;
const listeners = new Set();

export class SignInError extends Error {}

/** Whether this server signs people in (config.json names a provider and client). */
export function signInAvailable() {
  return Boolean(settings);
}

export function configureSignIn(signIn) {
  settings = signIn && signIn.issuer && signIn.clientId ? signIn : null;
}

/** The signed-in person's ID token claims (sub, name, …), or null. */
export function signedInPerson() {
  return session ? session.claims : null;
}

export function sessionExpired() {
  return expired;
}

/** `listener()` runs whenever the person signs in, out, or their session expires. */
export function onSessionChange(listener) {
  listeners.add(listener);
}

function changed() {
  setSignedInToken(session ? session.accessToken : '');
  listeners.forEach((listener) => listener());
}

// http is for a provider on this machine only (development, tests); anywhere else, https.
function insecureAllowed(url) {
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

function requestOptions(extra) {
  return { ...extra, [allowInsecureRequests]: insecureAllowed(new URL(settings.issuer)) };
}

function client() {
  return { client_id: settings.clientId };
}

function redirectUri() {
  return `${location.origin}${location.pathname}`;
}

function resourceParameters() {
  return settings.resource ? { resource: settings.resource } : {};
}

async function discover() {
  if (!provider) {
    const issuer = new URL(settings.issuer);
    const response = await discoveryRequest(issuer, requestOptions({ algorithm: 'oidc' }));
    provider = await processDiscoveryResponse(issuer, response);
  }
  return provider;
}

/** Sends the browser to the provider's sign-in page; it comes back to this page with a code. */
export async function signIn() {
  const as = await discover();
  const verifier = generateRandomCodeVerifier();
  const flow = { verifier, state: generateRandomState(), nonce: generateRandomNonce(), hash: location.hash };
  const url = new URL(as.authorization_endpoint);
  const parameters = {
    client_id: settings.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: settings.scopes,
    code_challenge: await calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: flow.state,
    nonce: flow.nonce,
    ...resourceParameters(),
  };
  Object.entries(parameters).forEach(([name, value]) => url.searchParams.set(name, value));
  sessionStorage.setItem(FLOW_KEY, JSON.stringify(flow));
  location.assign(url.href);
}

/** On the way back from the provider (a `code` or an `error` in the query): trades the code
 * for tokens and cleans the address. Resolves to true when it signed the person in. */
export async function completeSignIn() {
  const returned = new URL(location.href);
  if (!settings || !(returned.searchParams.has('code') || returned.searchParams.has('error'))) return false;
  const flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) || 'null');
  sessionStorage.removeItem(FLOW_KEY);
  // The code is single-use; the address keeps only the page the person was on.
  history.replaceState(null, '', `${location.pathname}${(flow && flow.hash) || ''}`);
  if (!flow) throw new SignInError('This sign-in was not started from this tab. Sign in again.');
  const as = await discover();
  let parameters;
  try {
    parameters = validateAuthResponse(as, client(), returned, flow.state);
  } catch (error) {
    throw new SignInError(`The identity provider did not sign you in: ${error.error_description || error.error || error.message}`);
  }
  const response = await authorizationCodeGrantRequest(as, client(), publicClient(), parameters, redirectUri(),
    flow.verifier, requestOptions({ additionalParameters: resourceParameters() }));
  const result = await processAuthorizationCodeResponse(as, client(), response,
    { expectedNonce: flow.nonce, requireIdToken: true });
  keep(result, getValidatedIdTokenClaims(result));
  return true;
}

function keep(result, claims) {
  clearTimeout(renewal);
  session = {
    accessToken: result.access_token,
    idToken: result.id_token || (session && session.idToken),
    refreshToken: result.refresh_token || null,
    expiresAt: result.expires_in ? Date.now() + result.expires_in * 1000 : null,
    claims: claims || (session && session.claims) || {},
  };
  expired = false;
  if (session.expiresAt) {
    const wait = Math.max(0, session.expiresAt - Date.now() - RENEW_BEFORE_SECONDS * 1000);
    renewal = setTimeout(() => { renew(); }, wait);
  }
  changed();
}

/** Renews the access token with the refresh token if there is one; otherwise, or when the
 * provider refuses, the session has expired. */
export async function renew() {
  if (!session) return false;
  if (session.refreshToken) {
    try {
      const as = await discover();
      const response = await refreshTokenGrantRequest(as, client(), publicClient(), session.refreshToken,
        requestOptions({ additionalParameters: resourceParameters() }));
      const result = await processRefreshTokenResponse(as, client(), response);
      keep(result, getValidatedIdTokenClaims(result));
      return true;
    } catch (_) { /* refused or unreachable: the session ends below */ }
  }
  expire();
  return false;
}

/** The API refused the access token (expired, revoked): the person must sign in again. */
export function expire() {
  clearTimeout(renewal);
  session = null;
  expired = true;
  changed();
}

/** Forgets the tokens and ends the provider's session where it supports that (RP-initiated
 * logout), coming back to this page signed out. */
export async function signOut() {
  const idToken = session && session.idToken;
  clearTimeout(renewal);
  session = null;
  expired = false;
  changed();
  let as = null;
  try {
    as = await discover();
  } catch (_) { /* the provider is unreachable: signed out here all the same */ }
  if (as && as.end_session_endpoint) {
    const url = new URL(as.end_session_endpoint);
    url.searchParams.set('client_id', settings.clientId);
    url.searchParams.set('post_logout_redirect_uri', redirectUri());
    if (idToken) url.searchParams.set('id_token_hint', idToken);
    location.assign(url.href);
  }
}
