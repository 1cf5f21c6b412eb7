/* Live updates: a GraphQL subscription over server-sent events (graphql-sse), read with
 * fetch, since EventSource can neither POST a query nor send the bearer token.
 *
 * `subscribe(name, variables, { data, state })` runs graphql/<name>.graphql, calls
 * `data(answer)` for each event and `state('live' | 'off')` as the stream opens and ends;
 * it returns the function that stops it. */

import { config } from '../state.js';
import { graphqlDocument } from './documents.js';
import { getToken } from './token.js';

async function stream(name, variables, listener, signal) {
  const query = await graphqlDocument(name);
  const headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(config.graphqlPath || '/graphql', {
    method: 'POST', headers, credentials: 'omit', cache: 'no-store', signal,
    body: JSON.stringify({ query, variables: variables || {} }),
  });
  if (!response.ok || !response.body) return;
  listener.state('live');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(message.split('\n').filter((line) => !line.startsWith(':'))
        .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]));
      if (fields.event === 'next' && fields.data) {
        const answer = JSON.parse(fields.data);
        if (answer.data) listener.data(answer.data);
      }
      if (fields.event === 'complete') return;
    }
  }
}

export function subscribe(name, variables, listener) {
  const controller = new AbortController();
  stream(name, variables, listener, controller.signal)
    .catch(() => {}) // stopped, or the server went away: the page says the stream is off
    .finally(() => listener.state('off'));
  return () => controller.abort();
}
