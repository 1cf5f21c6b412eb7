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

/**
 * A Cypher string literal for `value`. JSON's escapes are Cypher's; `&`, `#` and `;` are
 * written as \u escapes too, since Browser cuts its address at the first two and splits its
 * editor into statements at the third.
 */
export function cypherString(value) {
  return JSON.stringify(String(value)).replace(/[&#;]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Neo4j Browser at `base` with one of the guide's queries in its editor (cmd=edit) for the node
 * `id`: `query` is what /ui/config.json gives for the node's type (the parameter that takes
 * the id, the other parameters' `:param` commands, the Cypher). Browser runs the lines as
 * statements in turn when the user runs the editor, signed in as themselves.
 */
export function neo4jBrowserHref(base, database, query, id) {
  const statements = [`:param ${query.idParam} => ${cypherString(id)}`, ...query.params, query.cypher];
  const params = new URLSearchParams({ cmd: 'edit', arg: statements.join(';\n') });
  if (database && database !== 'neo4j') params.set('db', database);
  // Browser reads `+` as a space before it decodes the address, so spaces go as %20.
  return `${base}${base.includes('?') ? '&' : '?'}${params.toString().replace(/\+/g, '%20')}`;
}
