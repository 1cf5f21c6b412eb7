/* A small deterministic force layout for one node and its neighbours: the centre is pinned,
 * neighbours repel each other and hang on springs from it. Deterministic, so the same
 * neighbourhood is drawn the same way every time. */

const ITERATIONS = 300;
const REPULSION = 5200;
const SPRING = 0.06;
const MARGIN_X = 70; // room for a label beside a node at the edge
const MARGIN_Y = 40;

/** Starts on a circle, neighbours of one type side by side, so the result is stable and readable. */
function placeOnCircle(nodes, cx, cy, radius) {
  const n = nodes.length;
  const order = nodes.slice(1).map((node, i) => ({ node, i })).sort((a, b) => a.node.type.localeCompare(b.node.type) || a.i - b.i);
  order.forEach(({ node }, i) => {
    const angle = (2 * Math.PI * i) / Math.max(1, n - 1) - Math.PI / 2;
    node.x = cx + radius * Math.cos(angle);
    node.y = cy + radius * Math.sin(angle) * 0.8;
  });
  nodes[0].x = cx;
  nodes[0].y = cy;
}

function repel(nodes, fx, fy) {
  const n = nodes.length;
  for (let i = 0; i < n; i += 1) {
    for (let j = i + 1; j < n; j += 1) {
      let dx = nodes[i].x - nodes[j].x;
      let dy = nodes[i].y - nodes[j].y;
      let d2 = dx * dx + dy * dy;
      if (d2 < 0.01) { dx = 0.1 * (i - j); dy = 0.1; d2 = dx * dx + dy * dy; } // two nodes on one spot
      const force = REPULSION / d2;
      const d = Math.sqrt(d2);
      fx[i] += (dx / d) * force; fy[i] += (dy / d) * force;
      fx[j] -= (dx / d) * force; fy[j] -= (dy / d) * force;
    }
  }
}

function pull(nodes, links, rest, fx, fy) {
  for (const link of links) {
    const a = nodes[link.source];
    const b = nodes[link.target];
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const d = Math.sqrt(dx * dx + dy * dy) || 0.01;
    const force = (d - rest) * SPRING;
    fx[link.target] -= (dx / d) * force; fy[link.target] -= (dy / d) * force;
  }
}

/** Sets `x` and `y` on every node; `nodes[0]` is the centre, links run from it. */
export function forceLayout(nodes, links, width, height) {
  const n = nodes.length;
  placeOnCircle(nodes, width / 2, height / 2, Math.min(width, height) * 0.36);
  const rest = Math.min(width, height) * (n > 24 ? 0.42 : 0.36);
  let temperature = 24; // the longest step a node may take; it cools so the layout settles
  for (let iteration = 0; iteration < ITERATIONS; iteration += 1) {
    const fx = new Float64Array(n);
    const fy = new Float64Array(n);
    repel(nodes, fx, fy);
    pull(nodes, links, rest, fx, fy);
    for (let i = 1; i < n; i += 1) {
      const step = Math.sqrt(fx[i] * fx[i] + fy[i] * fy[i]);
      const limited = Math.min(step, temperature) / (step || 1);
      nodes[i].x = Math.max(MARGIN_X, Math.min(width - MARGIN_X, nodes[i].x + fx[i] * limited));
      nodes[i].y = Math.max(MARGIN_Y, Math.min(height - MARGIN_Y, nodes[i].y + fy[i] * limited));
    }
    temperature = Math.max(0.5, temperature * 0.985);
  }
}
