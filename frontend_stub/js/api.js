// The page's only door to the server: POST /graphql. Every document the pages send is below,
// as a constant, so this file is also a tour of the API.

// session.js imports this module too (it signs in through graphql()); both only use each
// other's functions when called, never while loading, so the cycle is harmless.
import { authHeaders, dropSession, freshAccessToken, renewSession } from './session.js';

/** A GraphQL response with errors, or no usable response at all. */
export class ApiError extends Error {
  constructor(errors, status) {
    super(errors.map((error) => error.message).join('; '));
    this.name = 'ApiError';
    this.errors = errors;
    this.status = status;
  }

  /** `extensions.code` of the first error: SEARCH_UNAVAILABLE, BAD_USER_INPUT, NETWORK_ERROR... */
  get code() {
    return this.errors[0]?.extensions?.code ?? 'UNKNOWN';
  }

  /** Given with INTERNAL_SERVER_ERROR: the id to quote to an administrator (it is in the server log). */
  get requestId() {
    return this.errors.find((error) => error.extensions?.requestId)?.extensions.requestId ?? null;
  }
}

/**
 * Run one GraphQL document; resolves to its `data`, rejects with ApiError.
 *
 * Any error rejects, even beside partial data: every document here asks for what one part of a
 * page needs, so a page splits its requests where one part may fail alone (a detail page asks
 * for `similarPractices` separately, because search can be down while the item is readable).
 * Pass `signal` to cancel a request whose answer is no longer wanted.
 *
 * Signed in, the request carries the session's access token (js/session.js). When the server
 * answers 401 UNAUTHENTICATED, the token was expired, revoked or forged: the session is
 * refreshed once and the request sent again. Sending again is safe because the server refuses a
 * dead token before it runs anything. If the session cannot be refreshed it is dropped (the
 * header then asks to sign in again) and the request goes out anonymously, so a public page
 * still shows what everyone may read. `anonymous: true` sends no token at all, for
 * `refreshSession` itself.
 */
export async function graphql(query, variables = {}, { signal, anonymous = false } = {}) {
  const token = anonymous ? null : await freshAccessToken();
  let response = await send(query, variables, token, signal);
  if (response.status === 401 && token) {
    const renewed = await renewSession(token);
    response = await send(query, variables, renewed, signal);
    if (response.status === 401 && renewed) {
      // A token minted a moment ago refused too: the account itself is gone.
      dropSession({ expired: true });
      response = await send(query, variables, null, signal);
    }
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: a proxy's error page, say. Reported below by its status.
  }
  if (body?.errors?.length) throw new ApiError(body.errors, response.status);
  if (!response.ok || !body?.data) {
    throw new ApiError([{ message: `HTTP ${response.status}`, extensions: { code: 'HTTP_ERROR' } }], response.status);
  }
  return body.data;
}

async function send(query, variables, token, signal) {
  try {
    return await fetch('/graphql', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        // The newer media type makes the status code meaningful (GraphQL over HTTP).
        Accept: 'application/graphql-response+json, application/json;q=0.9',
        ...authHeaders(token),
      },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError([{ message: error.message, extensions: { code: 'NETWORK_ERROR' } }], 0);
  }
}

// --- Search -------------------------------------------------------------------------------

// `first` is written into the document rather than passed as a variable: the server's cost
// limit counts a variable page size at its cap (100), so a literal keeps the estimate at what
// is really asked for, and the page always shows 20 hits at a time. `disjunctiveFacets`: each
// checkbox list counts what ticking another of its values would add, not only what is ticked.

export const SEARCH = `
  query Search($query: String!, $filter: SearchFilter, $facets: [SearchFacet!], $after: String) {
    search(query: $query, filter: $filter, facets: $facets, first: 20, after: $after, disjunctiveFacets: true) {
      totalCount
      pageInfo { hasNextPage endCursor }
      hits {
        cursor
        type
        highlights { field snippet }
        node {
          ... on Content {
            id title titleEn summary
            organization { name }
            regions { code name ancestors { code name } }
          }
          ... on Practice { stage }
          ... on Organization {
            id name kind
            region { code name ancestors { code name } }
          }
        }
      }
      facets { facet values { value label count } }
    }
  }`;

export const SEARCH_SUGGESTIONS = `
  query SearchSuggestions($prefix: String!) {
    searchSuggestions(prefix: $prefix, first: 8) { id type title }
  }`;

// Organizations are found through search: the `organizations` listing has no name filter.
export const FIND_ORGANIZATIONS = `
  query FindOrganizations($query: String!) {
    search(query: $query, filter: { types: [ORGANIZATION] }, facets: [], first: 8) {
      hits { node { ... on Organization { id name kind region { name } } } }
    }
  }`;

// --- Regions ------------------------------------------------------------------------------

// One level of the hierarchy: the provinces (level PROVINCE) or the children of `parentCode`.
export const REGIONS = `
  query Regions($level: RegionLevel, $parentCode: String, $after: String) {
    regions(level: $level, parentCode: $parentCode, first: 100, after: $after) {
      nodes { code name level }
      pageInfo { hasNextPage endCursor }
    }
  }`;

// --- Detail pages -------------------------------------------------------------------------

const REGION_FIELDS = 'code name level ancestors { code name }';
const ORGANIZATION_FIELDS = `id name kind verified website region { ${REGION_FIELDS} }`;
const INDICATOR_FIELDS = 'name unit baseline target achieved';
const PRACTICE_LINK_FIELDS = `id title titleEn regions { ${REGION_FIELDS} }`;

export const NODE = `
  query Node($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on Content {
        title titleEn summary summaryEn authorName themes sdgs status isDemo updatedAt
        organization { ${ORGANIZATION_FIELDS} }
        regions { ${REGION_FIELDS} }
      }
      ... on Practice {
        problem approach stage isDigital legalBasis
        verification { verifiedAt stillActive }
        exchangeStats { completedCount meanRating }
        period { start end }
        beneficiaries { count description }
        funding { source amount note }
        contact { name role email phone }
        results { ${INDICATOR_FIELDS} }
        buildingBlocks { name description howToReplicate }
        lessonsLearned
        evidenceLinks { label url }
        replications { id title replicationStatus regions { ${REGION_FIELDS} } }
        caseStudies { id title titleEn }
      }
      ... on CaseStudy {
        context methodology findings recommendations authors license
        metrics { ${INDICATOR_FIELDS} }
        publication { doi url }
        relatedPractices { ${PRACTICE_LINK_FIELDS} }
      }
      ... on Partnership {
        objectives outcomes partnershipStatus
        period { start end }
        agreement { kind number signedOn }
        partners { role organization { id name kind } }
        contributions { description amount organization { id name } }
        relatedPractices { ${PRACTICE_LINK_FIELDS} }
      }
      ... on Replication {
        adaptations replicationStatus startedOn comparison
        results { ${INDICATOR_FIELDS} }
        practice { ${PRACTICE_LINK_FIELDS} }
      }
      ... on Organization {
        name kind verified description website isDemo
        region { ${REGION_FIELDS} }
      }
    }
  }`;

export const SIMILAR_PRACTICES = `
  query SimilarPractices($id: ID!) {
    similarPractices(id: $id, first: 5) {
      id title titleEn summary summaryEn
      organization { name }
      regions { ${REGION_FIELDS} }
    }
  }`;

// --- Contributing -------------------------------------------------------------------------

// A new practice is always a draft; `submitForReview` sends it to the association's reviewers.
// Both carry the `version` the next step must quote back.
export const CREATE_PRACTICE = `
  mutation CreatePractice($input: PracticeInput!) {
    createPractice(input: $input) {
      practice { id version title status }
      errors { field code message }
    }
  }`;

export const SUBMIT_FOR_REVIEW = `
  mutation SubmitForReview($input: StepInput!) {
    submitForReview(input: $input) {
      content { id version status }
      errors { field code message }
    }
  }`;

// --- Peer exchanges -----------------------------------------------------------------------

// A government asks the organization behind a published practice or partnership for a study
// visit, mentoring or documents. Every step answers with the whole exchange, whose `version`
// the next step quotes back and whose `viewerSteps` say which buttons to show.
const EXCHANGE_FIELDS = `
  id version state kind message participants createdAt
  preferredDates { start end }
  declineReason feedback rating cancelReason viewerSteps
  schedule { startsAt endsAt place onlineUrl }
  subject { __typename ... on Practice { id title titleEn } ... on Partnership { id title titleEn } }
  requesterOrganization { id name }
  ownerOrganization { id name }
  requestingRegion { code name ancestors { code name } }
  requestedBy { name }
  replication { id title status }`;

export const REQUEST_EXCHANGE = `
  mutation RequestExchange($input: RequestExchangeInput!) {
    requestExchange(input: $input) {
      exchangeRequest { ${EXCHANGE_FIELDS} }
      errors { field code message }
    }
  }`;

/** The document of one step: every step takes `{id, version, ...}` and answers the same. */
function exchangeStep(name, inputType) {
  return `
  mutation ${name[0].toUpperCase()}${name.slice(1)}($input: ${inputType}!) {
    ${name}(input: $input) {
      exchangeRequest { ${EXCHANGE_FIELDS} }
      errors { field code message }
    }
  }`;
}

export const ACCEPT_EXCHANGE = exchangeStep('acceptExchange', 'AcceptExchangeInput');
export const DECLINE_EXCHANGE = exchangeStep('declineExchange', 'DeclineExchangeInput');
export const SCHEDULE_EXCHANGE = exchangeStep('scheduleExchange', 'ScheduleExchangeInput');
export const COMPLETE_EXCHANGE = exchangeStep('completeExchange', 'CompleteExchangeInput');
export const CANCEL_EXCHANGE = exchangeStep('cancelExchange', 'CancelExchangeInput');

export const CONVERT_EXCHANGE = `
  mutation ConvertExchangeToReplication($input: ConvertExchangeInput!) {
    convertExchangeToReplication(input: $input) {
      exchangeRequest { ${EXCHANGE_FIELDS} }
      replication { id title status }
      errors { field code message }
    }
  }`;

// The signed-in user's organization, its incoming or outgoing exchanges in some states. The
// listing is null for anyone but the organization's users and the reviewers.
export const EXCHANGES = `
  query Exchanges($direction: ExchangeDirection!, $states: [ExchangeState!], $after: String) {
    viewer {
      organization {
        id
        exchangeRequests(direction: $direction, states: $states, first: 20, after: $after) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { ${EXCHANGE_FIELDS} }
        }
      }
    }
  }`;

// Where the requesting delegation comes from, by default: the organization's own region.
export const ORGANIZATION_REGION = `
  query OrganizationRegion($id: ID!) {
    node(id: $id) { ... on Organization { region { code } } }
  }`;

// --- Accounts -----------------------------------------------------------------------------

// The organization's kind tells an admin of the association (who may write for anyone) from
// the admin of one kelurahan.
const SESSION_FIELDS = `
  accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt
  user { id name role organization { id name kind } }`;

// Errors: INVALID_CREDENTIALS (the same whether or not the email exists), TOO_MANY_ATTEMPTS.
export const SIGN_IN = `
  mutation SignIn($input: SignInInput!) {
    signIn(input: $input) {
      session { ${SESSION_FIELDS} }
      errors { field code message }
    }
  }`;

// Sent without the access token, which may be the very thing that expired. The refresh token
// given stops working: the answer's pair replaces both.
export const REFRESH_SESSION = `
  mutation RefreshSession($input: RefreshSessionInput!) {
    refreshSession(input: $input) {
      session { ${SESSION_FIELDS} }
      errors { field code message }
    }
  }`;

// Revokes the session whose access token the request carries.
export const SIGN_OUT = `
  mutation SignOut {
    signOut { errors { field code message } }
  }`;
