/* What the whole page shares: the server's settings (config.json) and which rendering of
 * the page is current. */

/** Defaults until config.json answers (or for good, if it never does). */
export const config = {
  profile: null, graphqlPath: '/graphql', neo4jBrowserUrl: null, neo4jDatabase: null, neo4jBrowserQueries: {},
  pageSize: 10,
};

// Every address change starts a new rendering. Answers that arrive for an older one are
// dropped, so a slow panel never writes into the page the user has since moved to.
let generation = 0;

export function beginRendering() {
  generation += 1;
  return generation;
}

export function currentRendering() {
  return generation;
}
