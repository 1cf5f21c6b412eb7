/* The bearer token every API call carries: the signed-in person's access token (held in
 * memory by auth/session.js), or else one pasted into the token dialog, which is kept in this
 * tab's session storage only: it is gone when the tab closes, and other sites cannot read it. */

const TOKEN_KEY = 'maestro-graph.access-token';

let signedIn = '';

export function setSignedInToken(token) {
  signedIn = token || '';
}

export function isSignedInToken(token) {
  return Boolean(token) && token === signedIn;
}

export function pastedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch (_) {
    return '';
  }
}

export function getToken() {
  return signedIn || pastedToken();
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (_) { /* storage disabled: the token lives only until reload */ }
}
