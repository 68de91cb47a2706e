/**
 * `@uptake/browser/nps`: the in-app NPS prompt, a separate entry point (an app that never imports it
 * ships none of it). The service decides whether to ask; this only shows.
 */
import { flush, track } from './index.js';
import { openNps, type NpsOptions } from './widgets/nps-widget.js';
import type { WidgetHandle } from './widgets/types.js';

export type { NpsOptions, NpsText } from './widgets/nps-widget.js';
export type { WidgetHandle, WidgetOptions, WidgetTracker } from './widgets/types.js';

/**
 * Asks the service whether to prompt this user now (`GET /v1/widgets/nps`) and, if so, shows the
 * 0–10 prompt. Its events (`$nps_shown`, then `$nps_response` or `$nps_dismissed`) go through the
 * normal queue of the default instance (or `options.uptake`), as the user `identify` named.
 * Never throws; resolves once the prompt is on screen (or is not going to be).
 *
 * @example
 * import { init, identify } from '@uptake/browser';
 * import { showNps } from '@uptake/browser/nps';
 * init({ writeKey, host });
 * identify(user.id, {}, { userHash });
 * const prompt = await showNps({ writeKey, host, userId: user.id, userHash });
 * if (!prompt.shown) console.debug('no NPS prompt:', prompt.reason);
 */
export const showNps = (options: NpsOptions): Promise<WidgetHandle> => openNps(options, options.uptake || { track, flush });
