/* Re-rendering the current address. Retry buttons and the token dialog need it; they get it
 * from here rather than from the router, which imports the views that hold those buttons. */

let renderer = () => {};

export function setRenderer(render) {
  renderer = render;
}

export function rerender() {
  return renderer();
}
