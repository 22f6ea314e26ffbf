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
          # A thread is shown with the item it is about (aliases: Content's title is non-null).
          ... on Thread {
            id threadTitle: title discussionKind: kind isAnswered
            subject { id title titleEn organization { name } regions { code name ancestors { code name } } }
          }
          ... on Event {
            id title titleEn startsAt endsAt timeZone timeZoneAbbreviation
            organizer { name }
            venue { region { code name ancestors { code name } } }
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
// An indicator with its reports and what the API derives from them (js/indicators.js).
export const MONITORED_INDICATOR_FIELDS = `${INDICATOR_FIELDS} key direction granularity progressPercent trend
  stale periodsWithoutReport latest { period value } reports { period value note evidenceUrl }`;
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
        costPerBeneficiary themeMedianCostPerBeneficiary
        contact { name role email phone }
        results { ${MONITORED_INDICATOR_FIELDS} }
        freshness { staleIndicatorCount reportedIndicatorCount latestPeriodStart }
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
        results { ${MONITORED_INDICATOR_FIELDS} }
        indicatorComparison {
          indicator { key } original { key name }
          points { period replicationValue originalValue }
        }
        practice { ${PRACTICE_LINK_FIELDS} }
      }
      ... on Organization {
        name kind verified description website isDemo
        region { ${REGION_FIELDS} }
      }
      # A thread's page is its item's, opened at the thread (a search suggestion may be one).
      ... on Thread { threadSubject: subject { id } }
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

// --- Events and trainings (js/events.js) --------------------------------------------------

// Times come twice: `startsAt` in UTC, and `timeZone` with its abbreviation (WIB, WITA, WIT) to
// show them as the venue's own clock does. An online event keeps Jakarta time.
const EVENT_ROW_FIELDS = `
  id title titleEn kind status isDemo startsAt endsAt timeZone timeZoneAbbreviation
  capacity seatsLeft waitlistCount onlineUrl
  venue { name address region { ${REGION_FIELDS} } }
  organizer { id name }`;
// `position` is the place on the waiting list (1 is next); a certificate code comes once the
// organizers mark the person as attended.
const REGISTRATION_FIELDS = 'status position attended certificateCode';

// Filter: { from, to, regionCode, themes, kinds }; soonest first. `from` stays the same while
// one pages through, so the cursor goes on from where the list was.
export const EVENTS = `
  query Events($filter: EventFilterInput, $after: String) {
    events(filter: $filter, first: 20, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { ${EVENT_ROW_FIELDS} }
    }
  }`;

// `registrations` is empty for anyone but the organizers (and reviewers); `viewerIsOrganizer`
// says whether the page may offer to keep attendance.
export const EVENT = `
  query Event($id: ID!) {
    node(id: $id) {
      __typename
      ... on Event {
        ${EVENT_ROW_FIELDS}
        version description descriptionEn themes registrationDeadline cancellationReason
        registeredCount calendarUrl viewerIsOrganizer
        coOrganizers { id name }
        materials { label url }
        relatedPractices { ${PRACTICE_LINK_FIELDS} }
        viewerRegistration { ${REGISTRATION_FIELDS} }
        registrations { ${REGISTRATION_FIELDS} userName user { id } }
      }
    }
  }`;

// The viewer's own registrations, newest first (the `viewer` is null when signed out).
export const MY_EVENT_REGISTRATIONS = `
  query MyEventRegistrations {
    viewer {
      eventRegistrations(first: 20) {
        nodes { status position event { id title titleEn status startsAt endsAt timeZone timeZoneAbbreviation } }
      }
    }
  }`;

// A seat, or a place on the waiting list when the event is full. Errors: INVALID_TRANSITION
// (not open, or closed), DUPLICATE (registered already), UNAUTHENTICATED.
export const REGISTER_FOR_EVENT = `
  mutation RegisterForEvent($input: RegistrationInput!) {
    registerForEvent(input: $input) {
      registration { ${REGISTRATION_FIELDS} }
      event { seatsLeft registeredCount waitlistCount }
      errors { field code message }
    }
  }`;

// Gives the seat to the first in line, or leaves the line; refused once the event has started.
export const CANCEL_REGISTRATION = `
  mutation CancelRegistration($input: RegistrationInput!) {
    cancelRegistration(input: $input) {
      registration { ${REGISTRATION_FIELDS} }
      event { seatsLeft registeredCount waitlistCount }
      errors { field code message }
    }
  }`;

// Organizers: who came. `userIds` are User IDs; an attendee gets a certificate code once.
export const MARK_ATTENDANCE = `
  mutation MarkAttendance($input: AttendanceInput!) {
    markAttendance(input: $input) {
      registrations { attended certificateCode user { id } }
      errors { field code message }
    }
  }`;

// Anyone may check a certificate; an unknown code answers `valid: false`, not an error.
export const VERIFY_CERTIFICATE = `
  query VerifyCertificate($code: String!) {
    verifyCertificate(code: $code) {
      valid code participantName markedAt
      attendedEvent { id title titleEn startsAt endsAt timeZone timeZoneAbbreviation }
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

// --- Discussions (js/discussion.js) -------------------------------------------------------

// A post's text is plain text: the page renders it as text, never as HTML. `body` is null for
// a deleted post, and for a hidden one except to its author and the moderators; `state` says
// which placeholder to show. `openReportCount` is null for anyone but the moderators.
const POST_FIELDS = `
  id version state body createdAt editedAt authorName isDemo openReportCount
  author { id } authorOrganization { id name } mentionedOrganizations { id name }
  moderation { reason hiddenByName }`;
const REPLY_FIELDS = `${POST_FIELDS} viewerCanEdit isAcceptedAnswer quoted { id state body authorName }`;
// Ten threads with up to thirty replies each keep the cost estimate near 14,000 of the 50,000
// allowed; a longer thread loads the rest of its replies on demand (THREAD_REPLIES).
const THREAD_FIELDS = `${POST_FIELDS} viewerCanEdit viewerCanAcceptAnswer kind title replyCount lastActivityAt
  isAnswered followerCount viewerFollows replies(first: 30) { totalCount pageInfo { hasNextPage endCursor } nodes { ${REPLY_FIELDS} } }`;

// An item's threads, newest activity first, with the counts of the filter chips. `kind` and
// `answered` filter (answered applies to questions only).
export const DISCUSSION = `
  query Discussion($id: ID!, $kind: DiscussionKind, $answered: Boolean, $after: String) {
    node(id: $id) {
      id
      ... on Content {
        discussion {
          threadCount openQuestionCount answeredQuestionCount
          threads(kind: $kind, answered: $answered, first: 10, after: $after) {
            pageInfo { hasNextPage endCursor }
            nodes { ${THREAD_FIELDS} }
          }
        }
      }
    }
  }`;

// One thread (a link from search may name one that is not on the first page).
export const THREAD = `
  query Thread($id: ID!) {
    thread(id: $id) { ${THREAD_FIELDS} }
  }`;

export const THREAD_REPLIES = `
  query ThreadReplies($id: ID!, $after: String) {
    thread(id: $id) {
      id
      replies(first: 50, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${REPLY_FIELDS} } }
    }
  }`;

// Errors: RATE_LIMITED (too many posts in a few minutes), TOO_SHORT, TOO_LONG, REQUIRED (a
// question's title), UNKNOWN_ORGANIZATION (a mention that names nobody), UNAUTHENTICATED.
export const START_THREAD = `
  mutation StartThread($input: StartThreadInput!) {
    startThread(input: $input) { thread { id } errors { field code message } }
  }`;

export const REPLY_TO_THREAD = `
  mutation ReplyToThread($input: ReplyInput!) {
    replyToThread(input: $input) { reply { id } errors { field code message } }
  }`;

// The payload names the post changed as `thread` or `reply`, whichever the ID was.
const POST_PAYLOAD = '{ thread { id } reply { id } errors { field code message } }';

export const EDIT_POST = `
  mutation EditPost($input: EditPostInput!) { editPost(input: $input) ${POST_PAYLOAD} }`;

export const DELETE_POST = `
  mutation DeletePost($input: PostVersionInput!) { deletePost(input: $input) ${POST_PAYLOAD} }`;

export const ACCEPT_ANSWER = `
  mutation AcceptAnswer($input: AcceptAnswerInput!) {
    acceptAnswer(input: $input) { reply { id } thread { id } errors { field code message } }
  }`;

export const WITHDRAW_ACCEPTED_ANSWER = `
  mutation WithdrawAcceptedAnswer($input: WithdrawAnswerInput!) {
    withdrawAcceptedAnswer(input: $input) { thread { id } errors { field code message } }
  }`;

// Errors: DUPLICATE (reported already), REQUIRED (`text`, when the reason is OTHER).
export const REPORT_POST = `
  mutation ReportPost($input: ReportPostInput!) {
    reportPost(input: $input) { report { id } errors { field code message } }
  }`;

// Moderators only (REVIEWER, and the association's admins); the reason is shown to the author.
export const HIDE_POST = `
  mutation HidePost($input: ModeratePostInput!) { hidePost(input: $input) ${POST_PAYLOAD} }`;

export const RESTORE_POST = `
  mutation RestorePost($input: ModeratePostInput!) { restorePost(input: $input) ${POST_PAYLOAD} }`;

export const DISMISS_REPORTS = `
  mutation DismissReports($input: DismissReportsInput!) { dismissReports(input: $input) ${POST_PAYLOAD} }`;

// Open reports, newest first, with the post and where it is; FORBIDDEN for non-moderators.
const QUEUE_POST_FIELDS = 'id version state body createdAt authorName authorOrganization { name }';
export const MODERATION_QUEUE = `
  query ModerationQueue($after: String) {
    moderationQueue(first: 20, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id reason text createdAt reporterName
        post {
          __typename
          ... on Thread { ${QUEUE_POST_FIELDS} kind title subject { __typename id title } }
          ... on Reply { ${QUEUE_POST_FIELDS} thread { id title subject { __typename id title } } }
        }
      }
    }
  }`;

// --- budgets and funding (js/funding.js) ---

// Filter: { regionCode, themes, stages, year }; published practices only. Amounts are Rupiah
// (whole numbers that may exceed 2^31), the quantiles rupiah per beneficiary.
export const FUNDING_SUMMARY = `
  query FundingSummary($filter: FundingFilter) {
    fundingSummary(filter: $filter) {
      practiceCount totalAmount
      bySource { source amount practiceCount }
      byStage { stage count }
      costPerBeneficiary { count min p25 median p75 max }
    }
  }`;
// --- Follows and notifications (js/follow.js, js/notifications.js, js/profile.js) ------------

// What a follow button shows: the target's follower count and whether the viewer follows it.
// A theme and a region are not nodes: they are asked for by value.
const FOLLOWED = 'followerCount viewerFollows';
export const FOLLOW_STATE = `
  query FollowState($id: ID!) {
    node(id: $id) {
      __typename id
      ... on Content { ${FOLLOWED} }
      ... on Organization { ${FOLLOWED} }
      ... on Thread { ${FOLLOWED} }
      ... on Event { ${FOLLOWED} }
    }
  }`;
export const THEME_FOLLOW_STATE = `
  query ThemeFollowState { themes { theme followerCount viewerFollows } }`;
export const REGION_FOLLOW_STATE = `
  query RegionFollowState($code: String!) { region(code: $code) { code name ${FOLLOWED} } }`;

// `target` is exactly one of { theme }, { regionCode } or { id }. `followerCount` is the
// target's after the change; errors: UNAUTHENTICATED, NOT_FOUND, INVALID_ID, UNKNOWN_REGION.
const FOLLOW_PAYLOAD = '{ followerCount follow { kind createdAt } errors { field code message } }';
export const FOLLOW = `
  mutation Follow($input: FollowInput!) { follow(input: $input) ${FOLLOW_PAYLOAD} }`;
export const UNFOLLOW = `
  mutation Unfollow($input: FollowInput!) { unfollow(input: $input) ${FOLLOW_PAYLOAD} }`;

// The header's badge: the signed-in viewer's unread notifications (first: 1 keeps the cost low).
export const UNREAD_COUNT = `
  query UnreadCount { viewer { id notifications(first: 1) { unreadCount } } }`;

// Where a notification leads: a reply's thread, a thread's item, an event's page, an exchange.
const NOTIFICATION_SUBJECT = `
  subject {
    __typename id
    ... on Content { title titleEn }
    ... on Organization { name }
    ... on Event { title titleEn }
    ... on Thread { threadTitle: title subject { id } }
    ... on Reply { thread { id threadTitle: title subject { id } } }
  }`;
export const NOTIFICATION_FIELDS = `
  id reason createdAt read summary actorName
  actor { id name organization { name } }
  ${NOTIFICATION_SUBJECT}`;

// Each new notification of the signed-in viewer, over the socket of js/live.js (the token in
// connection_init's payload); what the badge and the page's "new" notice need.
export const NOTIFICATION_ADDED = `
  subscription NotificationAdded { notificationAdded { id reason createdAt read summary actorName } }`;

// The notifications page, newest first, 20 at a time.
export const NOTIFICATIONS = `
  query Notifications($unreadOnly: Boolean!, $after: String) {
    viewer {
      id
      notifications(unreadOnly: $unreadOnly, first: 20, after: $after) {
        totalCount unreadCount
        pageInfo { hasNextPage endCursor }
        nodes { ${NOTIFICATION_FIELDS} }
      }
    }
  }`;

// `ids` marks those, `all: true` every one; answers with the unread count left.
export const MARK_NOTIFICATIONS_READ = `
  mutation MarkNotificationsRead($input: MarkNotificationsReadInput!) {
    markNotificationsRead(input: $input) { marked unreadCount errors { field code message } }
  }`;

// The profile page: who the viewer is, the notification settings, and the first follows.
const FOLLOW_FIELDS = `
  kind createdAt theme
  node {
    __typename id
    ... on Content { title titleEn }
    ... on Organization { name }
    ... on Event { title titleEn }
    ... on Thread { threadTitle: title subject { id } }
    ... on Region { code name level }
  }`;
export const PROFILE = `
  query Profile {
    viewer {
      id name email role
      organization { id name kind }
      notificationSettings { mutedReasons digest language }
    }
  }`;
export const MY_FOLLOWS = `
  query MyFollows($after: String) {
    viewer {
      id
      follows(first: 20, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { ${FOLLOW_FIELDS} }
      }
    }
  }`;
export const UPDATE_NOTIFICATION_SETTINGS = `
  mutation UpdateNotificationSettings($input: NotificationSettingsInput!) {
    updateNotificationSettings(input: $input) {
      settings { mutedReasons digest language }
      errors { field code message }
    }
  }`;

// One exchange, for a link to it (a notification, an email digest): null when unreadable.
export const EXCHANGE_REQUEST = `
  query ExchangeRequest($id: ID!) {
    node(id: $id) { __typename ... on ExchangeRequest { ${EXCHANGE_FIELDS} } }
  }`;
