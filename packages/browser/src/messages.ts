/**
 * `@uptake/browser/messages`: in-app campaign messages (a card or a banner), a separate entry point
 * (an app that never imports it ships none of it). The service decides which message, if any; this
 * only shows it.
 */
import { flush, track } from './index.js';
import { openMessage, type MessageOptions } from './widgets/messages-widget.js';
import type { WidgetHandle } from './widgets/types.js';

export type { MessageOptions } from './widgets/messages-widget.js';
export type { WidgetHandle, WidgetOptions, WidgetTracker } from './widgets/types.js';

/**
 * Asks the service for this user's campaign message (`GET /v1/widgets/messages`) and, if there is
 * one, shows it. Its events (`$message_shown`, then `$message_clicked` with `url` or
 * `$message_dismissed`, each with `campaignId`) go through the normal queue of the default instance
 * (or `options.uptake`), as the user `identify` named. Never throws; resolves once the message is
 * on screen (or is not going to be).
 *
 * @example
 * import { init, identify } from '@uptake/browser';
 * import { showMessage } from '@uptake/browser/messages';
 * init({ writeKey, host });
 * identify(user.id, {}, { userHash });
 * const message = await showMessage({ writeKey, host, userId: user.id, userHash });
 * if (!message.shown) console.debug('no message:', message.reason);
 */
export const showMessage = (options: MessageOptions): Promise<WidgetHandle> => openMessage(options, options.uptake || { track, flush });
