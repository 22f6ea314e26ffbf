// GraphiQL with the explorer plugin, against the endpoint that served this page.
(function () {
  "use strict";

  const root = document.getElementById("graphiql");
  if (typeof GraphiQL === "undefined" || typeof GraphiQLPluginExplorer === "undefined") {
    root.textContent = "GraphiQL's files did not load: run `make setup`, then reload.";
    return;
  }

  // One operation: with two, the run button would become a menu of them.
  const WELCOME = `# Lumbung GraphQL API (development)
#
# Ctrl-Enter or the ▶ button runs the query. The book icon
# documents every type; the explorer icon builds a query.
#
# To be signed in, run (a demo account of \`make run\`):
#
#   mutation {
#     signIn(input: {email: "anggota@demo.lumbung.id",
#                    password: "lumbung-anggota-demo"}) {
#       session { accessToken }
#       errors { code }
#     }
#   }
#
# then put its accessToken in the Headers tab below:
#
#   {"Authorization": "Bearer <accessToken>"}

query LatestPractices {
  practices(first: 5) {
    totalCount
    nodes { title organization { name } }
  }
}
`;

  // POST as application/json: the endpoint's CSRF rules want a preflight header on GET only.
  const fetcher = GraphiQL.createFetcher({ url: window.location.origin + window.location.pathname });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      defaultQuery: WELCOME,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // Headers hold access tokens: kept for this page only, never in localStorage.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
      schemaDescription: true,
    }),
  );
})();
