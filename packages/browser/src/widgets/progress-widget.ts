import { closeButton as xButton, element, mountCard, notShown } from './card.js';
import { fetchWidget } from './fetch-widget.js';
import type { ProgressAnswer, ProgressItem, WidgetHandle, WidgetOptions } from './types.js';

/**
 * Every text of the progress card. `{n}` is a number, `{days}` the window's length in days.
 * For sentences a template cannot say (plurals, word order), pass `item` to `showProgress`.
 */
export type ProgressText = {
  /** The card's heading, e.g. `Your last {days} days`. */
  title: string;
  /** After an item that went up: `{n} more than the {days} days before`. */
  more: string;
  fewer: string;
  same: string;
  /** Heading of the account's totals. */
  team: string;
  /** Heading of the suggestions (valuable features never used). */
  suggestions: string;
  dismiss: string;
};

/** Options of `showProgress`. */
export type ProgressOptions = Omit<WidgetOptions, 'uptake'> & {
  text?: Partial<ProgressText>;
  /** How many of the user's features to list (default 3, most used first). */
  maxItems?: number;
  /** Show the account's totals (default true). */
  team?: boolean;
  /** Show the suggestions (default true). */
  suggestions?: boolean;
  /** Writes one line of the list yourself, e.g. `This month you created 42 reports, 12 more than last month`. */
  item?: (item: ProgressItem, days: number) => string;
  /**
   * Move focus into the card when it appears (and back on close). Default false: the card is a
   * notice, not a question, and taking focus unasked would throw keyboard users out of their work;
   * it is announced through a polite live region instead.
   */
  focus?: boolean;
};

const DEFAULT_TEXT: ProgressText = {
  title: 'Your last {days} days',
  more: '{n} more than the {days} days before',
  fewer: '{n} fewer than the {days} days before',
  same: 'as many as the {days} days before',
  team: 'Your team',
  suggestions: 'Worth a try',
  dismiss: 'Dismiss',
};

const PROGRESS_CSS = `ul{margin:0 0 12px;padding:0;list-style:none}
li{margin:0 0 6px}
b{font-size:18px;margin-inline-end:4px}
h3{margin:12px 0 4px;font-size:13px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}`;

const fill = (template: string, n: number, days: number): string =>
  template.replace('{n}', String(n)).replace('{days}', String(days));

/**
 * Asks the service for the user's progress and shows it as a small dismissible card: the user's
 * most used features in the window with the change against the window before, the account's totals,
 * and valuable features not used yet. Shows nothing when there is nothing to say (`reason: 'empty'`).
 */
export const openProgress = async (options: ProgressOptions): Promise<WidgetHandle> => {
  const answer = await fetchWidget<ProgressAnswer>(options.host, 'progress', {
    userId: options.userId,
    userHash: options.userHash,
    writeKey: options.writeKey,
    accountId: options.accountId,
  });
  if (!answer) return notShown('error');
  const text = { ...DEFAULT_TEXT, ...options.text };
  const days = Math.round((Date.parse(answer.window.to) - Date.parse(answer.window.from)) / 864e5) + 1;
  const used = (items: ProgressItem[]) => items.filter((item) => item.count > 0);
  const items = used(answer.user.items).slice(0, options.maxItems || 3);
  const team = options.team !== false && answer.account ? used(answer.account.items).slice(0, 2) : [];
  const missing = options.suggestions !== false ? answer.user.missing.slice(0, 2) : [];
  if (!items.length && !missing.length) return notShown('empty');

  const line = (item: ProgressItem) =>
    element(
      'li',
      {},
      ...(options.item
        ? [options.item(item, days)]
        : [
            element('b', {}, String(item.count)),
            item.label,
            element(
              'div',
              { class: 'muted' },
              fill(item.change > 0 ? text.more : item.change < 0 ? text.fewer : text.same, Math.abs(item.change), days),
            ),
          ]),
    );
  const title = fill(text.title, 0, days);
  const view = mountCard(options, { role: 'region', 'aria-labelledby': 't' }, PROGRESS_CSS, () => view.close('dismissed'));
  const closeButton = xButton(text.dismiss, () => view.close('dismissed'));
  const list = (heading: string | false, lines: Node[]): Node[] => {
    const nodes: Node[] = heading ? [element('h3', {}, heading)] : [];
    return lines.length ? [...nodes, element('ul', {}, ...lines)] : [];
  };
  view.card.append(
    closeButton,
    element('h2', { id: 't', tabindex: -1 }, title),
    ...list(false, items.map(line)),
    ...list(text.team, team.map(line)),
    ...list(
      text.suggestions,
      missing.map((feature) => element('li', {}, feature.label, feature.valueText ? element('div', { class: 'muted' }, feature.valueText) : undefined)),
    ),
  );
  view.announce(`${title}: ${items.map((item) => `${item.count} ${item.label}`).join(', ')}`);
  if (options.focus) closeButton.focus();
  return { shown: true, reason: 'shown', close: () => view.close('closed'), closed: view.closed };
};
