/* The shape of the graph, as the server declares it (maestro_graph/graph_model.py, served as
 * graph-model.json): its node labels, which GraphQL connection field walks which relationship
 * type in which direction, and the vocabularies. The rest of the Explorer learns these facts
 * here and nowhere else, so a relationship added on the server shows up without a change to
 * the page. Loaded once, before the first view is drawn. */

let model = null;
let loading = null;

/** Fetches graph-model.json once; a failed fetch is tried again on the next call. */
export function loadGraphModel() {
  if (!loading) {
    loading = fetch('graph-model.json', { cache: 'no-store', credentials: 'omit' })
      .then((response) => {
        if (!response.ok) throw new Error(`graph-model.json: HTTP ${response.status}`);
        return response.json();
      })
      .then((json) => { model = json; })
      .catch((error) => { loading = null; throw error; });
  }
  return loading;
}

function loaded() {
  if (!model) throw new Error('the graph model is read before graph-model.json has loaded');
  return model;
}

/** Node types as routes name them: the labels in lower case (project, artifact, …). */
export function nodeTypes() {
  return loaded().nodeTypes.map((nodeLabel) => nodeLabel.toLowerCase());
}

/** The label of a node type ('project' → 'Project'): the Neo4j label and the GraphQL type. */
export function label(type) {
  return loaded().nodeTypes.find((nodeLabel) => nodeLabel.toLowerCase() === type) || null;
}

/**
 * The relationships a node of `type` has, one entry per GraphQL connection field on it:
 * `{ field, relationship, neighbour, outgoing }`, the neighbour as a route type and
 * `outgoing` true where the node is the relationship's start.
 */
export function relationsOf(type) {
  return loaded().relations
    .filter((relation) => relation.anchor.toLowerCase() === type)
    .map((relation) => ({
      field: relation.field,
      relationship: relation.relationship,
      neighbour: relation.neighbour.toLowerCase(),
      outgoing: relation.outgoing,
    }));
}

/** A vocabulary by the GraphQL enum that carries it, as the enum spells it: upper case (MODEL, DATASET, …). */
export function enumValues(graphqlEnum) {
  return (loaded().vocabularies[graphqlEnum] || []).map((value) => value.toUpperCase());
}
