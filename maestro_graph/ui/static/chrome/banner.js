/* The banner under the top bar: trouble that concerns the whole page (server down, token
 * refused), with the one action that helps. */

import { $, h } from '../lib/dom.js';

/** Shows `error.message` with a button that runs `action.run`. */
export function showBanner(error, action) {
  const banner = $('#banner');
  banner.className = `banner banner-${error.kind}`;
  banner.dataset.kind = error.kind;
  banner.replaceChildren(h('span', { class: 'banner-text', text: error.message }),
    h('button', { class: 'btn btn-light', type: 'button', text: action.label, on: { click: action.run } }));
  banner.hidden = false;
}

export function hideBanner() {
  const banner = $('#banner');
  if (!banner.hidden) {
    banner.hidden = true;
    banner.dataset.kind = '';
  }
}
