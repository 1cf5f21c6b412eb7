/* Addresses inside the Explorer. Every view is a URL fragment, so it can be linked to:
 * #/<type>/<id>, #/graph/<type>/<id>, #/search?q=…, #/leaderboard?kind=…; a node type is
 * written as its label in lower case. */

/** The route type of a GraphQL `__typename` (which is the node's label). */
export function typeOf(typename) {
  return (typename || '').toLowerCase();
}

export function nodeHref(type, id) {
  return `#/${type}/${encodeURIComponent(id)}`;
}

export function graphHref(type, id) {
  return `#/graph/${type}/${encodeURIComponent(id)}`;
}

/** A search address; empty and absent parameters are left out, lists repeat their key. */
export function searchHref(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of [].concat(value)) if (v !== undefined && v !== null && v !== '') query.append(key, v);
  }
  const qs = query.toString();
  return qs ? `#/search?${qs}` : '#/';
}
