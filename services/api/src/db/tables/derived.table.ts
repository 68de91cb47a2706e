import type { ColumnType } from 'kysely';

/** Events per identified user, named account ('' = none), UTC day and event key. */
export type UserDayEventsTable = {
  project_id: string;
  user_id: string;
  account_key: string;
  day: string;
  event: string;
  count: number;
};

/** Events of anonymousIds no identify has linked yet. */
export type AnonymousDayEventsTable = {
  project_id: string;
  anonymous_id: string;
  account_key: string;
  day: string;
  event: string;
  count: number;
};

/**
 * First and last UTC day of each (user or unlinked anonymousId, named account ('' = none), event
 * key): whole-history facts (first seen, last active, accounts, features used) without a scan.
 */
export type EventSpansTable = {
  project_id: string;
  /** subject_id is an anonymousId (events without a userId), resolved through identity_links. */
  anonymous: boolean;
  subject_id: string;
  account_key: string;
  event: string;
  first_day: string;
  last_day: string;
};

export type NpsResponsesTable = {
  project_id: string;
  message_id: string;
  user_id: string | null;
  anonymous_id: string | null;
  account_id: string | null;
  timestamp: Date;
  score: number;
};

export type AccountFirstSeenTable = {
  project_id: string;
  account_id: string;
  first_day: string;
};

export type UserFirstSeenTable = {
  project_id: string;
  user_id: string;
  first_day: string;
};

export type IdentityLinksTable = {
  project_id: string;
  anonymous_id: string;
  user_id: string;
  link_day: string;
};

export type AccountSeatsTable = {
  project_id: string;
  account_id: string;
  message_id: string;
  timestamp: Date;
  seats: number | null;
};

/** Score model versions whose points are kept (score_point_versions). */
export type ScorePointVersionsTable = {
  project_id: string;
  version: number;
  state: 'filling' | 'ready';
  /** The last day a fill committed; a stopped fill goes on after it. Read it as `filled_through::text`: node-postgres makes a date a local-midnight Date. */
  filled_through: ColumnType<Date | null, never, string>;
  updated_at: ColumnType<Date, never, Date>;
};

/** A user's points on a UTC day under one model version, with the links as they are now. */
export type UserDayPointsTable = {
  project_id: string;
  version: number;
  day: string;
  user_id: string;
  points: number;
};

/** One member's part of an account's points on a UTC day under one model version, memberships as they are now. */
export type AccountDayPointsTable = {
  project_id: string;
  version: number;
  day: string;
  account_id: string;
  user_id: string;
  points: number;
};

/** An account's points on a UTC day under one model version (its members' summed) and the scored features its rows used that day, memberships as they are now. */
export type AccountDayTotalsTable = {
  project_id: string;
  version: number;
  day: string;
  account_id: string;
  points: number;
  features: string[];
};

/** Days whose points are not folded yet (a user's, an anonymousId's, or with day -infinity every day of a user). */
export type ScorePointQueueTable = {
  project_id: string;
  anonymous: boolean;
  subject_id: string;
  day: string;
};

/** A day with activity of an identified user, with the links as they are now (kept activity). */
export type UserActiveDaysTable = {
  project_id: string;
  user_id: string;
  day: string;
};

/** An (account, user) pair with activity in the account on a UTC day, with the links and memberships as they are now (kept activity). */
export type AccountActiveDaysTable = {
  project_id: string;
  day: string;
  account_id: string;
  user_id: string;
};

/** The project's DAU / WAU / MAU on a UTC day, made of user_active_days. */
export type DailyActiveUsersTable = {
  project_id: string;
  day: string;
  dau: number;
  wau: number;
  mau: number;
};

/** Projects whose kept activity is complete (filled once by the score-points worker). */
export type ActiveDayProjectsTable = {
  project_id: string;
  filled_at: ColumnType<Date, never, never>;
};
