import type { Uptake } from '../types.js';

/**
 * The SDK's own copies of the widget routes' answers (`@uptake/protocol` `NpsPrompt`, `Progress`):
 * only what the widgets read, as plain types, so that no runtime protocol code reaches the bundle.
 */
export type NpsPromptAnswer = { show: boolean; surveyId: string; question: string; reason: string };

/** `GET /v1/widgets/messages` (`@uptake/protocol` `MessageAnswer`): title and body arrive filled, as plain text. */
export type MessageAnswer = {
  show: boolean;
  reason: string;
  message: {
    campaignId: string;
    kind: string;
    format: 'card' | 'banner';
    title: string;
    body: string;
    cta: { label: string; url: string } | null;
  } | null;
};

export type ProgressItem = { event: string; label: string; count: number; previousCount: number; change: number };
export type MissingFeature = { event: string; label: string; weight: number; valueText: string | null };
export type ProgressAnswer = {
  userId: string;
  window: { from: string; to: string };
  previousWindow: { from: string; to: string };
  user: { items: ProgressItem[]; missing: MissingFeature[] };
  account: { accountId: string; items: ProgressItem[] } | null;
};

/** What a widget sends its events through: an instance of `createUptake`, the default one, or `window.uptake`. */
export type WidgetTracker = Pick<Uptake, 'track'> & Partial<Pick<Uptake, 'flush'>>;

/** Options every widget takes. */
export type WidgetOptions = {
  /** The signed-in user, as sent in `identify`. */
  userId: string;
  /** `hex(HMAC-SHA256(identitySecret, userId))`, computed by your backend. */
  userHash: string;
  /** The project's write key (the script-tag widgets read it from the `uptake.min.js` tag). */
  writeKey: string;
  /** Base URL of the Uptake service (the script-tag widgets read it from the `uptake.min.js` tag). */
  host: string;
  /** One of the user's accounts; default: the account the user joined last. */
  accountId?: string;
  /** `'auto'` (default) follows `prefers-color-scheme`. */
  theme?: 'auto' | 'light' | 'dark';
  /** Render inside this element (as a block in the page) instead of as a card fixed at the bottom right. */
  container?: Element;
  /** Where the widget's events go; default: the default instance (`init`). */
  uptake?: WidgetTracker;
};

/** What `showNps`, `showProgress` and `showMessage` resolve to. */
export type WidgetHandle = {
  /** `true` when the widget is on screen. */
  shown: boolean;
  /**
   * Why (not): the service's reason for the NPS prompt (`eligible`, `answered_recently` …),
   * `shown` / `empty` for progress, the service's reason for a message (`eligible`, `holdout` …),
   * `error` when the service could not be asked.
   */
  reason: string;
  /** Removes the widget (as if closed; an unanswered NPS prompt counts as dismissed). */
  close(): void;
  /** Resolves when the widget is gone: `response`, `dismissed`, `clicked` (a message's call to action) or `closed`. */
  closed: Promise<'response' | 'dismissed' | 'clicked' | 'closed'>;
};
