// Follow buttons: "Ikuti" / "Berhenti mengikuti" with the follower count, for an item, a thread,
// an event, an organization, a theme or a region.
//
// - The button asks for its own state (FOLLOW_STATE, THEME_FOLLOW_STATE, REGION_FOLLOW_STATE),
//   so a page shows it without changing its own query, and the page stays readable if it fails.
// - A click changes the button at once (aria-pressed, the label, the count) and sends the
//   mutation; when it fails or answers with errors, the button goes back to what it was and
//   says why. The count shown afterwards is the server's (`followerCount` of the payload).
// - Signed out, the button is a link to the sign-in page, which comes back here.

import { FOLLOW, FOLLOW_STATE, graphql, REGION_FOLLOW_STATE, THEME_FOLLOW_STATE, UNFOLLOW } from './api.js';
import { h, replace } from './dom.js';
import { errorText, formatNumber, t } from './i18n.js';
import { currentUser, signInHash } from './session.js';

/** The FollowTargetInput of a target: { id }, { theme } or { regionCode }. */
function targetInput(target) {
  if (target.theme) return { theme: target.theme };
  if (target.regionCode) return { regionCode: target.regionCode };
  return { id: target.id };
}

async function readState(target, signal) {
  if (target.theme) {
    const { themes } = await graphql(THEME_FOLLOW_STATE, {}, { signal });
    return themes.find((summary) => summary.theme === target.theme) ?? null;
  }
  if (target.regionCode) {
    const { region } = await graphql(REGION_FOLLOW_STATE, { code: target.regionCode }, { signal });
    return region;
  }
  const { node } = await graphql(FOLLOW_STATE, { id: target.id }, { signal });
  return node && typeof node.followerCount === 'number' ? node : null;
}

/**
 * A follow control for `target` ({ id } | { theme } | { regionCode }), as an element that fills
 * itself in. `name` is what is followed, for the button's accessible label ("Ikuti Bank Sampah");
 * `compact` draws a small button (in a list of filters, beside a heading).
 */
export function followControl(target, { name = '', compact = false, signal } = {}) {
  const element = h('div', { class: `follow${compact ? ' follow-compact' : ''}`, 'data-follow': '' });
  readState(target, signal).then((state) => {
    // A region's state carries its name: the button is named even when the page did not know it.
    if (state) drawFollow(element, target, state, { name: name || (target.regionCode ? state.name : '') });
  }).catch((error) => {
    if (error.name !== 'AbortError') element.hidden = true; // the page is readable without it
  });
  return element;
}

/** A follow control drawn from a state the page already has ({ followerCount, viewerFollows }). */
export function followButton(target, state, { name = '', compact = false } = {}) {
  const element = h('div', { class: `follow${compact ? ' follow-compact' : ''}`, 'data-follow': '' });
  drawFollow(element, target, state, { name });
  return element;
}

function drawFollow(element, target, state, { name }) {
  let following = state.viewerFollows;
  let count = state.followerCount;
  let busy = false;
  const countText = h('span', { class: 'follow-count' });
  const status = h('span', { class: 'follow-status', role: 'status' });

  if (!currentUser()) {
    const link = h('a', { class: 'button follow-button', href: signInHash(),
      onclick: () => link.setAttribute('href', signInHash()) }, t('follow.follow'));
    link.append(h('span', { class: 'visually-hidden' }, ` (${t('follow.signInFirst')})`));
    countText.textContent = t('follow.count', { count: formatNumber(count) });
    replace(element, link, countText);
    return;
  }

  const button = h('button', { type: 'button', class: 'button follow-button', onclick: toggle });
  const show = () => {
    button.setAttribute('aria-pressed', String(following));
    button.classList.toggle('following', following);
    // The visible words start the accessible name; screen readers also hear what is followed.
    replace(button, following ? t('follow.unfollow') : t('follow.follow'),
      name ? h('span', { class: 'visually-hidden' }, `: ${name}`) : null);
    countText.textContent = t('follow.count', { count: formatNumber(count) });
  };

  async function toggle() {
    if (busy) return;
    busy = true;
    const before = { following, count };
    following = !following;
    count = Math.max(0, count + (following ? 1 : -1));
    status.textContent = '';
    show();
    try {
      const document = following ? FOLLOW : UNFOLLOW;
      const data = await graphql(document, { input: { target: targetInput(target) } });
      const payload = following ? data.follow : data.unfollow;
      if (payload.errors.length) {
        ({ following, count } = before);
        status.textContent = errorText(payload.errors[0]);
      } else {
        if (typeof payload.followerCount === 'number') count = payload.followerCount;
        status.textContent = following ? t('follow.followed') : t('follow.unfollowed');
      }
    } catch {
      ({ following, count } = before);
      status.textContent = t('follow.failed');
    } finally {
      busy = false;
      show();
    }
  }

  show();
  replace(element, button, countText, status);
}
