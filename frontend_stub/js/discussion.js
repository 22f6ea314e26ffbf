// Discussions: the "Diskusi" section of every practice, case study, partnership and replication,
// and the moderators' queue of reported posts ("#/moderation").
//
// - A post's text is whatever someone typed, so it is only ever set as text (h() makes text
//   nodes): "<script>" in a post shows as those characters. A mention, `@[Organization name]`,
//   becomes a link to that organization when the API confirms it (`mentionedOrganizations`);
//   the link's text is again a text node. Line breaks stay (CSS white-space: pre-wrap).
// - What the viewer may do comes from the API where it says so (`viewerCanEdit`,
//   `viewerCanAcceptAnswer`); who moderates is copied from resolvers/permissions.py for the
//   buttons only: the server checks every step again.
// - Every change is sent, then the section is read again from the server and focus goes to the
//   post that changed, so the page never shows a state the server did not confirm.
// - A mutation's `errors { field code message }` show next to the form: on the field they name,
//   and all of them in a box above the buttons, by code in Indonesian (the API's own English
//   message in English).

import {
  ACCEPT_ANSWER, ApiError, DELETE_POST, DISCUSSION, DISMISS_REPORTS, EDIT_POST, graphql, HIDE_POST,
  MODERATION_QUEUE, REPLY_TO_THREAD, REPORT_POST, RESTORE_POST, START_THREAD, THREAD, THREAD_REPLIES,
  WITHDRAW_ACCEPTED_ANSWER,
} from './api.js';
import { h, replace, spinner, uniqueId } from './dom.js';
import { followButton } from './follow.js';
import { errorText, label, language, locale, t, values as enumValues } from './i18n.js';
import { hashFor } from './router.js';
import { currentUser, ensureSignedIn, signInHash } from './session.js';

export const MODERATION_PATH = '/moderation';
// The types whose detail page has a discussion.
export const DISCUSSED_TYPES = new Set(['Practice', 'CaseStudy', 'Partnership', 'Replication']);

// The filter chips, and the arguments of `threads` each one sends.
const FILTERS = {
  ALL: {},
  OPEN: { kind: 'QUESTION', answered: false },
  ANSWERED: { kind: 'QUESTION', answered: true },
  COMMENTS: { kind: 'COMMENT' },
};
// `@[Nama Organisasi]`, as resolvers/discussions.py reads a mention.
const MENTION = /@\[([^[\]\n]{2,200})\]/g;

/** Reviewers and the association's admins moderate (resolvers/permissions.py `is_moderator`). */
export function isModerator(user = currentUser()) {
  return Boolean(user && (user.role === 'REVIEWER'
    || (user.role === 'ADMIN' && user.organization?.kind === 'ASSOCIATION')));
}

/** The header's link to the moderation queue, for moderators only (null for anyone else). */
export function moderationNavItem(path) {
  if (!isModerator()) return null;
  return h('li', {}, h('a', { href: `#${MODERATION_PATH}`, 'aria-current': path === MODERATION_PATH ? 'page' : null },
    t('nav.moderation')));
}

function itemHref(id, params) {
  return hashFor(`/item/${encodeURIComponent(id)}`, params);
}

/** Where a thread is shown: its item's page, opened at the thread. */
export function threadHref(subjectId, threadId) {
  return itemHref(subjectId, new URLSearchParams({ thread: threadId }));
}

function formatMoment(iso) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** A mutation error as the person should read it: this page's own text first, then the shared one. */
function errorMessage(error) {
  if (language() === 'id') {
    const key = `discussion.error.${error.code}`;
    const own = t(key);
    if (own !== key) return own;
  }
  return errorText(error) ?? t('error.generic');
}

/** An exception of graphql() (no payload): unreachable server or a refused request. */
function failure(error) {
  const network = error instanceof ApiError && error.code === 'NETWORK_ERROR';
  return { field: null, code: 'GENERIC', message: network ? t('error.network') : t('error.generic') };
}

// --- the discussion section of a detail page ---------------------------------------------------

/**
 * The "Diskusi" section of `node` (a practice, case study, partnership or replication). It loads
 * in a request of its own: the item stays readable if its discussion cannot be read.
 * `threadId` (from "#/item/…?thread=…") is scrolled to and focused once shown.
 */
export function discussionSection(node, { signal, threadId = null }) {
  const view = {
    node,
    signal,
    filter: 'ALL',
    threads: [],
    pageInfo: null,
    counts: null,
    user: currentUser(),
    moderator: isModerator(),
  };
  const headingId = uniqueId('discussion-heading');
  view.counts = h('p', { class: 'discussion-counts' });
  view.status = h('p', { class: 'visually-hidden', role: 'status' });
  view.chips = h('div', { class: 'discussion-filters', role: 'group', 'aria-label': t('discussion.filterLabel') });
  view.list = h('ol', { class: 'threads', 'aria-busy': 'true' });
  view.more = h('div', { class: 'more' });
  view.content = h('div', {}, spinner(t('discussion.loading')));
  view.reload = (options) => load(view, options);
  const section = h('section', { class: 'detail-section discussion', id: 'diskusi', 'aria-labelledby': headingId },
    h('h2', { id: headingId, tabindex: '-1' }, t('discussion.title')),
    view.counts, view.status, newThreadArea(view), view.content);
  load(view, { focusId: threadId, scroll: Boolean(threadId), pinned: threadId });
  return section;
}

async function load(view, { append = false, focusId = null, announce = null, scroll = false, pinned = null } = {}) {
  const { signal } = view;
  view.list.setAttribute('aria-busy', 'true');
  let discussion;
  try {
    const { node } = await graphql(DISCUSSION, {
      id: view.node.id, ...FILTERS[view.filter], after: append ? view.pageInfo?.endCursor : null,
    }, { signal });
    discussion = node?.discussion;
  } catch (error) {
    if (error.name === 'AbortError') return;
    replace(view.content, h('p', { class: 'muted', 'data-code': error.code ?? '' }, t('discussion.failed')));
    return;
  }
  if (!discussion) return;
  const page = discussion.threads;
  view.threads = append ? [...view.threads, ...page.nodes] : page.nodes;
  view.pageInfo = page.pageInfo;
  // A thread linked from elsewhere (search) may be older than the first page: fetch it alone.
  if (pinned && !view.threads.some((thread) => thread.id === pinned)) {
    try {
      const { thread } = await graphql(THREAD, { id: pinned }, { signal });
      if (thread) view.threads = [thread, ...view.threads];
    } catch (error) {
      if (error.name === 'AbortError') return;
    }
  }
  renderCounts(view, discussion);
  replace(view.list, view.threads.length
    ? view.threads.map((thread) => h('li', {}, threadArticle(view, thread)))
    : h('li', { class: 'muted' }, t(view.filter === 'ALL' ? 'discussion.none' : 'discussion.noneFiltered')));
  view.list.removeAttribute('aria-busy');
  replace(view.more, page.pageInfo.hasNextPage
    ? h('button', { type: 'button', class: 'button', onclick: () => load(view, { append: true }) },
      t('discussion.loadMore'))
    : null);
  replace(view.content, view.chips, view.list, view.more);
  if (announce) view.status.textContent = announce;
  const target = focusId && view.list.querySelector(`[data-post-id="${CSS.escape(focusId)}"]`);
  if (target) {
    if (scroll) target.scrollIntoView({ block: 'start' });
    target.focus({ preventScroll: !scroll });
  }
}

function renderCounts(view, discussion) {
  const open = discussion.openQuestionCount;
  const answered = discussion.answeredQuestionCount;
  view.counts.textContent = t('discussion.counts', { open, answered });
  const counts = { ALL: discussion.threadCount, OPEN: open, ANSWERED: answered,
    COMMENTS: discussion.threadCount - open - answered };
  replace(view.chips, Object.keys(FILTERS).map((filter) => h('button', {
    type: 'button',
    class: 'filter-chip',
    'aria-pressed': String(view.filter === filter),
    'data-filter': filter,
    onclick: () => {
      if (view.filter === filter) return;
      view.filter = filter;
      load(view, { announce: t('discussion.filtered', { filter: t(`discussion.filter.${filter}`) }) });
    },
  }, t(`discussion.filter.${filter}`), h('span', { class: 'count' }, ` ${counts[filter]}`))));
}

// --- a thread and its replies ----------------------------------------------------------------

function threadArticle(view, thread) {
  const headingId = uniqueId('thread');
  const panel = h('div', { class: 'post-panel' });
  const replyPanel = h('div', { class: 'post-panel reply-panel' });
  const isQuestion = thread.kind === 'QUESTION';
  const badges = h('p', { class: 'badges' },
    h('span', { class: `badge kind-${thread.kind.toLowerCase()}` }, label('discussionKind', thread.kind)),
    isQuestion ? h('span', { class: `badge ${thread.isAnswered ? 'answered' : 'open'}` },
      t(thread.isAnswered ? 'discussion.answered' : 'discussion.open')) : null,
    thread.isDemo ? h('span', { class: 'badge demo' }, t('detail.demo')) : null,
    reportCount(thread));
  const title = isQuestion && thread.title
    ? thread.title : t('discussion.commentBy', { name: thread.authorName ?? t('discussion.someone') });
  const replies = thread.replies;
  const moreReplies = h('div', {});
  const repliesList = h('ol', { class: 'replies', 'aria-label': t('discussion.repliesLabel', { count: replies.totalCount }) },
    replies.nodes.map((reply) => h('li', {}, replyArticle(view, thread, reply, replyPanel))));
  if (replies.pageInfo.hasNextPage) {
    showMoreReplies(view, thread, repliesList, moreReplies, replies.pageInfo.endCursor, replyPanel,
      replies.totalCount - replies.nodes.length);
  }
  const article = h('article', {
    class: `thread kind-${thread.kind.toLowerCase()}`, 'data-post-id': thread.id, 'data-thread-id': thread.id,
    tabindex: '-1', 'aria-labelledby': headingId,
  },
  badges,
  // A comment has no title: its heading names it for screen readers, the byline shows the same.
  h('h3', { id: headingId, class: isQuestion ? null : 'visually-hidden' }, title),
  byline(thread),
  postBody(thread),
  threadFollow(thread, title),
  postActions(view, thread, { thread, panel, replyPanel }),
  panel,
  replies.nodes.length ? repliesList : null,
  moreReplies,
  replyPanel);
  return article;
}

/** "Ikuti" on a thread: its followers are told of every reply (js/follow.js). */
function threadFollow(thread, title) {
  if (typeof thread.followerCount !== 'number') return null;
  return followButton({ id: thread.id }, thread, { name: title, compact: true });
}

function showMoreReplies(view, thread, list, container, after, replyPanel, remaining) {
  replace(container, h('button', { type: 'button', class: 'button link', onclick: async (event) => {
    event.currentTarget.disabled = true;
    try {
      const { thread: found } = await graphql(THREAD_REPLIES, { id: thread.id, after }, { signal: view.signal });
      const page = found.replies;
      list.append(...page.nodes.map((reply) => h('li', {}, replyArticle(view, thread, reply, replyPanel))));
      if (page.pageInfo.hasNextPage) {
        showMoreReplies(view, thread, list, container, page.pageInfo.endCursor, replyPanel,
          remaining - page.nodes.length);
      } else replace(container);
    } catch (error) {
      if (error.name !== 'AbortError') replace(container, h('p', { class: 'muted' }, t('discussion.failed')));
    }
  } }, t('discussion.moreReplies', { count: remaining })));
}

function replyArticle(view, thread, reply, replyPanel) {
  const panel = h('div', { class: 'post-panel' });
  return h('article', {
    class: `reply${reply.isAcceptedAnswer ? ' accepted' : ''}`, 'data-post-id': reply.id, tabindex: '-1',
    'aria-label': t('discussion.replyBy', { name: reply.authorName ?? t('discussion.someone') }),
  },
  // (A demo reply is in a demo thread, which says so once.)
  reply.isAcceptedAnswer || reply.openReportCount ? h('p', { class: 'badges' },
    reply.isAcceptedAnswer ? h('span', { class: 'badge accepted' },
      h('span', { 'aria-hidden': 'true' }, '✓ '), t('discussion.accepted')) : null,
    reportCount(reply)) : null,
  reply.quoted ? quote(reply.quoted) : null,
  byline(reply),
  postBody(reply),
  postActions(view, reply, { thread, panel, replyPanel }),
  panel);
}

function reportCount(post) {
  // Shown to moderators only: the API gives the count to no one else.
  return post.openReportCount ? h('span', { class: 'badge report-count' },
    t('discussion.reportCount', { count: post.openReportCount })) : null;
}

/** The reply being answered, as a quote above the answer. */
function quote(quoted) {
  return h('blockquote', { class: 'quote' },
    h('p', { class: 'quote-source' }, t('discussion.quoteOf', { name: quoted.authorName ?? t('discussion.someone') })),
    quoted.state === 'VISIBLE' && quoted.body !== null
      ? h('p', { class: 'quote-text' }, quoted.body.replace(MENTION, '@$1'))
      : h('p', { class: 'placeholder' }, placeholderText(quoted.state)));
}

function byline(post) {
  return h('p', { class: 'byline' },
    h('span', { class: 'author' }, post.authorName ?? t('discussion.someone')),
    post.authorOrganization ? [' · ', h('a', { href: itemHref(post.authorOrganization.id) }, post.authorOrganization.name)]
      : null,
    ' · ', h('time', { datetime: post.createdAt }, formatMoment(post.createdAt)),
    post.editedAt ? h('span', { class: 'muted' }, ` · ${t('discussion.edited')}`) : null);
}

function placeholderText(state) {
  return state === 'DELETED' ? t('discussion.deleted') : t('discussion.hidden');
}

/**
 * The text of a post, or the placeholder of a deleted or hidden one. A hidden post's author and
 * the moderators still get its text from the API; they see it under the placeholder, marked so.
 */
function postBody(post) {
  if (post.state === 'DELETED') return h('p', { class: 'placeholder' }, placeholderText(post.state));
  const text = post.body === null ? null : h('div', { class: 'post-text', lang: 'id' }, withMentions(post));
  if (post.state !== 'HIDDEN') return text;
  return h('div', { class: 'hidden-post' },
    h('p', { class: 'placeholder' }, placeholderText(post.state)),
    post.moderation ? h('p', { class: 'hint' }, t('discussion.hiddenBecause',
      { name: post.moderation.hiddenByName ?? t('discussion.someone'), reason: post.moderation.reason })) : null,
    text ? [h('p', { class: 'hint' }, t('discussion.hiddenTextVisible')), text] : null);
}

function folded(name) {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLocaleLowerCase('id').trim();
}

/** The text with each confirmed `@[Organization]` mention as a link: text nodes and links only. */
function withMentions(post) {
  const organizations = new Map(post.mentionedOrganizations.map((o) => [folded(o.name), o]));
  const parts = [];
  let last = 0;
  for (const match of post.body.matchAll(MENTION)) {
    const organization = organizations.get(folded(match[1]));
    if (!organization) continue;
    parts.push(post.body.slice(last, match.index),
      h('a', { class: 'mention', href: itemHref(organization.id) }, `@${organization.name}`));
    last = match.index + match[0].length;
  }
  parts.push(post.body.slice(last));
  return parts.filter((part) => part !== '');
}

// --- what the viewer may do with a post --------------------------------------------------------

function postActions(view, post, { thread, panel, replyPanel }) {
  const user = view.user;
  if (!user) return null;
  const isThread = post.id === thread.id;
  const visible = post.state === 'VISIBLE';
  const own = post.author?.id === user.id;
  const buttons = [];
  const button = (text, onclick, className = 'button small') =>
    buttons.push(h('button', { type: 'button', class: className, onclick }, text));

  if (thread.state === 'VISIBLE') {
    if (isThread) button(t('discussion.reply'), (e) => replyForm(view, thread, null, replyPanel, e.currentTarget));
    else if (visible) {
      button(t('discussion.quoteReply'), (e) => replyForm(view, thread, post, replyPanel, e.currentTarget));
    }
  }
  if (!isThread && thread.kind === 'QUESTION' && thread.viewerCanAcceptAnswer) {
    if (post.isAcceptedAnswer) {
      button(t('discussion.withdraw'), (e) => send(view, panel, e.currentTarget, WITHDRAW_ACCEPTED_ANSWER,
        { threadId: thread.id, version: thread.version }, { focusId: post.id, announce: t('discussion.withdrawn') }));
    } else if (visible) {
      button(t('discussion.accept'), (e) => send(view, panel, e.currentTarget, ACCEPT_ANSWER,
        { replyId: post.id }, { focusId: post.id, announce: t('discussion.acceptedNow') }), 'button small primary');
    }
  }
  if (post.viewerCanEdit && post.state !== 'DELETED') {
    button(t('discussion.edit'), (e) => editForm(view, post, isThread, panel, e.currentTarget));
  }
  if ((post.viewerCanEdit || own) && post.state !== 'DELETED') {
    button(t('discussion.delete'), (e) => deleteConfirmation(view, post, panel, e.currentTarget));
  }
  if (!own && visible) button(t('discussion.report'), (e) => reportForm(view, post, panel, e.currentTarget));
  if (view.moderator && visible) {
    button(t('discussion.hide'), (e) => moderationForm(view, post, panel, e.currentTarget, 'hide'));
  }
  if (view.moderator && post.state === 'HIDDEN') {
    button(t('discussion.restore'), (e) => moderationForm(view, post, panel, e.currentTarget, 'restore'));
  }
  return buttons.length ? h('div', { class: 'post-actions' }, buttons) : null;
}

/**
 * Send a mutation whose payload is `{ …, errors }`; on success read the section again (focus on
 * `focusId`), on errors show them in `panel`. Resolves to the payload's errors.
 */
async function send(view, panel, trigger, document, input, { focusId, announce }, form = null) {
  if (trigger) trigger.disabled = true;
  let errors;
  try {
    const data = await graphql(document, { input }, { signal: view.signal });
    const payload = Object.values(data)[0];
    errors = payload.errors;
    if (!errors.length) {
      const changed = payload.thread?.id ?? payload.reply?.id;
      // A new post is focused; a changed one keeps focus where the person was.
      await view.reload({ focusId: focusId ?? changed, announce });
      return [];
    }
  } catch (error) {
    if (error.name === 'AbortError') return [];
    errors = [failure(error)];
  } finally {
    if (trigger?.isConnected) trigger.disabled = false;
  }
  if (form) form.showErrors(errors);
  else replace(panel, errorList(errors));
  return errors;
}

function errorList(errors) {
  return h('div', { class: 'form-errors', role: 'alert' },
    h('ul', {}, errors.map((error) => h('li', { 'data-code': error.code }, errorMessage(error)))));
}

/** Open `content` in a post's panel; "Batal" closes it and gives focus back to the opener. */
function openPanel(panel, opener, content) {
  const close = () => {
    replace(panel);
    if (opener?.isConnected) opener.focus();
  };
  replace(panel, content(close));
  panel.querySelector('textarea, input, select, button')?.focus();
}

/**
 * A small form of labelled fields with errors next to them: `fields` are
 * { name, label, type: 'text' | 'textarea' | 'select', options, value, hint, required }.
 * `submit(values, form)` sends it; `form.showErrors(errors)` places the payload's errors.
 */
function postForm({ className, fields, submitText, submit, close, intro = null }) {
  const controls = {};
  const errorBox = h('div', { class: 'form-errors', role: 'alert', hidden: true });
  const rows = fields.map((field) => {
    const id = uniqueId(`post-${field.name}`);
    const errorElement = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
    const hint = field.hint ? h('p', { class: 'hint', id: `${id}-hint` }, field.hint) : null;
    const describedBy = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' ');
    let control;
    if (field.type === 'select') {
      control = h('select', { id, name: field.name, 'aria-describedby': describedBy },
        field.options.map(([value, text]) => h('option', { value, selected: value === field.value }, text)));
    } else if (field.type === 'textarea') {
      control = h('textarea', { id, name: field.name, rows: field.rows ?? 4, 'aria-describedby': describedBy });
      control.value = field.value ?? '';
    } else {
      control = h('input', { id, name: field.name, type: 'text', 'aria-describedby': describedBy });
      control.value = field.value ?? '';
    }
    const element = h('div', { class: 'field', 'data-field': field.name },
      h('label', { for: id }, field.label,
        field.required ? h('span', { class: 'required' }, ` (${t('contribute.required')})`) : null),
      hint, errorElement, control);
    controls[field.name] = { element, control, errorElement, label: field.label };
    return element;
  });
  const submitButton = h('button', { type: 'submit', class: 'button primary' }, submitText);
  const form = h('form', { class: `post-form ${className}`, novalidate: true },
    intro, rows, errorBox,
    h('div', { class: 'form-actions' }, submitButton,
      close ? h('button', { type: 'button', class: 'button', onclick: close }, t('discussion.cancel')) : null));
  const api = {
    element: form,
    controls,
    values: () => Object.fromEntries(Object.entries(controls).map(([name, { control }]) => [name, control.value])),
    clearErrors() {
      errorBox.hidden = true;
      for (const { element, control, errorElement } of Object.values(controls)) {
        element.classList.remove('has-error');
        errorElement.hidden = true;
        control.removeAttribute('aria-invalid');
      }
    },
    showErrors(errors) {
      api.clearErrors();
      for (const error of errors) {
        const target = controls[error.field];
        if (!target) continue;
        target.element.classList.add('has-error');
        target.errorElement.hidden = false;
        target.errorElement.textContent = errorMessage(error);
        target.control.setAttribute('aria-invalid', 'true');
      }
      // Every error in the box, next to the buttons, read out at once (role=alert).
      replace(errorBox, h('ul', {}, errors.map((error) => h('li', { 'data-code': error.code },
        controls[error.field] ? `${controls[error.field].label}: ${errorMessage(error)}` : errorMessage(error)))));
      errorBox.hidden = false;
    },
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    api.clearErrors();
    submitButton.disabled = true;
    try {
      await submit(api.values(), api);
    } finally {
      if (submitButton.isConnected) submitButton.disabled = false;
    }
  });
  return api;
}

/** The form to ask a question or comment, or the way to sign in first. */
function newThreadArea(view) {
  if (!view.user) {
    return h('p', { class: 'hint discussion-sign-in' },
      h('a', { href: signInHash() }, t('discussion.signInToPost')));
  }
  const kindName = uniqueId('thread-kind');
  const radios = ['QUESTION', 'COMMENT'].map((kind) => {
    const id = `${kindName}-${kind}`;
    return h('li', {}, h('input', { type: 'radio', id, name: kindName, value: kind, checked: kind === 'QUESTION',
      onchange: () => sync() }), h('label', { for: id }, label('discussionKind', kind)));
  });
  const kindField = h('fieldset', { class: 'field kind-choice' },
    h('legend', {}, t('discussion.kind')), h('ul', { class: 'choice-list' }, radios));
  const form = postForm({
    className: 'new-thread',
    fields: [
      { name: 'title', label: t('discussion.questionTitle'), type: 'text', required: true },
      { name: 'body', label: t('discussion.text'), type: 'textarea', hint: t('discussion.mentionHint'), rows: 5 },
    ],
    submitText: t('discussion.send'),
    intro: kindField,
    async submit(values, api) {
      const kind = kindField.querySelector('input:checked').value;
      const input = { subjectId: view.node.id, kind, body: values.body };
      view.filter = 'ALL'; // the new thread is at the top of them all
      if (kind === 'QUESTION') input.title = values.title;
      const errors = await send(view, null, null, START_THREAD, input,
        { announce: t(kind === 'QUESTION' ? 'discussion.asked' : 'discussion.commented') }, api);
      if (!errors.length) {
        for (const { control } of Object.values(api.controls)) control.value = '';
      }
    },
  });
  const sync = () => {
    const question = kindField.querySelector('input:checked').value === 'QUESTION';
    form.controls.title.element.hidden = !question;
  };
  return h('details', { class: 'new-thread-area', open: true },
    h('summary', {}, t('discussion.newThread')), form.element);
}

function replyForm(view, thread, quoted, panel, opener) {
  openPanel(panel, opener, (close) => postForm({
    className: 'reply-form',
    intro: quoted ? quote(quoted) : null,
    fields: [{ name: 'body', label: quoted ? t('discussion.replyToQuoted') : t('discussion.replyText'),
      type: 'textarea', hint: t('discussion.mentionHint') }],
    submitText: t('discussion.sendReply'),
    close,
    submit: (values, api) => send(view, null, null, REPLY_TO_THREAD,
      { threadId: thread.id, body: values.body, quotedReplyId: quoted?.id ?? null },
      { announce: t('discussion.replied') }, api),
  }).element);
}

function editForm(view, post, isThread, panel, opener) {
  const fields = [];
  if (isThread && post.kind === 'QUESTION') {
    fields.push({ name: 'title', label: t('discussion.questionTitle'), type: 'text', value: post.title ?? '', required: true });
  }
  fields.push({ name: 'body', label: t('discussion.text'), type: 'textarea', value: post.body ?? '' });
  openPanel(panel, opener, (close) => postForm({
    className: 'edit-form',
    fields,
    submitText: t('discussion.save'),
    close,
    submit: (values, api) => send(view, null, null, EDIT_POST, { id: post.id, version: post.version, ...values },
      { focusId: post.id, announce: t('discussion.saved') }, api),
  }).element);
}

function deleteConfirmation(view, post, panel, opener) {
  openPanel(panel, opener, (close) => h('div', { class: 'confirm', role: 'group', 'aria-label': t('discussion.delete') },
    h('p', {}, t('discussion.deleteConfirm')),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'button primary', onclick: (e) => send(view, panel, e.currentTarget,
        DELETE_POST, { id: post.id, version: post.version }, { focusId: post.id, announce: t('discussion.deletedNow') }) },
      t('discussion.deleteYes')),
      h('button', { type: 'button', class: 'button', onclick: close }, t('discussion.cancel')))));
}

function reportForm(view, post, panel, opener) {
  openPanel(panel, opener, (close) => postForm({
    className: 'report-form',
    fields: [
      { name: 'reason', label: t('discussion.reportReason'), type: 'select',
        options: enumValues('reportReason').map((value) => [value, label('reportReason', value)]) },
      { name: 'text', label: t('discussion.reportText'), type: 'textarea', rows: 3, hint: t('discussion.reportHint') },
    ],
    submitText: t('discussion.sendReport'),
    close,
    async submit(values, api) {
      try {
        const { reportPost } = await graphql(REPORT_POST,
          { input: { id: post.id, reason: values.reason, text: values.text.trim() || null } }, { signal: view.signal });
        if (reportPost.errors.length) return api.showErrors(reportPost.errors);
      } catch (error) {
        if (error.name === 'AbortError') return undefined;
        return api.showErrors([failure(error)]);
      }
      replace(panel, h('p', { class: 'notice', role: 'status', tabindex: '-1' }, t('discussion.reported')));
      panel.firstChild.focus();
      // A moderator's own report shows in the post's count of reports.
      if (view.moderator) await view.reload({ focusId: post.id });
      return undefined;
    },
  }).element);
}

function moderationForm(view, post, panel, opener, action) {
  const hide = action === 'hide';
  openPanel(panel, opener, (close) => postForm({
    className: 'moderation-form',
    fields: [{ name: 'reason', label: t('discussion.moderationReason'), type: 'text', required: true,
      hint: t('discussion.moderationHint') }],
    submitText: hide ? t('discussion.hide') : t('discussion.restore'),
    close,
    submit: (values, api) => send(view, null, null, hide ? HIDE_POST : RESTORE_POST,
      { id: post.id, version: post.version, reason: values.reason },
      { focusId: post.id, announce: t(hide ? 'discussion.hiddenNow' : 'discussion.restoredNow') }, api),
  }).element);
}

// --- the moderation queue ----------------------------------------------------------------------

/** The route view of "#/moderation": open reports, newest first, with hide and dismiss. */
export async function renderModeration(outlet, { signal }) {
  const heading = h('h1', { tabindex: '-1' }, t('moderation.title'));
  const page = h('section', { class: 'moderation' }, heading, h('p', { class: 'lead' }, t('moderation.intro')));
  replace(outlet, page);
  if (!(await ensureSignedIn()) || signal.aborted) return;
  if (!isModerator()) {
    page.append(h('p', { class: 'notice' }, t('moderation.notAModerator')));
    return;
  }
  const queue = { signal, reports: [], pageInfo: null };
  // Focus lands here when the last report of the page has been dealt with.
  queue.status = h('p', { class: 'result-status', role: 'status', tabindex: '-1' });
  queue.list = h('ol', { class: 'reports' });
  queue.more = h('div', { class: 'more' });
  page.append(queue.status, queue.list, queue.more);
  await loadQueue(queue, {});
}

async function loadQueue(queue, { append = false, focusIndex = null, announce = null }) {
  queue.list.setAttribute('aria-busy', 'true');
  if (!append && !queue.reports.length) replace(queue.list, h('li', {}, spinner(t('discussion.loading'))));
  let page;
  try {
    ({ moderationQueue: page } = await graphql(MODERATION_QUEUE,
      { after: append ? queue.pageInfo?.endCursor : null }, { signal: queue.signal }));
  } catch (error) {
    if (error.name === 'AbortError') return;
    replace(queue.list, h('li', { class: 'muted', 'data-code': error.code ?? '' }, t('moderation.failed')));
    queue.list.removeAttribute('aria-busy');
    return;
  }
  queue.reports = append ? [...queue.reports, ...page.nodes] : page.nodes;
  queue.pageInfo = page.pageInfo;
  queue.status.textContent = [announce, t('moderation.count', { count: page.totalCount })].filter(Boolean).join(' ');
  replace(queue.list, queue.reports.length
    ? queue.reports.map((report) => h('li', {}, reportArticle(queue, report)))
    : h('li', { class: 'muted' }, t('moderation.empty')));
  queue.list.removeAttribute('aria-busy');
  replace(queue.more, page.pageInfo.hasNextPage ? h('button', { type: 'button', class: 'button',
    onclick: () => loadQueue(queue, { append: true }) }, t('discussion.loadMore')) : null);
  if (focusIndex !== null) {
    const items = queue.list.querySelectorAll('article.report');
    (items[Math.min(focusIndex, items.length - 1)] ?? queue.status).focus();
  }
}

function reportArticle(queue, report) {
  const post = report.post;
  const panel = h('div', { class: 'post-panel' });
  const thread = post?.__typename === 'Thread' ? post : post?.thread;
  const subject = thread?.subject;
  const headingId = uniqueId('report');
  const index = queue.reports.indexOf(report);
  const act = (document, input, announce) => async (values, api) => {
    try {
      const data = await graphql(document, { input: { ...input, reason: values.reason } }, { signal: queue.signal });
      const { errors } = Object.values(data)[0];
      if (errors.length) return api.showErrors(errors);
    } catch (error) {
      if (error.name === 'AbortError') return undefined;
      return api.showErrors([failure(error)]);
    }
    await loadQueue(queue, { focusIndex: index, announce });
    return undefined;
  };
  const open = (kind) => (event) => openPanel(panel, event.currentTarget, (close) => postForm({
    className: 'moderation-form',
    fields: [{ name: 'reason', label: t('discussion.moderationReason'), type: 'text', required: true,
      value: kind === 'hide' ? label('reportReason', report.reason) : '', hint: t('discussion.moderationHint') }],
    submitText: kind === 'hide' ? t('moderation.hide') : t('moderation.dismiss'),
    close,
    submit: kind === 'hide'
      ? act(HIDE_POST, { id: post.id, version: post.version }, t('discussion.hiddenNow'))
      : act(DISMISS_REPORTS, { id: post.id }, t('moderation.dismissed')),
  }).element);
  return h('article', { class: 'report', tabindex: '-1', 'aria-labelledby': headingId, 'data-report-id': report.id },
    h('p', { class: 'badges' }, h('span', { class: 'badge report-count' }, label('reportReason', report.reason))),
    h('h2', { id: headingId, class: 'report-heading' }, post
      ? t(post.__typename === 'Thread' ? 'moderation.aboutThread' : 'moderation.aboutReply',
        { name: post.authorName ?? t('discussion.someone') })
      : t('moderation.postGone')),
    h('p', { class: 'byline' }, t('moderation.reportedBy', { name: report.reporterName ?? t('discussion.someone') }),
      ' · ', h('time', { datetime: report.createdAt }, formatMoment(report.createdAt))),
    report.text ? h('blockquote', { class: 'quote report-text' }, h('p', { class: 'quote-text' }, report.text)) : null,
    post ? h('div', { class: 'reported-post' },
      subject ? h('p', { class: 'hint' }, t('moderation.on'), ' ',
        h('a', { href: threadHref(subject.id, thread.id) }, subject.title),
        thread.title ? ` · ${thread.title}` : null) : null,
      h('p', { class: 'byline' }, h('span', { class: 'author' }, post.authorName ?? t('discussion.someone')),
        post.authorOrganization ? ` · ${post.authorOrganization.name}` : null,
        ' · ', h('time', { datetime: post.createdAt }, formatMoment(post.createdAt))),
      post.state === 'VISIBLE' && post.body !== null
        ? h('div', { class: 'post-text', lang: 'id' }, post.body)
        : h('p', { class: 'placeholder' }, placeholderText(post.state))) : null,
    post ? h('div', { class: 'post-actions' },
      post.state === 'VISIBLE'
        ? h('button', { type: 'button', class: 'button small primary', onclick: open('hide') }, t('moderation.hide'))
        : null,
      h('button', { type: 'button', class: 'button small', onclick: open('dismiss') }, t('moderation.dismiss'))) : null,
    panel);
}
