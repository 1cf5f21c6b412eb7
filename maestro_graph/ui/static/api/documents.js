/* The GraphQL documents the Explorer sends, read from graphql/<Name>.graphql. Keeping them
 * in files of their own lets tests/test_ui_documents.py validate every one against
 * schema.graphql without a browser.
 *
 * A document may start with `#import "fragments/<Fragment>.graphql"` lines: the fragments
 * it spreads, appended once each before it is sent. */

const IMPORT = /^#import\s+"([^"]+)"\s*$/gm;
const cache = new Map();

async function readText(path) {
  const response = await fetch(new URL(`graphql/${path}`, document.baseURI), { credentials: 'omit' });
  if (!response.ok) throw new Error(`graphql/${path}: HTTP ${response.status}`);
  return response.text();
}

async function assemble(path, seen) {
  if (seen.has(path)) return '';
  seen.add(path);
  const text = await readText(path);
  const imports = [...text.matchAll(IMPORT)].map((match) => match[1]);
  const parts = await Promise.all(imports.map((imported) => assemble(imported, seen)));
  return [text, ...parts].join('\n');
}

/** The full text of document `name`, its fragments included; fetched once per page load. */
export function graphqlDocument(name) {
  if (!cache.has(name)) {
    const text = assemble(`${name}.graphql`, new Set());
    text.catch(() => cache.delete(name)); // a failed fetch is tried again next time
    cache.set(name, text);
  }
  return cache.get(name);
}
