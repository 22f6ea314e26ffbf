// The contribute form: creates a draft practice through `createPractice`, shows the payload's
// `errors { field code message }` next to the fields they name, then offers to send the draft
// to the association's reviewers through `submitForReview`.
//
// Writing needs a signed-in member or admin: a practice belongs to the author's own
// organization, so the form shows that organization instead of asking for one. Only the
// association's admins, who may write for any organization, choose it.
//
// An error's `field` is a path in the input: "title", "regionCodes.0", "period.end",
// "funding.0.amount". Every control carries its path in data-field; an error goes to the
// control with its path, or else to the nearest enclosing one ("funding.0", then "funding"),
// or else to the summary at the top, which lists every error either way.
//
// What one has typed is kept in sessionStorage as one goes, so switching the language (which
// draws the page again), an accidental reload or a session that ends and is signed in again
// loses nothing. It is kept for its author only, and forgotten on signing out.

import { ApiError, CREATE_PRACTICE, FIND_ORGANIZATIONS, graphql, SUBMIT_FOR_REVIEW } from './api.js';
import { combobox } from './combobox.js';
import { h, replace, spinner } from './dom.js';
import { errorText, label, t, values as enumValues } from './i18n.js';
import { regionPicker } from './regions.js';
import { hashFor } from './router.js';
import { currentUser, ensureSignedIn, onSessionChange } from './session.js';

const DRAFT_KEY = 'lumbung.contributeDraft';
// Who may write practices, as resolvers/permissions.py decides; the server checks again.
const PRACTICE_AUTHORS = new Set(['MEMBER', 'ADMIN']);

/** Admins of the association write for any organization; everyone else for their own. */
function choosesOrganization(user) {
  return user.role === 'ADMIN' && user.organization?.kind === 'ASSOCIATION';
}
const EMPTY_FUNDING = { source: '', amount: '', note: '' };
const EMPTY_RESULT = { name: '', unit: '', baseline: '', target: '', achieved: '' };

onSessionChange((reason) => {
  if (reason === 'signedOut') sessionStorage.removeItem(DRAFT_KEY);
});

function emptyState() {
  return {
    userId: null, title: '', titleEn: '', summary: '', organization: null, regionCode: null, authorName: '',
    themes: [], sdgs: [], stage: '', problem: '', approach: '', isDigital: false, legalBasis: '',
    periodStart: '', periodEnd: '', funding: [{ ...EMPTY_FUNDING }], results: [{ ...EMPTY_RESULT }],
  };
}

function loadState(user) {
  let state;
  try {
    state = { ...emptyState(), ...JSON.parse(sessionStorage.getItem(DRAFT_KEY) ?? '{}') };
  } catch {
    state = emptyState();
  }
  if (state.userId !== null && state.userId !== user.id) state = emptyState(); // someone else's
  state.userId = user.id;
  if (!choosesOrganization(user) || !state.organization) {
    state.organization = user.organization ? { id: user.organization.id, name: user.organization.name } : null;
  }
  return state;
}

/**
 * The PracticeInput for the form's state, and errors found before sending (numbers that are
 * not numbers: the API's Rupiah and Float variables would refuse the whole request).
 * Rows left entirely empty are not sent, so `rows` maps each sent row back to its row on
 * the page for the errors' paths.
 */
export function toPracticeInput(state) {
  const text = (value) => (value ?? '').trim() || undefined;
  const errors = [];
  const rows = { funding: [], results: [] };
  const number = (value, path, parse) => {
    const cleaned = (value ?? '').trim();
    if (!cleaned) return undefined;
    const parsed = parse(cleaned);
    if (Number.isNaN(parsed)) errors.push({ field: path, code: 'NUMBER', message: t('error.NUMBER') });
    return parsed;
  };
  const sentRows = (name, isEmpty) => state[name]
    .map((row, index) => ({ row, index }))
    .filter(({ row }) => !isEmpty(row))
    .map(({ row, index }) => {
      rows[name].push(index);
      return { row, index };
    });
  // Rupiah are whole numbers; "150.000.000" and "150,000,000" are both written in Indonesia.
  const rupiah = (s) => (/^[\d.,\s]+$/.test(s) ? Number(s.replace(/[.,\s]/g, '')) : NaN);
  const decimal = (s) => (/^-?\d+([.,]\d+)?$/.test(s) ? Number(s.replace(',', '.')) : NaN);

  const input = {
    title: text(state.title),
    titleEn: text(state.titleEn),
    summary: text(state.summary),
    organizationId: state.organization?.id,
    regionCodes: state.regionCode ? [state.regionCode] : undefined,
    authorName: text(state.authorName),
    themes: state.themes.length ? state.themes : undefined,
    sdgs: state.sdgs.length ? state.sdgs.map(Number) : undefined,
    stage: state.stage || undefined,
    problem: text(state.problem),
    approach: text(state.approach),
    isDigital: state.isDigital,
    legalBasis: text(state.legalBasis),
    period: state.periodStart || state.periodEnd
      ? { start: state.periodStart || null, end: state.periodEnd || null } : undefined,
    funding: sentRows('funding', (r) => !r.source && !r.amount.trim() && !r.note.trim())
      .map(({ row, index }) => ({
        source: row.source || undefined,
        amount: number(row.amount, `funding.${index}.amount`, rupiah),
        note: text(row.note),
      })),
    results: sentRows('results', (r) => Object.values(r).every((v) => !v.trim()))
      .map(({ row, index }) => ({
        name: text(row.name),
        unit: text(row.unit),
        baseline: number(row.baseline, `results.${index}.baseline`, decimal),
        target: number(row.target, `results.${index}.target`, decimal),
        achieved: number(row.achieved, `results.${index}.achieved`, decimal),
      })),
  };
  return { input: JSON.parse(JSON.stringify(input)), errors, rows }; // JSON drops the undefined
}

/** An API error path with its row index turned back into the row on the page. */
function pagePath(field, rows) {
  const match = /^(funding|results)\.(\d+)(\..*)?$/.exec(field ?? '');
  if (!match) return field;
  return `${match[1]}.${rows[match[1]][Number(match[2])] ?? match[2]}${match[3] ?? ''}`;
}

export async function renderContribute(outlet, { signal }) {
  const heading = h('h1', { tabindex: '-1' }, t('contribute.title'));
  const page = h('section', { class: 'contribute' }, heading, h('p', { class: 'lead' }, t('contribute.intro')));
  replace(outlet, page);
  if (!(await ensureSignedIn()) || signal.aborted) return;
  const user = currentUser();
  if (!PRACTICE_AUTHORS.has(user.role)) {
    page.append(h('p', { class: 'notice' }, t('contribute.notAnAuthor',
      { role: label('role', user.role), organization: user.organization?.name ?? '' })));
    return;
  }

  const state = loadState(user);
  const save = () => sessionStorage.setItem(DRAFT_KEY, JSON.stringify(state));
  const summaryBox = h('div', { class: 'error-summary', tabindex: '-1', hidden: true, 'aria-labelledby': 'error-summary-title' });
  const formStatus = h('div', { class: 'form-status', role: 'status' });
  const errorTargets = new Map(); // path -> { show(message), clear(), focus() }

  // --- field builders: each registers where its errors go ---------------------------------
  function register(path, wrapper, control, errorElement, extra = {}) {
    errorTargets.set(path, {
      show(message) {
        wrapper.classList.add('has-error');
        errorElement.hidden = false;
        errorElement.textContent = message;
        control?.setAttribute('aria-invalid', 'true');
        extra.onShow?.(errorElement.id);
      },
      clear() {
        wrapper.classList.remove('has-error');
        errorElement.hidden = true;
        errorElement.textContent = '';
        control?.removeAttribute('aria-invalid');
        extra.onClear?.();
      },
      focus: () => (extra.focus ? extra.focus() : (control ?? wrapper.querySelector('input, select, textarea'))?.focus()),
    });
  }

  const fieldId = (path) => `field-${path.replace(/\W/g, '-')}`;

  function requiredMark(required) {
    return h('span', { class: required ? 'required' : 'optional' },
      ` (${required ? t('contribute.required') : t('contribute.optional')})`);
  }

  // `mark` adds "(required)"/"(optional)"; the parts of a row or of the period go without.
  function textField({ path, text, key, required = false, multiline = false, hint = null, type = 'text', row = null,
    mark = row === null, attrs = {} }) {
    const id = fieldId(path);
    const errorId = `${id}-error`;
    const hintId = hint ? `${id}-hint` : null;
    const target = row ?? state;
    const control = h(multiline ? 'textarea' : 'input', {
      id, name: path, 'data-field': path, type: multiline ? null : type, rows: multiline ? 4 : null,
      'aria-describedby': [hintId, errorId].filter(Boolean).join(' '), ...attrs,
      oninput: (event) => { target[key] = event.target.value; save(); },
    });
    control.value = target[key] ?? '';
    const errorElement = h('p', { class: 'field-error', id: errorId, hidden: true });
    const wrapper = h('div', { class: 'field' },
      h('label', { for: id }, text, mark ? requiredMark(required) : null),
      hint ? h('p', { class: 'hint', id: hintId }, hint) : null, errorElement, control);
    register(path, wrapper, control, errorElement);
    return wrapper;
  }

  function choiceGroup({ path, text, kind, key, required = false, type = 'checkbox', columns = 2, display = (v) => label(kind, v) }) {
    const errorId = `${fieldId(path)}-error`;
    const errorElement = h('p', { class: 'field-error', id: errorId, hidden: true });
    const options = enumValues(kind).map((value) => {
      const id = `${fieldId(path)}-${value}`;
      const checked = type === 'radio' ? state[key] === value : state[key].map(String).includes(String(value));
      const control = h('input', { type, id, name: path, value, checked, onchange: (event) => {
        if (type === 'radio') state[key] = value;
        else state[key] = event.target.checked ? [...state[key], value] : state[key].filter((v) => String(v) !== String(value));
        save();
      } });
      return h('li', {}, control, h('label', { for: id }, display(value)));
    });
    const wrapper = h('fieldset', { class: 'field choices', 'data-field': path, 'aria-describedby': errorId },
      h('legend', {}, text, requiredMark(required)), errorElement,
      h('ul', { class: `choice-list columns-${columns}` }, options));
    register(path, wrapper, null, errorElement);
    return wrapper;
  }

  // --- the organization: one's own, or (for the association's admins) chosen from search ---
  function ownOrganizationField() {
    const path = 'organizationId';
    const id = fieldId(path);
    const errorId = `${id}-error`;
    const hintId = `${id}-hint`;
    const input = h('input', { id, type: 'text', readonly: true, 'data-field': path,
      'aria-describedby': `${hintId} ${errorId}` });
    input.value = state.organization?.name ?? '';
    const errorElement = h('p', { class: 'field-error', id: errorId, hidden: true });
    const wrapper = h('div', { class: 'field' },
      h('label', { for: id }, t('contribute.organization')),
      h('p', { class: 'hint', id: hintId }, t('contribute.organizationOwn')), errorElement, input);
    register(path, wrapper, input, errorElement);
    return wrapper;
  }

  function organizationField() {
    const path = 'organizationId';
    const id = fieldId(path);
    const errorId = `${id}-error`;
    const hintId = `${id}-hint`;
    const chosen = h('p', { class: 'chosen', id: `${id}-chosen`, 'aria-live': 'polite' });
    const showChosen = () => {
      chosen.textContent = state.organization ? t('contribute.organizationChosen', { name: state.organization.name }) : '';
    };
    const input = h('input', { id, type: 'text', 'data-field': path,
      'aria-describedby': `${hintId} ${id}-chosen ${errorId}`,
      oninput: () => {
        if (state.organization && input.value !== state.organization.name) {
          state.organization = null;
          save();
          showChosen();
        }
      } });
    input.value = state.organization?.name ?? '';
    const errorElement = h('p', { class: 'field-error', id: errorId, hidden: true });
    const wrapper = h('div', { class: 'field' },
      h('label', { for: id }, t('contribute.organization'), requiredMark(true)),
      h('p', { class: 'hint', id: hintId }, t('contribute.organizationHint')), errorElement,
      h('div', { class: 'combobox' }, input), chosen);
    register(path, wrapper, input, errorElement);
    combobox({
      input,
      minLength: 1,
      fetchOptions: async (query, abort) => {
        const { search } = await graphql(FIND_ORGANIZATIONS, { query }, { signal: abort });
        return search.hits.map((hit) => hit.node).filter(Boolean).map((org) => ({
          id: org.id, label: org.name,
          detail: [label('organizationKind', org.kind), org.region?.name].filter(Boolean).join(' · '),
        }));
      },
      onSelect: (option) => {
        state.organization = { id: option.id, name: option.label };
        input.value = option.label;
        save();
        showChosen();
      },
      announce: (count) => (count ? t('search.suggestionsCount', { count }) : t('search.noSuggestions')),
    });
    showChosen();
    return wrapper;
  }

  function regionField() {
    const path = 'regionCodes';
    const errorElement = h('p', { class: 'field-error', id: `${fieldId(path)}-error`, hidden: true });
    const picker = regionPicker({
      legend: h('span', {}, t('contribute.region'), requiredMark(true)),
      hint: t('contribute.regionHint'),
      value: state.regionCode,
      emptyText: t('region.choose'),
      onChange: (code) => { state.regionCode = code; save(); },
    });
    picker.element.dataset.field = path;
    picker.element.querySelector('legend').after(errorElement);
    register(path, picker.element, null, errorElement,
      { onShow: (errorId) => picker.setError(errorId), onClear: () => picker.setError(null), focus: picker.focus });
    return picker.element;
  }

  // --- rows: funding sources and indicators ----------------------------------------------
  function rowsField({ name, legend, addText, empty, render }) {
    const errorElement = h('p', { class: 'field-error', id: `${fieldId(name)}-error`, hidden: true });
    const container = h('div', { class: 'rows' });
    const addButton = h('button', { type: 'button', class: 'button', onclick: () => {
      state[name].push({ ...empty });
      save();
      draw();
      container.lastElementChild?.querySelector('input, select')?.focus();
    } }, `+ ${addText}`);
    const wrapper = h('fieldset', { class: 'field', 'data-field': name },
      h('legend', {}, legend, requiredMark(false)), errorElement, container, addButton);
    register(name, wrapper, null, errorElement);
    const draw = () => {
      for (const key of [...errorTargets.keys()]) if (key.startsWith(`${name}.`)) errorTargets.delete(key);
      replace(container, state[name].map((row, index) => {
        const rowPath = `${name}.${index}`;
        const rowError = h('p', { class: 'field-error', id: `${fieldId(rowPath)}-error`, hidden: true });
        const remove = h('button', { type: 'button', class: 'button link small', onclick: () => {
          state[name].splice(index, 1);
          save();
          draw();
          addButton.focus();
        } }, t('contribute.remove'));
        const element = h('fieldset', { class: 'row', 'data-field': rowPath },
          h('legend', {}, t('contribute.row', { label: legend, number: index + 1 })), rowError,
          h('div', { class: 'row-fields' }, render(row, rowPath)), remove);
        register(rowPath, element, null, rowError);
        return element;
      }));
    };
    draw();
    return wrapper;
  }

  function fundingRow(row, rowPath) {
    const path = `${rowPath}.source`;
    const id = fieldId(path);
    const errorId = `${id}-error`;
    const select = h('select', { id, 'data-field': path, 'aria-describedby': errorId,
      onchange: (event) => { row.source = event.target.value; save(); } },
    new Option(t('contribute.choose'), ''),
    enumValues('fundingSource').map((value) => new Option(label('fundingSource', value), value)));
    select.value = row.source;
    const errorElement = h('p', { class: 'field-error', id: errorId, hidden: true });
    const sourceField = h('div', { class: 'field' }, h('label', { for: id }, t('contribute.fundingSource')), errorElement, select);
    register(path, sourceField, select, errorElement);
    return [
      sourceField,
      textField({ path: `${rowPath}.amount`, text: t('contribute.fundingAmount'), key: 'amount', row, attrs: { inputmode: 'numeric' } }),
      textField({ path: `${rowPath}.note`, text: t('contribute.fundingNote'), key: 'note', row }),
    ];
  }

  function resultRow(row, rowPath) {
    const numberAttrs = { inputmode: 'decimal' };
    return [
      textField({ path: `${rowPath}.name`, text: t('contribute.resultName'), key: 'name', row }),
      textField({ path: `${rowPath}.unit`, text: t('contribute.resultUnit'), key: 'unit', row }),
      textField({ path: `${rowPath}.baseline`, text: t('contribute.resultBaseline'), key: 'baseline', row, attrs: numberAttrs }),
      textField({ path: `${rowPath}.target`, text: t('contribute.resultTarget'), key: 'target', row, attrs: numberAttrs }),
      textField({ path: `${rowPath}.achieved`, text: t('contribute.resultAchieved'), key: 'achieved', row, attrs: numberAttrs }),
    ];
  }

  // --- errors -----------------------------------------------------------------------------
  function clearErrors() {
    for (const target of errorTargets.values()) target.clear();
    summaryBox.hidden = true;
    replace(summaryBox);
  }

  /** The target of a path: itself, or the nearest enclosing path that has one. */
  function targetOf(path) {
    const parts = (path ?? '').split('.');
    while (parts.length) {
      const target = errorTargets.get(parts.join('.'));
      if (target) return target;
      parts.pop();
    }
    return null;
  }

  function showErrors(errors, rows) {
    clearErrors();
    const byTarget = new Map();
    const items = errors.map((error) => {
      const path = pagePath(error.field, rows);
      const target = targetOf(path);
      const message = errorText(error);
      if (target) byTarget.set(target, [...(byTarget.get(target) ?? []), message]);
      const name = path ? fieldName(path) : null;
      return h('li', {}, target
        ? h('button', { type: 'button', class: 'button link', onclick: () => target.focus() },
          name ? `${name}: ${message}` : message)
        : (name ? `${name}: ${message}` : message));
    });
    for (const [target, messages] of byTarget) target.show(messages.join(' '));
    replace(summaryBox, h('h2', { id: 'error-summary-title' }, t('contribute.errorSummary', { count: errors.length })),
      h('ul', {}, items));
    summaryBox.hidden = false;
    summaryBox.focus(); // read out at once, and the next Tab reaches the first error's link
  }

  /** The visible label of the field at `path`, for the summary. */
  function fieldName(path) {
    let element = null;
    const parts = path.split('.');
    while (parts.length && !element) {
      element = form.querySelector(`[data-field="${CSS.escape(parts.join('.'))}"]`);
      parts.pop();
    }
    if (!element) return path;
    const labelElement = element.matches('fieldset') ? element.querySelector('legend') : form.querySelector(`label[for="${element.id}"]`);
    // The label's own words, without the "(required)" mark after them.
    const first = labelElement?.firstChild;
    const words = first?.nodeType === Node.TEXT_NODE ? first : first?.firstChild;
    return words?.textContent?.trim() || path;
  }

  // --- submitting -------------------------------------------------------------------------
  async function submit(event) {
    event.preventDefault();
    if (!(await ensureSignedIn())) return;
    const { input, errors, rows } = toPracticeInput(state);
    if (errors.length) return showErrors(errors, { funding: [...state.funding.keys()], results: [...state.results.keys()] });
    submitButton.disabled = true;
    replace(formStatus, spinner(t('contribute.saving')));
    try {
      const { createPractice } = await graphql(CREATE_PRACTICE, { input }, { signal });
      if (createPractice.errors.some((error) => error.code === 'UNAUTHENTICATED') && !(await ensureSignedIn())) {
        return; // the session ended: off to sign in again, and back to this form as it is
      }
      if (createPractice.errors.length) {
        replace(formStatus);
        showErrors(createPractice.errors, rows);
      } else {
        sessionStorage.removeItem(DRAFT_KEY);
        showSuccess(createPractice.practice);
      }
    } catch (error) {
      if (error.name === 'AbortError') return;
      replace(formStatus, h('div', { class: 'error-box', role: 'alert' },
        h('p', {}, error instanceof ApiError && error.code === 'NETWORK_ERROR' ? t('error.network') : t('contribute.failed')),
        error.requestId ? h('p', { class: 'small' }, t('error.requestId', { id: error.requestId })) : null));
    } finally {
      submitButton.disabled = false;
    }
  }

  // --- saved: view the draft, or submit it for review -----------------------------------
  function showSuccess(practice) {
    let saved = practice; // { id, version, title, status }: the version moves with each step
    const title = h('h2', { id: 'saved-title', tabindex: '-1' }, t('contribute.success'));
    const text = h('p', {}, t('contribute.successText', { title: practice.title }));
    const hint = h('p', { class: 'hint' }, t('contribute.submitForReviewHint'));
    const reviewStatus = h('div', { class: 'form-status', role: 'status' });
    const itemLink = h('a', { class: 'button', href: hashFor(`/item/${encodeURIComponent(practice.id)}`) },
      t('contribute.viewDraft'));
    const submitForReview = h('button', { type: 'button', class: 'button primary', onclick: async () => {
      submitForReview.disabled = true;
      replace(reviewStatus, spinner(t('contribute.submitting')));
      try {
        const { submitForReview: payload } = await graphql(SUBMIT_FOR_REVIEW,
          { input: { id: saved.id, version: saved.version } }, { signal });
        if (payload.errors.length) {
          replace(reviewStatus, reviewError(payload.errors.map(errorText)));
          return;
        }
        saved = { ...saved, ...payload.content };
        replace(reviewStatus);
        title.textContent = t('contribute.submitted');
        text.textContent = t('contribute.submittedText', { title: saved.title, status: label('status', saved.status) });
        itemLink.textContent = t('contribute.viewItem');
        submitForReview.remove();
        hint.remove();
        title.focus();
      } catch (error) {
        if (error.name === 'AbortError') return;
        replace(reviewStatus, reviewError([error instanceof ApiError && error.code === 'NETWORK_ERROR'
          ? t('error.network') : t('error.generic')], error.requestId));
      } finally {
        submitForReview.disabled = false;
      }
    } }, t('contribute.submitForReview'));
    const panel = h('section', { class: 'success', 'aria-labelledby': title.id }, title, text, hint,
      h('p', { class: 'actions' }, submitForReview, itemLink,
        h('button', { type: 'button', class: 'button', onclick: () => renderContribute(outlet, { signal }) },
          t('contribute.another'))),
      reviewStatus);
    form.replaceWith(panel);
    summaryBox.hidden = true;
    title.focus();
  }

  function reviewError(messages, requestId = null) {
    return h('div', { class: 'error-box', role: 'alert' }, h('p', {}, t('contribute.submitFailed')),
      h('ul', {}, messages.map((message) => h('li', {}, message))),
      requestId ? h('p', { class: 'small' }, t('error.requestId', { id: requestId })) : null);
  }

  // --- the form ---------------------------------------------------------------------------
  const submitButton = h('button', { type: 'submit', class: 'button primary' }, t('contribute.submit'));
  const form = h('form', { class: 'practice-form', novalidate: true, onsubmit: submit },
    h('fieldset', { class: 'group' }, h('legend', {}, t('contribute.basics')),
      textField({ path: 'title', text: t('contribute.titleField'), key: 'title', required: true, attrs: { maxlength: 200 } }),
      textField({ path: 'titleEn', text: t('contribute.titleEn'), key: 'titleEn', attrs: { maxlength: 200, lang: 'en' } }),
      textField({ path: 'summary', text: t('contribute.summary'), key: 'summary', required: true, multiline: true,
        hint: t('contribute.summaryHint') }),
      choiceGroup({ path: 'themes', text: t('contribute.themes'), kind: 'theme', key: 'themes', required: true }),
      choiceGroup({ path: 'stage', text: t('contribute.stage'), kind: 'stage', key: 'stage', required: true, type: 'radio' }),
      choiceGroup({ path: 'sdgs', text: t('contribute.sdgs'), kind: 'sdg', key: 'sdgs', columns: 3,
        display: (n) => `${n}. ${label('sdg', n)}` })),
    h('fieldset', { class: 'group' }, h('legend', {}, t('contribute.where')),
      choosesOrganization(user) ? organizationField() : ownOrganizationField(), regionField(),
      textField({ path: 'authorName', text: t('contribute.authorName'), key: 'authorName', attrs: { autocomplete: 'name' } })),
    h('fieldset', { class: 'group' }, h('legend', {}, t('contribute.what')),
      textField({ path: 'problem', text: t('contribute.problem'), key: 'problem', required: true, multiline: true }),
      textField({ path: 'approach', text: t('contribute.approach'), key: 'approach', required: true, multiline: true }),
      textField({ path: 'legalBasis', text: t('contribute.legalBasis'), key: 'legalBasis' }),
      periodField(),
      checkboxField()),
    h('fieldset', { class: 'group' }, h('legend', {}, t('contribute.more')),
      rowsField({ name: 'funding', legend: t('contribute.funding'), addText: t('contribute.addFunding'),
        empty: EMPTY_FUNDING, render: fundingRow }),
      rowsField({ name: 'results', legend: t('contribute.results'), addText: t('contribute.addResult'),
        empty: EMPTY_RESULT, render: resultRow })),
    h('div', { class: 'form-actions' }, submitButton, formStatus));

  function periodField() {
    const errorElement = h('p', { class: 'field-error', id: `${fieldId('period')}-error`, hidden: true });
    const wrapper = h('fieldset', { class: 'field period', 'data-field': 'period', 'aria-describedby': errorElement.id },
      h('legend', {}, t('contribute.period'), requiredMark(false)), errorElement,
      h('div', { class: 'row-fields' },
        textField({ path: 'period.start', text: t('contribute.periodStart'), key: 'periodStart', type: 'date', mark: false }),
        textField({ path: 'period.end', text: t('contribute.periodEnd'), key: 'periodEnd', type: 'date', mark: false })));
    register('period', wrapper, null, errorElement);
    return wrapper;
  }

  function checkboxField() {
    const id = fieldId('isDigital');
    const box = h('input', { type: 'checkbox', id, 'data-field': 'isDigital', checked: state.isDigital,
      onchange: (event) => { state.isDigital = event.target.checked; save(); } });
    return h('div', { class: 'field checkbox' }, box, h('label', { for: id }, t('contribute.isDigital')));
  }

  page.append(summaryBox, form);
}
