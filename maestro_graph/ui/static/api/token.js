/* The user's bearer token, kept in this tab's session storage only: it is gone when the
 * tab closes, and other sites cannot read it. */

const TOKEN_KEY = 'maestro-graph.access-token';

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch (_) {
    return '';
  }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (_) { /* storage disabled: the token lives only until reload */ }
}
