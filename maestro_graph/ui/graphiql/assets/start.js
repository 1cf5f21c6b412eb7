/* GraphiQL over this server's GraphQL endpoint: the page is served at that endpoint
 * (GET with Accept: text/html), so queries go to the page's own path. React, ReactDOM and
 * GraphiQL are the vendored UMD builds the page loads before this script. */
(function () {
  'use strict';

  const EXAMPLE = `# Maestro Graph's GraphQL API. Ctrl-Enter runs a query, Ctrl-Space completes;
# the Docs button lists every type and field. In the dev profile, requests from this
# machine need no token; elsewhere, add an Authorization: Bearer header below.
{
  projects(first: 5, orderBy: {field: DEGREE, direction: DESC}) {
    totalCount
    edges { node { id name uses(first: 3) { edges { node { name kind } } } } }
  }
}
`;

  const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: EXAMPLE,
    defaultEditorToolsVisibility: true,
    isHeadersEditorEnabled: true,
    // A token typed into the headers editor is not written to local storage.
    shouldPersistHeaders: false,
  }));
}());
