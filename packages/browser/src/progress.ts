/**
 * `@uptake/browser/progress`: the in-app progress card ("This month you created 42 reports, 12 more
 * than last month"), a separate entry point.
 */
import { openProgress, type ProgressOptions } from './widgets/progress-widget.js';
import type { WidgetHandle } from './widgets/types.js';

export type { ProgressOptions, ProgressText } from './widgets/progress-widget.js';
export type { ProgressItem, WidgetHandle, WidgetOptions } from './widgets/types.js';

/**
 * Asks the service for the user's progress (`GET /v1/widgets/progress`) and shows it as a small
 * dismissible card. Sends no events. Never throws; shows nothing when there is nothing to say.
 *
 * @example
 * import { showProgress } from '@uptake/browser/progress';
 * await showProgress({ writeKey, host, userId: user.id, userHash, theme: 'dark' });
 */
export const showProgress = (options: ProgressOptions): Promise<WidgetHandle> => openProgress(options);
