// The search page: a search box with suggestions, facet filters with counts, a region picker,
// highlighted results of every type and "load more".
//
// The URL is the state. Every change (query, filter, region) is written to the hash with
// updateUrl({ push: true }) and the search is run from that state, so a link to the page
// reproduces the search and Back undoes the last filter.

import { ApiError, graphql, SEARCH, SEARCH_SUGGESTIONS } from './api.js';
import { combobox } from './combobox.js';
import { threadHref } from './discussion.js';
import { append, h, highlighted, replace, spinner } from './dom.js';
import { followControl } from './follow.js';
import { formatEventTime, formatNumber, label, language, localized, t, values as enumValues } from './i18n.js';
import { codePath, childrenOf, REGION_CODE, regionPicker } from './regions.js';
import { hashFor, navigate, updateUrl } from './router.js';

export const LAST_SEARCH_KEY = 'lumbung.lastSearch';

// The facets shown as checkboxes, in the order of the page. `param` is the URL parameter,
// `filter` the SearchFilter field; values within one facet are OR-ed by the API.
const FACETS = [
  { facet: 'CONTENT_TYPE', param: 'type', filter: 'types', labels: 'contentType', order: 'count' },
  { facet: 'THEME', param: 'theme', filter: 'themes', labels: 'theme', order: 'count' },
  { facet: 'SDG', param: 'sdg', filter: 'sdgs', labels: 'sdg', number: true, order: 'value' },
  { facet: 'ORGANIZATION_KIND', param: 'kind', filter: 'organizationKinds', labels: 'organizationKind', order: 'count' },
  { facet: 'STAGE', param: 'stage', filter: 'stages', labels: 'stage', order: 'count' },
  { facet: 'YEAR', param: 'year', filter: 'years', number: true, order: 'valueDesc' },
];
// Where the region facet sits among them (the issue's order: type, theme, SDG, region, ...).
const REGION_FACET_POSITION = 3;
const FACET_VISIBLE = 6; // longer lists open with "show all"

// The region facet drills down from where the search is narrowed to: provinces first, then the
// kecamatan of the chosen province or regency (the association's members are kecamatan and
// kelurahan, so that is the level people look for), then its kelurahan.
const NEXT_REGION_FACET = ['PROVINCE', 'KECAMATAN', 'KECAMATAN', 'KELURAHAN_DESA', null];

/** The search state of a URL; values the API would reject are dropped, not sent. */
export function stateFromParams(params) {
  const filters = {};
  for (const spec of FACETS) {
    const allowed = spec.labels && !spec.number ? new Set(enumValues(spec.labels)) : null;
    filters[spec.param] = [...new Set(params.getAll(spec.param))].filter((value) =>
      spec.number ? /^\d{1,4}$/.test(value) : allowed.has(value));
  }
  const region = params.get('region');
  return { query: (params.get('q') ?? '').trim(), filters, region: region && REGION_CODE.test(region) ? region : null };
}

export function paramsFromState(state) {
  const params = new URLSearchParams();
  if (state.query) params.set('q', state.query);
  for (const spec of FACETS) for (const value of state.filters[spec.param]) params.append(spec.param, value);
  if (state.region) params.set('region', state.region);
  return params;
}

/** The API's SearchFilter for a state, or null when nothing is filtered. */
function searchFilter(state) {
  const filter = {};
  for (const spec of FACETS) {
    const chosen = state.filters[spec.param];
    if (chosen.length) filter[spec.filter] = spec.number ? chosen.map(Number) : chosen;
  }
  if (state.region) filter.regionCodes = [state.region];
  return Object.keys(filter).length ? filter : null;
}

// The facets the practice export (/export/practices.*, server/exports.py) takes, by URL parameter.
const EXPORT_PARAMS = { theme: 'theme', sdg: 'sdg', stage: 'stage' };

/** The export's address for a state, or null when the state's types leave practices out. */
export function exportHref(state, { extension = 'csv', layout = null } = {}) {
  const types = state.filters.type;
  if (types.length && !types.includes('PRACTICE')) return null;
  const params = new URLSearchParams();
  for (const [param, name] of Object.entries(EXPORT_PARAMS)) {
    for (const value of state.filters[param]) params.append(name, value);
  }
  if (state.region) params.set('regionCode', state.region);
  if (layout) params.set('layout', layout);
  const query = params.toString();
  return `/export/practices.${extension}${query ? `?${query}` : ''}`;
}

function filterCount(state) {
  return FACETS.reduce((n, spec) => n + state.filters[spec.param].length, 0) + (state.region ? 1 : 0);
}

/** "Depok Jaya, Kota Depok, Jawa Barat": the place, its regency/city and its province. */
export function shortPlace(region) {
  if (!region) return '';
  const above = (region.ancestors ?? []).filter((a) => a.code.split('.').length <= 2).reverse();
  return [region.name, ...above.map((a) => a.name)].join(', ');
}

export async function renderSearch(outlet, { params, signal }) {
  let state = stateFromParams(params);
  sessionStorage.setItem(LAST_SEARCH_KEY, hashFor('/search', paramsFromState(state)));
  let controller = null;
  let endCursor = null;

  // --- the page's fixed parts -------------------------------------------------------------
  const input = h('input', {
    id: 'search-query', type: 'search', name: 'q', class: 'search-input',
    placeholder: t('search.placeholder'), enterkeyhint: 'search',
  });
  input.value = state.query;
  const form = h('form', { class: 'search-form', role: 'search', onsubmit: (event) => {
    event.preventDefault();
    suggestions.close();
    change({ query: input.value.trim() });
  } },
  h('label', { for: input.id, class: 'search-label' }, t('search.label')),
  h('div', { class: 'search-row' }, h('div', { class: 'combobox' }, input),
    h('button', { type: 'submit', class: 'button primary' }, t('search.submit'))));

  const filtersSummary = h('summary', {}, '');
  // Three fixed containers, so that rebuilding the facets with new counts never moves the
  // region picker (moving a focused <select> in the DOM would take its focus away).
  const facetsBefore = h('div', { class: 'facet-groups' });
  const pickerSlot = h('div', { class: 'picker-slot' });
  const regionLinks = h('div', { class: 'region-links' });
  const facetsAfter = h('div', { class: 'facet-groups' });
  const clearButton = h('button', { type: 'button', class: 'button link', onclick: () => {
    change({ filters: stateFromParams(new URLSearchParams()).filters, region: null });
  } }, t('search.clearFilters'));
  const filtersPanel = h('details', { class: 'filters', id: 'filters' },
    filtersSummary, h('div', { class: 'filters-body' }, facetsBefore,
      h('div', { class: 'facet region-facet' }, pickerSlot, regionLinks), facetsAfter, clearButton));
  // Open on wide screens; on a phone the results come first and filters fold away.
  filtersPanel.open = window.matchMedia('(min-width: 56rem)').matches;

  const statusLine = h('p', { id: 'result-status', class: 'result-status', role: 'status', 'aria-live': 'polite' });
  const chips = h('ul', { class: 'chips', 'aria-label': t('search.filters') });
  const exportLinks = h('p', { class: 'export-links small' });
  // Following the themes and the region filtered on (js/follow.js), drawn again when they change.
  const followBar = h('div', { class: 'follow-bar small', hidden: true });
  let followKey = null;
  const errorBox = h('div', { class: 'error-box', role: 'alert' });
  const hitList = h('ol', { class: 'hits', id: 'hits' });
  const loading = h('div', { class: 'loading-slot' });
  const moreButton = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => loadMore() },
    t('search.loadMore'));
  const results = h('section', { class: 'results', 'aria-labelledby': 'results-heading' },
    h('h2', { id: 'results-heading', class: 'visually-hidden' }, t('search.results')),
    statusLine, chips, followBar, exportLinks, errorBox, loading, hitList, h('div', { class: 'more' }, moreButton));

  replace(outlet,
    h('section', { class: 'search-page' },
      h('div', { class: 'search-hero' },
        h('h1', { tabindex: '-1' }, t('search.title')), h('p', { class: 'lead' }, t('search.intro')), form),
      h('div', { class: 'search-layout' }, filtersPanel, results)));

  const suggestions = combobox({
    input,
    fetchOptions: async (prefix, abort) => {
      const data = await graphql(SEARCH_SUGGESTIONS, { prefix }, { signal: abort });
      return data.searchSuggestions.map((s) => ({ id: s.id, label: s.title, detail: label('contentType', s.type) }));
    },
    onSelect: (option) => navigate(hashFor(`/item/${encodeURIComponent(option.id)}`)),
    announce: (count) => (count ? t('search.suggestionsCount', { count }) : t('search.noSuggestions')),
  });

  // --- state changes ----------------------------------------------------------------------
  function change(next, { fromPicker = false } = {}) {
    const regionChanged = 'region' in next && next.region !== state.region;
    state = { ...state, ...next };
    const hash = hashFor('/search', paramsFromState(state));
    updateUrl(hash, { push: true });
    sessionStorage.setItem(LAST_SEARCH_KEY, hash);
    input.value = state.query;
    // The picker is rebuilt when the region changed from elsewhere (a facet link, a chip,
    // "clear"); while one uses it, its own selects keep their state and focus.
    if (regionChanged && !fromPicker) showPicker();
    run();
  }

  function toggle(spec, value, on) {
    const current = state.filters[spec.param].filter((v) => v !== value);
    change({ filters: { ...state.filters, [spec.param]: on ? [...current, value] : current } });
  }

  function showPicker() {
    const picker = regionPicker({ legend: t('facet.REGION'), value: state.region,
      onChange: (code) => change({ region: code }, { fromPicker: true }) });
    replace(pickerSlot, picker.element);
  }

  // --- running the search -----------------------------------------------------------------
  async function run() {
    controller?.abort();
    controller = new AbortController();
    const mine = controller;
    signal.addEventListener('abort', () => mine.abort(), { once: true });
    replace(errorBox);
    replace(loading, spinner(t('search.loading')));
    results.setAttribute('aria-busy', 'true');
    hitList.classList.add('stale');
    moreButton.hidden = true;
    try {
      const { search } = await graphql(SEARCH, { query: state.query, filter: searchFilter(state), facets: null },
        { signal: mine.signal });
      if (mine.signal.aborted) return;
      replace(hitList, search.hits.map(hitItem));
      endCursor = search.pageInfo.endCursor;
      moreButton.hidden = !search.pageInfo.hasNextPage;
      statusLine.textContent = search.totalCount === 0 ? t('search.none')
        : state.query ? t('search.countFor', { count: formatNumber(search.totalCount), query: state.query })
          : t('search.count', { count: formatNumber(search.totalCount) });
      renderFacets(search.facets);
      renderChips();
      renderFollowBar();
      renderExportLinks();
    } catch (error) {
      if (error.name === 'AbortError') return;
      replace(hitList);
      statusLine.textContent = '';
      showError(error, run);
    } finally {
      if (!mine.signal.aborted) {
        replace(loading);
        results.removeAttribute('aria-busy');
        hitList.classList.remove('stale');
      }
    }
  }

  async function loadMore() {
    const mine = controller;
    moreButton.disabled = true;
    replace(loading, spinner(t('search.loadingMore')));
    try {
      // facets: [] — the counts do not change from page to page, so don't ask for them again.
      const { search } = await graphql(SEARCH,
        { query: state.query, filter: searchFilter(state), facets: [], after: endCursor }, { signal: mine.signal });
      const items = search.hits.map(hitItem).filter(Boolean);
      append(hitList, items);
      endCursor = search.pageInfo.endCursor;
      moreButton.hidden = !search.pageInfo.hasNextPage;
      statusLine.textContent = t('search.loadedMore', { count: items.length });
      // Keyboard users continue where the new results start.
      items[0]?.querySelector('a')?.focus();
    } catch (error) {
      if (error.name !== 'AbortError') showError(error, loadMore);
    } finally {
      moreButton.disabled = false;
      replace(loading);
    }
  }

  function renderExportLinks() {
    const csv = exportHref(state);
    exportLinks.hidden = csv === null;
    if (csv === null) return replace(exportLinks);
    const link = (href, text) => h('a', { href, download: '' }, text);
    replace(exportLinks, t('search.export'), ' ',
      link(csv, t('search.exportCsv')), ' · ',
      link(exportHref(state, { extension: 'xlsx' }), t('search.exportXlsx')), ' · ',
      link(exportHref(state, { extension: 'xlsx', layout: 'national' }), t('search.exportNational')));
  }

  function showError(error, retry) {
    const unavailable = error instanceof ApiError && error.code === 'SEARCH_UNAVAILABLE';
    replace(errorBox,
      h('p', {}, unavailable ? t('search.unavailable')
        : error instanceof ApiError && error.code === 'NETWORK_ERROR' ? t('error.network') : t('search.failed')),
      error.requestId ? h('p', { class: 'small' }, t('error.requestId', { id: error.requestId })) : null,
      h('button', { type: 'button', class: 'button', onclick: retry }, t('search.retry')));
    errorBox.dataset.code = error.code ?? '';
  }

  // --- facets -----------------------------------------------------------------------------
  function renderFacets(facets) {
    const focusedId = document.activeElement?.id;
    const byFacet = Object.fromEntries(facets.map((f) => [f.facet, f.values]));
    const groups = FACETS.map((spec) => facetGroup(spec, byFacet[spec.facet] ?? []));
    replace(facetsBefore, groups.slice(0, REGION_FACET_POSITION));
    replace(regionLinks, regionFacetLinks(byFacet));
    replace(facetsAfter, groups.slice(REGION_FACET_POSITION));
    const count = filterCount(state);
    filtersSummary.textContent = count ? t('search.filtersActive', { count }) : t('search.filters');
    clearButton.hidden = count === 0;
    // The checkbox one just ticked was rebuilt with new counts: give it its focus back.
    if (focusedId && !document.activeElement?.id) document.getElementById(focusedId)?.focus();
  }

  function facetGroup(spec, values) {
    const chosen = state.filters[spec.param];
    const shown = [...values];
    // A chosen value stays visible even when no hit of the current results has it.
    for (const value of chosen) {
      if (!shown.some((v) => v.value === value)) shown.push({ value, label: value, count: 0 });
    }
    if (spec.order === 'count') shown.sort((a, b) => b.count - a.count);
    if (spec.order === 'value') shown.sort((a, b) => Number(a.value) - Number(b.value));
    if (spec.order === 'valueDesc') shown.sort((a, b) => Number(b.value) - Number(a.value));
    if (shown.length === 0) return null;
    const legendId = `facet-${spec.param}`;
    const items = shown.map((value, i) => {
      const id = `f-${spec.param}-${value.value}`;
      const text = spec.labels === 'sdg' ? `${value.value}. ${label('sdg', value.value)}`
        : spec.labels ? label(spec.labels, value.value) : value.label;
      const checkbox = h('input', { type: 'checkbox', id, value: value.value, checked: chosen.includes(value.value),
        onchange: (event) => toggle(spec, value.value, event.target.checked) });
      return h('li', { hidden: i >= FACET_VISIBLE && !chosen.includes(value.value) },
        checkbox, h('label', { for: id }, h('span', { class: 'facet-label' }, text),
          h('span', { class: 'count' }, formatNumber(value.count))));
    });
    const list = h('ul', { class: 'facet-values' }, items);
    let more = null;
    if (shown.length > FACET_VISIBLE) {
      more = h('button', { type: 'button', class: 'button link small', 'aria-expanded': 'false', onclick: () => {
        const expand = more.getAttribute('aria-expanded') === 'false';
        items.forEach((item, i) => { if (i >= FACET_VISIBLE) item.hidden = !expand && !item.querySelector('input').checked; });
        more.setAttribute('aria-expanded', String(expand));
        more.textContent = expand ? t('search.showFewer') : t('search.showAll', { count: shown.length });
      } }, t('search.showAll', { count: shown.length }));
    }
    return h('fieldset', { class: 'facet', 'aria-labelledby': legendId },
      h('legend', { id: legendId }, t(`facet.${spec.facet}`)), list, more);
  }

  function regionFacetLinks(byFacet) {
    const depth = codePath(state.region).length;
    const facet = NEXT_REGION_FACET[depth];
    const prefix = state.region ? `${state.region}.` : '';
    // A hit in several regions counts in each; keep to the ones inside the chosen region.
    const inside = facet ? (byFacet[facet] ?? []).filter((v) => v.value.startsWith(prefix)) : [];
    inside.sort((a, b) => b.count - a.count);
    const links = inside.map((value) => {
      const params = paramsFromState({ ...state, region: value.value });
      return h('li', {}, h('a', { href: hashFor('/search', params), onclick: (event) => {
        event.preventDefault();
        change({ region: value.value });
        pickerSlot.querySelector('select')?.focus();
      } }, h('span', { class: 'facet-label' }, value.label), h('span', { class: 'count' }, formatNumber(value.count))));
    });
    if (!links.length) return null;
    return [h('p', { class: 'facet-subtitle', id: 'region-here' }, t('search.regionHere')),
      h('ul', { class: 'facet-values region-values', 'aria-labelledby': 'region-here' }, links)];
  }

  // --- the chosen filters, each removable ----------------------------------------------
  function renderChips() {
    const items = [];
    for (const spec of FACETS) {
      for (const value of state.filters[spec.param]) {
        const text = spec.labels ? label(spec.labels, value) : value;
        items.push(chip(text, () => toggle(spec, value, false)));
      }
    }
    if (state.region) {
      const regionChip = chip(state.region, () => change({ region: null }));
      items.push(regionChip);
      regionName(state.region).then((name) => {
        regionChip.querySelector('.chip-text').textContent = name;
        regionChip.querySelector('button').setAttribute('aria-label', t('search.removeFilter', { label: name }));
      });
    }
    replace(chips, items);
  }

  function renderFollowBar() {
    const themes = state.filters.theme;
    const key = JSON.stringify([themes, state.region]);
    if (key === followKey) return;
    followKey = key;
    const items = themes.map((theme) => h('li', {}, h('span', { class: 'follow-name' }, label('theme', theme)),
      followControl({ theme }, { name: label('theme', theme), compact: true, signal })));
    if (state.region) {
      const name = h('span', { class: 'follow-name' }, state.region);
      const control = followControl({ regionCode: state.region }, { compact: true, signal });
      items.push(h('li', {}, name, control));
      regionName(state.region).then((text) => {
        name.textContent = text;
      });
    }
    followBar.hidden = !items.length;
    replace(followBar, items.length ? [h('p', {}, t('follow.searchIntro')), h('ul', { class: 'plain' }, items)] : []);
  }

  function chip(text, remove) {
    return h('li', { class: 'chip' }, h('span', { class: 'chip-text' }, text),
      h('button', { type: 'button', class: 'chip-remove', 'aria-label': t('search.removeFilter', { label: text }),
        onclick: () => { remove(); input.focus(); } }, h('span', { 'aria-hidden': 'true' }, '×')));
  }

  showPicker();
  await run();
}

async function regionName(code) {
  const path = codePath(code);
  try {
    const siblings = await childrenOf(path.length > 1 ? path.at(-2) : null);
    return siblings.find((region) => region.code === code)?.name ?? code;
  } catch {
    return code;
  }
}

/**
 * A question or comment: its title (a comment's is the start of its text), the item it is
 * about, and the matching snippets of its text and answers. It opens on the item's page.
 */
function discussionHitItem(hit) {
  const node = hit.node;
  const subject = node.subject;
  if (!subject) return null; // its item is no longer readable
  const titleHighlight = hit.highlights.find((x) => x.field === 'title');
  const snippets = hit.highlights.filter((x) => x.field !== 'title' && x.snippet.includes('<mark>')).slice(0, 2);
  const subjectTitle = localized(subject.title, subject.titleEn);
  return h('li', { class: 'hit', 'data-type': hit.type },
    h('article', {},
      h('p', { class: 'badges' },
        h('span', { class: 'badge type-discussion' }, label('discussionKind', node.discussionKind)),
        node.isAnswered ? h('span', { class: 'badge answered' }, t('discussion.answered')) : null),
      h('h3', { class: 'hit-title' }, h('a', { href: threadHref(subject.id, node.id) },
        titleHighlight ? highlighted(titleHighlight.snippet) : node.threadTitle ?? subjectTitle.text)),
      h('p', { class: 'hit-meta' },
        h('span', { lang: subjectTitle.lang }, t('discussion.on', { title: subjectTitle.text })),
        subject.organization ? h('span', {}, subject.organization.name) : null,
        subject.regions?.[0] ? h('span', { class: 'place' }, shortPlace(subject.regions[0])) : null),
      snippets.map((s) => h('p', { class: 'snippet', lang: 'id' }, highlighted(s.snippet)))));
}

/** One result: its type, title (highlighted), owner and place, and the matching snippets. */
function hitItem(hit) {
  const node = hit.node;
  if (!node) return null; // deleted since it was indexed
  if (hit.type === 'DISCUSSION') return discussionHitItem(hit);
  const isOrganization = hit.type === 'ORGANIZATION';
  const title = isOrganization ? node.name : node.title;
  const titleHighlight = hit.highlights.find((x) => x.field === 'title' || x.field === 'name');
  // Highlight fields are named as the object's fields ("summary", "summaryEn", "body"). The
  // titles are shown already; of the rest, those in the interface's language come first.
  const english = (x) => x.field.endsWith('En');
  const snippets = hit.highlights
    .filter((x) => !/^(title|name)/.test(x.field) && x.snippet.includes('<mark>'))
    .sort((a, b) => (english(b) - english(a)) * (language() === 'en' ? 1 : -1))
    .slice(0, 2);
  // An event has a page of its own (js/events.js), a venue rather than regions, and a time.
  const isEvent = hit.type === 'EVENT';
  const place = isOrganization ? shortPlace(node.region)
    : isEvent ? shortPlace(node.venue?.region) : shortPlace(node.regions?.[0]);
  const titleEn = !isOrganization ? localized(null, node.titleEn) : null;
  const href = hashFor(`/${isEvent ? 'kegiatan' : 'item'}/${encodeURIComponent(node.id)}`);
  return h('li', { class: 'hit', 'data-type': hit.type },
    h('article', {},
      h('p', { class: `badge type-${hit.type.toLowerCase()}` }, label('contentType', hit.type)),
      h('h3', { class: 'hit-title' },
        h('a', { href }, titleHighlight ? highlighted(titleHighlight.snippet) : title)),
      titleEn?.lang === 'en' ? h('p', { class: 'hit-subtitle', lang: 'en' }, titleEn.text) : null,
      h('p', { class: 'hit-meta' },
        h('span', {}, isOrganization ? label('organizationKind', node.kind) : (node.organization ?? node.organizer)?.name),
        place ? h('span', { class: 'place' }, place) : null,
        node.stage ? h('span', { class: 'stage' }, label('stage', node.stage)) : null,
        isEvent ? h('span', { class: 'event-when' }, formatEventTime(node)) : null),
      snippets.length
        ? snippets.map((s) => h('p', { class: 'snippet', lang: english(s) ? 'en' : 'id' }, highlighted(s.snippet)))
        : node.summary ? h('p', { class: 'snippet clamp', lang: 'id' }, node.summary) : null));
}
