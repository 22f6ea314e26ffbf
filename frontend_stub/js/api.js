// The page's only door to the server: POST /graphql. Every document the pages send is below,
// as a constant, so this file is also a tour of the API.

import { authHeaders } from './session.js';

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
 */
export async function graphql(query, variables = {}, { signal } = {}) {
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        // The newer media type makes the status code meaningful (GraphQL over HTTP).
        Accept: 'application/graphql-response+json, application/json;q=0.9',
        ...authHeaders(),
      },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError([{ message: error.message, extensions: { code: 'NETWORK_ERROR' } }], 0);
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

// --- Search -------------------------------------------------------------------------------

// `first` is written into the document rather than passed as a variable: the server's cost
// limit counts a variable page size at its cap (100), so a literal keeps the estimate at what
// is really asked for, and the page always shows 20 hits at a time.

export const SEARCH = `
  query Search($query: String!, $filter: SearchFilter, $facets: [SearchFacet!], $after: String) {
    search(query: $query, filter: $filter, facets: $facets, first: 20, after: $after) {
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

export const CREATE_PRACTICE = `
  mutation CreatePractice($input: PracticeInput!) {
    createPractice(input: $input) {
      practice { id title status }
      errors { field code message }
    }
  }`;
