// Detail pages: one route, "#/item/<global id>", for every type. `node(id:)` answers with the
// object's __typename, and the page picks the sections of that type.

import { ApiError, graphql, NODE, SIMILAR_PRACTICES } from './api.js';
import { DISCUSSED_TYPES, discussionSection, threadHref } from './discussion.js';
import { externalLink, h, replace, spinner } from './dom.js';
import { EVENTS_PATH } from './events.js';
import { exchangeRequestSection } from './exchanges.js';
import { indicatorMonitoring } from './indicators.js';
import { costComparison } from './funding.js';
import { followControl } from './follow.js';
import { formatDate, formatNumber, formatRupiah, label, language, localized, t } from './i18n.js';
import { hashFor } from './router.js';
import { exchangeHref } from './notifications.js';
import { LAST_SEARCH_KEY } from './search.js';
import { currentUser, signInHash } from './session.js';

const TYPE_LABELS = { Practice: 'PRACTICE', CaseStudy: 'CASE_STUDY', Partnership: 'PARTNERSHIP',
  Organization: 'ORGANIZATION', Replication: 'REPLICATION' };

export async function renderDetail(outlet, { args, params, signal }) {
  if (redirectElsewhere(args.id)) return;
  const backLink = h('a', { class: 'back', href: sessionStorage.getItem(LAST_SEARCH_KEY) ?? '#/' },
    h('span', { 'aria-hidden': 'true' }, '← '), t('detail.back'));
  const body = h('div', { class: 'detail-body', 'aria-busy': 'true' }, spinner(t('detail.loading')));
  replace(outlet, h('article', { class: 'detail' }, backLink, body));

  let node;
  try {
    ({ node } = await graphql(NODE, { id: args.id }, { signal }));
  } catch (error) {
    if (error.name === 'AbortError') return;
    replace(body, h('h1', { tabindex: '-1' }, t('detail.failed')), errorDetail(error));
    body.removeAttribute('aria-busy');
    return;
  }
  body.removeAttribute('aria-busy');
  if (!node) {
    replace(body, h('h1', { tabindex: '-1' }, t('detail.notFound')));
    return;
  }
  if (node.__typename === 'Thread' && node.threadSubject) {
    location.replace(threadHref(node.threadSubject.id, node.id));
    return;
  }
  const sections = {
    Practice: practiceSections,
    CaseStudy: caseStudySections,
    Partnership: partnershipSections,
    Replication: replicationSections,
    Organization: organizationSections,
  }[node.__typename] ?? (() => []);
  // A government may ask the organization behind a practice or partnership to show it first-hand.
  const exchange = ['Practice', 'Partnership'].includes(node.__typename)
    ? exchangeRequestSection(node, { signal }) : null;
  replace(body, header(node), exchange, sections(node));
  followSlot(body, node, signal);
  document.title = `${node.title ?? node.name} · Lumbung`;

  // Similar practices come in their own request: they need the search engine, and the item
  // stays readable while it is down. Case studies and partnerships have no similarPractices
  // of their own (it takes a practice), so theirs are those of their first related practice.
  const basis = node.__typename === 'Practice' ? node : node.relatedPractices?.[0];
  if (basis && ['Practice', 'CaseStudy', 'Partnership'].includes(node.__typename)) {
    body.append(similarSection(basis, basis === node ? null : basis, node, signal));
  }

  // Questions and comments (js/discussion.js), in a request of their own as well.
  if (DISCUSSED_TYPES.has(node.__typename)) {
    body.append(discussionSection(node, { signal, threadId: params?.get('thread') ?? null }));
  }
}

function errorDetail(error) {
  if (error instanceof ApiError && error.code === 'NETWORK_ERROR') return h('p', {}, t('error.network'));
  return error.requestId ? h('p', { class: 'small' }, t('error.requestId', { id: error.requestId })) : null;
}

// --- the parts every type shares ----------------------------------------------------------

function header(node) {
  const isOrganization = node.__typename === 'Organization';
  const title = isOrganization ? { text: node.name, lang: 'id' } : localized(node.title, node.titleEn);
  const badges = [
    h('span', { class: `badge type-${TYPE_LABELS[node.__typename]?.toLowerCase()}` },
      label('contentType', TYPE_LABELS[node.__typename])),
    node.status && node.status !== 'PUBLISHED' ? h('span', { class: 'badge status' }, label('status', node.status)) : null,
    node.isDemo ? h('span', { class: 'badge demo' }, t('detail.demo')) : null,
  ];
  const summary = node.summary ? localized(node.summary, node.summaryEn) : null;
  return h('header', { class: 'detail-header' },
    h('p', { class: 'badges' }, badges),
    h('h1', { tabindex: '-1', lang: title.lang }, title.text),
    language() === 'en' && !isOrganization && !node.titleEn ? h('p', { class: 'hint' }, t('detail.englishMissing')) : null,
    summary ? h('p', { class: 'lead', lang: summary.lang }, summary.text) : null,
    isOrganization ? organizationFacts(node) : facts(node));
}

/** The key facts as a definition list: owner, places, themes, SDGs, stage, period. */
function facts(node) {
  const rows = [
    [t('detail.organization'), node.organization ? organizationLine(node.organization) : null],
    [t('detail.regions'), node.regions?.length ? placeList(node.regions) : null],
    [t('detail.themes'), node.themes?.length ? tagList(node.themes.map((v) => label('theme', v))) : null],
    [t('detail.sdgs'), node.sdgs?.length
      ? tagList(node.sdgs.map((n) => `${n}. ${label('sdg', n)}`)) : null],
    [t('detail.stage'), node.stage ? label('stage', node.stage) : null],
    [t('detail.status'), node.partnershipStatus ? label('partnershipStatus', node.partnershipStatus)
      : node.replicationStatus ? label('replicationStatus', node.replicationStatus) : null],
    [t('detail.period'), node.period ? period(node.period) : null],
    [t('detail.startedOn'), node.startedOn ? formatDate(node.startedOn) : null],
    [t('detail.digital'), node.isDigital ? '✓' : null],
    [t('detail.verified'), node.verification ? t(node.verification.stillActive
      ? 'detail.verifiedActive' : 'detail.verifiedStopped', { date: formatDate(node.verification.verifiedAt) })
      : null],
    [t('detail.author'), node.authorName],
    [t('detail.exchangeStats'), node.exchangeStats?.completedCount ? exchangeStats(node.exchangeStats) : null],
  ];
  return h('dl', { class: 'facts' }, rows.filter(([, value]) => value).map(([term, value]) =>
    h('div', {}, h('dt', {}, term), h('dd', {}, value))));
}

function exchangeStats({ completedCount, meanRating }) {
  if (meanRating === null || meanRating === undefined) return t('detail.exchangeStatsNoRating', { count: completedCount });
  const rating = formatNumber(meanRating, { maximumFractionDigits: 1 });
  return t('detail.exchangeStatsValue', { count: formatNumber(completedCount), rating });
}

function organizationLine(organization) {
  return h('span', {},
    h('a', { href: itemHref(organization.id) }, organization.name),
    organization.verified ? h('span', { class: 'badge verified' }, t('detail.verified')) : null,
    organization.kind ? h('span', { class: 'muted' }, ` · ${label('organizationKind', organization.kind)}`) : null);
}

/** "Depok Jaya, Pancoran Mas, Kota Depok, Jawa Barat": a region with all its ancestors. */
export function fullPlace(region) {
  return [region.name, ...[...(region.ancestors ?? [])].reverse().map((a) => a.name)].join(', ');
}

function placeList(regions) {
  return h('ul', { class: 'plain' }, regions.map((region) => h('li', {},
    h('a', { href: hashFor('/search', new URLSearchParams({ region: region.code })) }, fullPlace(region)))));
}

function tagList(texts) {
  return h('ul', { class: 'tags' }, texts.map((text) => h('li', {}, text)));
}

function period({ start, end }) {
  if (!start && !end) return null;
  return `${start ? formatDate(start) : '…'} – ${end ? formatDate(end) : t('detail.periodOngoing')}`;
}

function section(title, ...content) {
  const flat = content.flat().filter(Boolean);
  if (!flat.length) return null;
  return h('section', { class: 'detail-section' }, h('h2', {}, title), flat);
}

/** Paragraphs of a long text: the API keeps line breaks between paragraphs. */
function prose(text) {
  if (!text) return null;
  return text.split(/\n+/).filter(Boolean).map((p) => h('p', { lang: 'id' }, p));
}

function list(items, render = (item) => item) {
  return items?.length ? h('ul', { class: 'bullets' }, items.map((item) => h('li', {}, render(item)))) : null;
}

function itemHref(id) {
  return hashFor(`/item/${encodeURIComponent(id)}`);
}

function practiceLinks(practices) {
  return list(practices, (practice) => {
    const title = localized(practice.title, practice.titleEn);
    return h('span', {}, h('a', { href: itemHref(practice.id), lang: title.lang }, title.text),
      practice.regions?.[0] ? h('span', { class: 'muted' }, ` · ${fullPlace(practice.regions[0])}`) : null);
  });
}

/** Indicators as a table: baseline, target, achieved, with a bar of progress to the target. */
function indicators(rows) {
  if (!rows?.length) return null;
  const number = (value) => (value === null || value === undefined ? '–' : formatNumber(value));
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('detail.results') },
    h('table', { class: 'indicators' },
      h('thead', {}, h('tr', {}, [t('detail.indicator'), t('detail.unit'), t('detail.baseline'),
        t('detail.target'), t('detail.achieved')].map((text) => h('th', { scope: 'col' }, text)))),
      h('tbody', {}, rows.map((row) => h('tr', {},
        h('th', { scope: 'row' }, row.name, progress(row)),
        h('td', {}, row.unit), h('td', { class: 'num' }, number(row.baseline)),
        h('td', { class: 'num' }, number(row.target)), h('td', { class: 'num' }, number(row.achieved)))))));
}

/** The bar of the API's progressPercent (from the latest report, else `achieved`), as the monitoring section says. */
function progress({ baseline, target, achieved, progressPercent }) {
  let percent = progressPercent;
  if (percent === undefined) { // fields without it (a case study's metrics): from `achieved`
    if ([baseline, target, achieved].some((v) => v === null || v === undefined) || target === baseline) return null;
    percent = Math.max(0, Math.min(1, (achieved - baseline) / (target - baseline))) * 100;
  }
  if (percent === null) return null;
  // Decorative: the numbers in the row say the same to screen readers.
  return h('span', { class: 'progress', 'aria-hidden': 'true' },
    h('span', { class: 'progress-bar', style: `width: ${Math.round(percent)}%` }));
}

// --- each type's sections -----------------------------------------------------------------

function practiceSections(node) {
  return [
    section(t('detail.problem'), prose(node.problem)),
    section(t('detail.approach'), prose(node.approach)),
    section(t('detail.buildingBlocks'), node.buildingBlocks.length ? h('ol', { class: 'blocks' },
      node.buildingBlocks.map((block) => h('li', { class: 'block' },
        h('h3', {}, block.name), h('p', {}, block.description),
        block.howToReplicate ? h('p', { class: 'how' }, h('strong', {}, `${t('detail.howToReplicate')}: `),
          block.howToReplicate) : null))) : null),
    section(t('detail.results'), indicators(node.results)),
    monitoringSection(node),
    section(t('detail.funding'), list(node.funding, (f) => h('span', {},
      h('strong', {}, label('fundingSource', f.source)), ` · ${formatRupiah(f.amount)}`,
      f.note ? h('span', { class: 'muted' }, ` · ${f.note}`) : null)), costComparison(node)),
    section(t('detail.beneficiaries'), node.beneficiaries ? h('p', {},
      node.beneficiaries.count !== null ? h('strong', {}, `${formatNumber(node.beneficiaries.count)} `) : null,
      node.beneficiaries.description) : null),
    section(t('detail.legalBasis'), node.legalBasis ? h('p', {}, node.legalBasis) : null),
    section(t('detail.lessons'), list(node.lessonsLearned)),
    section(t('detail.evidence'), list(node.evidenceLinks, (link) =>
      externalLink(link.url, link.label, t('detail.newTab')))),
    section(t('detail.replications'), list(node.replications, (r) => h('span', {},
      h('a', { href: itemHref(r.id) }, r.title),
      h('span', { class: 'muted' }, ` · ${label('replicationStatus', r.replicationStatus)}`)))),
    section(t('detail.caseStudies'), list(node.caseStudies, (c) => {
      const title = localized(c.title, c.titleEn);
      return h('a', { href: itemHref(c.id), lang: title.lang }, title.text);
    })),
    section(t('detail.contact'), node.contact ? contact(node.contact) : null),
  ];
}

// The API gives a contact's email and phone to signed-in viewers only.
function contact({ name, role, email, phone }) {
  return [h('p', {}, h('strong', {}, name), role ? `, ${role}` : '',
    email ? [h('br'), h('a', { href: `mailto:${email}` }, email)] : null,
    phone ? [h('br'), h('a', { href: `tel:${phone.replace(/[^\d+]/g, '')}` }, phone)] : null),
  !email && !phone && !currentUser()
    ? h('p', { class: 'hint' }, h('a', { href: signInHash() }, t('detail.contactSignIn'))) : null];
}

function caseStudySections(node) {
  const publication = node.publication;
  return [
    section(t('detail.context'), prose(node.context)),
    section(t('detail.methodology'), prose(node.methodology)),
    section(t('detail.findings'), prose(node.findings)),
    section(t('detail.recommendations'), prose(node.recommendations)),
    section(t('detail.metrics'), indicators(node.metrics)),
    section(t('detail.relatedPractices'), practiceLinks(node.relatedPractices)),
    section(t('detail.authors'), list(node.authors)),
    section(t('detail.publication'), publication ? h('p', {},
      publication.doi ? externalLink(`https://doi.org/${publication.doi}`, `doi:${publication.doi}`, t('detail.newTab')) : null,
      publication.doi && publication.url ? ' · ' : null,
      publication.url ? externalLink(publication.url, publication.url, t('detail.newTab')) : null) : null),
    section(t('detail.license'), node.license ? h('p', {}, node.license) : null),
  ];
}

function partnershipSections(node) {
  const agreement = node.agreement;
  return [
    section(t('detail.partners'), list(node.partners, (p) => h('span', {},
      p.organization ? h('a', { href: itemHref(p.organization.id) }, p.organization.name) : '–',
      h('span', { class: 'muted' }, ` · ${label('partnerRole', p.role)}`)))),
    section(t('detail.objectives'), list(node.objectives)),
    section(t('detail.agreement'), agreement ? h('p', {}, label('agreementKind', agreement.kind),
      agreement.number ? ` · ${agreement.number}` : '', agreement.signedOn ? ` · ${formatDate(agreement.signedOn)}` : '') : null),
    section(t('detail.contributions'), list(node.contributions, (c) => h('span', {},
      c.organization ? h('strong', {}, `${c.organization.name}: `) : null, c.description,
      c.amount !== null && c.amount !== undefined ? h('span', { class: 'muted' }, ` · ${formatRupiah(c.amount)}`) : null))),
    section(t('detail.outcomes'), list(node.outcomes)),
    section(t('detail.relatedPractices'), practiceLinks(node.relatedPractices)),
  ];
}

function replicationSections(node) {
  return [
    section(t('detail.replicatedPractice'), node.practice ? practiceLinks([node.practice]) : null),
    section(t('detail.adaptations'), prose(node.adaptations)),
    section(t('detail.results'), indicators(node.results)),
    monitoringSection(node),
    section(t('detail.comparison'), prose(node.comparison)),
  ];
}

/** Indicator reports over time, charted (js/indicators.js); on a replication beside the original's. */
function monitoringSection(node) {
  const content = indicatorMonitoring(node);
  return content ? h('section', { class: 'detail-section monitoring' },
    h('h2', {}, t(node.__typename === 'Replication' ? 'indicators.titleReplication' : 'indicators.title')),
    content) : null;
}

function organizationFacts(node) {
  return h('dl', { class: 'facts' }, [
    [t('facet.ORGANIZATION_KIND'), h('span', {}, label('organizationKind', node.kind),
      node.verified ? h('span', { class: 'badge verified' }, t('detail.verified')) : null)],
    [t('detail.regions'), node.region ? placeList([node.region]) : null],
    [t('detail.website'), node.website ? externalLink(node.website, node.website, t('detail.newTab')) : null],
  ].filter(([, v]) => v).map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))));
}

function organizationSections(node) {
  return [section(t('detail.description'), prose(node.description))];
}

// --- similar practices --------------------------------------------------------------------

function similarSection(basis, via, node, signal) {
  const content = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' }, spinner(t('detail.loading')));
  const element = h('section', { class: 'detail-section similar', 'aria-labelledby': 'similar-heading' },
    h('h2', { id: 'similar-heading' }, t('detail.similar')),
    via ? h('p', { class: 'hint' }, t('detail.similarVia', { title: via.title })) : null, content);
  graphql(SIMILAR_PRACTICES, { id: basis.id }, { signal }).then(({ similarPractices }) => {
    // A case study's own related practices are listed above already.
    const related = new Set((node.relatedPractices ?? []).map((p) => p.id));
    const shown = similarPractices.filter((p) => p.id !== node.id && !related.has(p.id));
    replace(content, shown.length ? h('ul', { class: 'cards' }, shown.map(similarCard))
      : h('p', { class: 'muted' }, t('detail.similarNone')));
  }).catch((error) => {
    if (error.name === 'AbortError') return;
    replace(content, h('p', { class: 'muted', 'data-code': error.code ?? '' }, t('detail.similarFailed')));
  }).finally(() => content.removeAttribute('aria-busy'));
  return element;
}

function similarCard(practice) {
  const title = localized(practice.title, practice.titleEn);
  const summary = localized(practice.summary, practice.summaryEn);
  return h('li', { class: 'card' },
    h('h3', {}, h('a', { href: itemHref(practice.id), lang: title.lang }, title.text)),
    h('p', { class: 'muted' }, [practice.organization?.name, practice.regions?.[0] && fullPlace(practice.regions[0])]
      .filter(Boolean).join(' · ')),
    h('p', { class: 'clamp', lang: summary.lang }, summary.text));
}

// --- follows, and IDs whose page is elsewhere (issue 14) -------------------------------------

const FOLLOWED_TYPES = new Set(['Practice', 'CaseStudy', 'Partnership', 'Replication', 'Organization']);

/** "Ikuti" with the follower count, under the item's header (js/follow.js). */
function followSlot(body, node, signal) {
  if (!FOLLOWED_TYPES.has(node.__typename)) return;
  const name = node.__typename === 'Organization' ? node.name : localized(node.title, node.titleEn).text;
  body.querySelector('.detail-header')?.append(followControl({ id: node.id }, { name, signal }));
}

/** The type named in a global ID (base64 of "Type:local"), or null when it is not one. */
function typeOfId(id) {
  try {
    return atob(id.replace(/-/g, '+').replace(/_/g, '/')).split(':')[0] || null;
  } catch {
    return null;
  }
}

/**
 * An event has its own page ("#/kegiatan/<id>"), and an exchange request is shown among the
 * organization's exchanges: links to "#/item/<id>" of either (a notification, an email digest)
 * go there. True when the page was sent on.
 */
function redirectElsewhere(id) {
  const type = typeOfId(id);
  if (type === 'Event') location.replace(hashFor(`${EVENTS_PATH}/${encodeURIComponent(id)}`));
  else if (type === 'ExchangeRequest') location.replace(exchangeHref(id));
  else return false;
  return true;
}
