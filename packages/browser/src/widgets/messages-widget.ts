import { closeButton, element, mountCard, notShown } from './card.js';
import { fetchWidget } from './fetch-widget.js';
import { eventSender } from './send-event.js';
import type { MessageAnswer, WidgetHandle, WidgetOptions, WidgetTracker } from './types.js';

/** Options of `showMessage`. */
export type MessageOptions = WidgetOptions & {
  /** Accessible name of the × button (default `Dismiss`). */
  text?: { dismiss?: string };
  /**
   * Move focus into the message when it appears (and back on close). Default false: a campaign is
   * a notice, not a question (as the progress card); it is announced through a polite live region.
   */
  focus?: boolean;
  /**
   * Follows the call to action yourself (a single-page app's router). Default: the link is an
   * ordinary `<a href>`, so the browser follows it (new tab with a modifier key, as any link).
   */
  navigate?: (url: string) => void;
};

const MESSAGE_CSS = `.body{white-space:pre-line}
a.go{display:inline-flex;align-items:center;text-decoration:none}
.banner:not(.inline){top:0;right:0;bottom:auto;left:0;width:100%;border-width:0 0 1px;border-radius:0}
.banner{display:flex;flex-wrap:wrap;align-items:center;gap:4px 16px;padding:10px 52px 10px 16px}
.banner h2,.banner p{margin:0}
.banner .body{flex:1 1 200px}`;

/**
 * The call to action's link, only for http(s) or a path of this site: the service validates the
 * URL too, this keeps a `javascript:` URL out of the page whatever the answer says.
 */
const safeUrl = (url: string): string | undefined => {
  try {
    return /^https?:$/.test(new URL(url, location.href).protocol) ? url : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Asks the service for the campaign message this user should see now (`GET /v1/widgets/messages`)
 * and, if there is one, shows it as a card (bottom right) or a banner (top), in a labelled
 * `role="region"`. Title and body go in as text, never as HTML. Events go through `tracker`:
 * `$message_shown` when it appears, `$message_clicked` (with `url`) on the call to action, then the
 * link is followed; `$message_dismissed` on × or Escape. Every event carries the `campaignId`.
 */
export const openMessage = async (options: MessageOptions, tracker: WidgetTracker): Promise<WidgetHandle> => {
  const answer = await fetchWidget<MessageAnswer>(options.host, 'messages', {
    userId: options.userId,
    userHash: options.userHash,
    writeKey: options.writeKey,
    accountId: options.accountId,
  });
  const message = answer?.show && answer.message;
  if (!message) return notShown(answer?.reason || 'error');

  const send = eventSender(tracker, { campaignId: message.campaignId });
  const dismiss = (): void => {
    send('$message_dismissed');
    view.close('dismissed');
  };
  const view = mountCard(options, { role: 'region', 'aria-labelledby': 't', 'data-format': message.format }, MESSAGE_CSS, dismiss);
  if (message.format == 'banner') view.card.classList.add('banner');
  const x = closeButton(options.text?.dismiss || 'Dismiss', dismiss);
  const url = message.cta && safeUrl(message.cta.url);
  const link = url && element('a', { class: 'go', href: url }, message.cta!.label);
  if (link) {
    link.onclick = (event) => {
      send('$message_clicked', { url });
      view.close('clicked');
      if (options.navigate) {
        event.preventDefault();
        options.navigate(url);
      }
    };
  }
  view.card.append(x, element('h2', { id: 't' }, message.title), element('p', { class: 'body' }, message.body));
  if (link) view.card.append(link);
  view.announce(`${message.title}. ${message.body}`);
  send('$message_shown');
  if (options.focus) (link || x).focus();
  return { shown: true, reason: answer.reason, close: () => view.close('closed'), closed: view.closed };
};
