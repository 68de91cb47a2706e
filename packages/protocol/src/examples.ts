/**
 * Request examples shown in the API reference (`/docs`): the schemas name them with
 * `.meta({ examples })` (`.meta({ example })` where the schema transforms its input), the service's
 * OpenAPI carries them, and a test sends every route's example to the running service
 * (services/api/test/http/api-docs.test.ts), so they stay valid.
 */

export const EXAMPLE_USER_ID = 'user_42';
export const EXAMPLE_ACCOUNT_ID = 'acme';
export const EXAMPLE_SEGMENT_KEY = 'at-risk';

/** One event of each type, as the SDK sends them. */
export const EXAMPLE_EVENTS = {
  identify: { type: 'identify', userId: EXAMPLE_USER_ID, traits: { email: 'ada@example.com', name: 'Ada Lovelace' } },
  group: { type: 'group', userId: EXAMPLE_USER_ID, groupId: EXAMPLE_ACCOUNT_ID, traits: { name: 'Acme Inc.', seats: 25 } },
  track: {
    type: 'track',
    userId: EXAMPLE_USER_ID,
    event: 'Report Created',
    properties: { format: 'pdf' },
    context: { groupId: EXAMPLE_ACCOUNT_ID },
  },
  page: { type: 'page', userId: EXAMPLE_USER_ID, name: 'Reports', properties: { path: '/reports' } },
} as const;

/** A custom segment's rule (docs/api.md, Segments). */
export const EXAMPLE_SEGMENT_RULE = { all: [{ field: 'utilisation', op: 'lt', value: 0.9 }, { field: 'nps', op: 'lt', value: 0 }] };
