import { closeButton as xButton, element, mountCard, notShown } from './card.js';
import { fetchWidget } from './fetch-widget.js';
import { eventSender } from './send-event.js';
import type { NpsPromptAnswer, WidgetHandle, WidgetOptions, WidgetTracker } from './types.js';

/** Every text of the NPS prompt; set any of them for another language or tone. */
export type NpsText = {
  /** Default: the question from the project's widget settings. */
  question: string;
  /** Under 0. */
  low: string;
  /** Under 10. */
  high: string;
  /** Label of the optional comment box. */
  comment: string;
  submit: string;
  /** Accessible name of the × button before an answer (sends `$nps_dismissed`). */
  dismiss: string;
  /** Accessible name of the × button after an answer. */
  close: string;
  thanks: string;
  /** Asked after a detractor's answer (0–6); `''` turns the follow-up off. */
  followUp: string;
  followUpSubmit: string;
};

/** Options of `showNps`. */
export type NpsOptions = WidgetOptions & {
  /** Which survey (default `nps`); sent with every event. */
  surveyId?: string;
  text?: Partial<NpsText>;
  /** How long the thank-you stays before the card closes by itself, in ms (default 4000; 0: until closed). */
  thanksMs?: number;
};

const DEFAULT_TEXT: Omit<NpsText, 'question'> = {
  low: 'Not at all likely',
  high: 'Extremely likely',
  comment: 'What is the main reason for your score? (optional)',
  submit: 'Send',
  dismiss: 'Dismiss',
  close: 'Close',
  thanks: 'Thank you for your feedback!',
  followUp: 'What is the one thing we could do better?',
  followUpSubmit: 'Send',
};

const NPS_CSS = `.scale{display:grid;grid-template-columns:repeat(11,1fr);gap:4px}
.scale button{min-width:0;min-height:36px;padding:0;border:1px solid var(--line);border-radius:6px;background:none;cursor:pointer}
.scale button[aria-checked=true]{background:var(--accent);border-color:var(--accent);color:var(--accent-fg);font-weight:600}
.ends{display:flex;justify-content:space-between;gap:8px;margin:6px 0 12px}
label{display:block;margin:0 0 4px}
textarea{display:block;width:100%;min-height:56px;margin:0 0 12px;padding:8px;border:1px solid var(--line);border-radius:8px;background:var(--bg);resize:vertical}
@media (max-width:420px){.scale{grid-template-columns:repeat(6,1fr)}}`;

/** The keys that move the choice in the 0–10 scale (as in a native radio group), and by how much. */
const STEPS: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

/**
 * Asks the service whether to prompt this user and, if so, shows the 0–10 prompt and sends its events
 * through `tracker`: `$nps_shown` when it appears, then `$nps_response` (`score`, `comment`,
 * `surveyId`) or `$nps_dismissed` (× or Escape). After a detractor's answer, the follow-up answer
 * goes as a second `$nps_response` with the same score and `followUp`.
 */
export const openNps = async (options: NpsOptions, tracker: WidgetTracker): Promise<WidgetHandle> => {
  const answer = await fetchWidget<NpsPromptAnswer>(options.host, 'nps', {
    userId: options.userId,
    userHash: options.userHash,
    writeKey: options.writeKey,
    surveyId: options.surveyId,
    accountId: options.accountId,
  });
  if (!answer?.show) return notShown(answer?.reason || 'error');

  const text: NpsText = { ...DEFAULT_TEXT, question: answer.question, ...options.text };
  const send = eventSender(tracker, { surveyId: answer.surveyId });
  let score: number | undefined;
  let answered = false;

  const dismiss = (): void => {
    if (!answered) send('$nps_dismissed', {});
    view.close(answered ? 'response' : 'dismissed');
  };
  const view = mountCard(options, { role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'q' }, NPS_CSS, dismiss);
  const closeButton = xButton(text.dismiss, dismiss);

  const radios = Array.from({ length: 11 }, (_, value) =>
    element('button', { type: 'button', role: 'radio', 'aria-checked': 'false', tabindex: value ? -1 : 0 }, String(value)),
  );
  const scale = element('div', { role: 'radiogroup', class: 'scale', 'aria-labelledby': 'q', 'aria-describedby': 'ends' }, ...radios);
  const submit = element('button', { type: 'submit', class: 'go', disabled: '' }, text.submit);
  const comment = element('textarea', { id: 'c', rows: 2, maxlength: 2000 });
  const form = element(
    'form',
    {},
    element('h2', { id: 'q' }, text.question),
    scale,
    element('div', { id: 'ends', class: 'ends muted' }, element('span', {}, `0: ${text.low}`), element('span', {}, `10: ${text.high}`)),
    element('label', { for: 'c' }, text.comment),
    comment,
    submit,
  );

  const choose = (value: number): void => {
    score = value;
    radios.forEach((radio, index) => {
      radio.setAttribute('aria-checked', String(index == value));
      radio.tabIndex = index == value ? 0 : -1;
    });
    submit.disabled = false;
  };
  radios.forEach((radio, value) => (radio.onclick = () => choose(value)));
  scale.onkeydown = (event) => {
    const from = radios.indexOf(event.target as HTMLButtonElement);
    const step = STEPS[event.key];
    const to = event.key == 'Home' ? 0 : event.key == 'End' ? 10 : step ? (from + step + 11) % 11 : -1;
    if (to < 0) return;
    event.preventDefault();
    choose(to);
    radios[to]!.focus();
  };

  /** The thank-you, with the follow-up question for detractors. */
  const thank = (ask: string | false): void => {
    closeButton.setAttribute('aria-label', text.close);
    const heading = element('h2', { id: 'q', tabindex: -1 }, text.thanks);
    form.replaceChildren(heading);
    view.announce(ask ? `${text.thanks} ${ask}` : text.thanks);
    if (!ask) {
      heading.focus();
      if (options.thanksMs !== 0) setTimeout(() => view.close('response'), options.thanksMs || 4000);
      return;
    }
    const followUp = element('textarea', { id: 'f', rows: 2, maxlength: 2000 });
    form.append(element('label', { for: 'f' }, ask), followUp, element('button', { type: 'submit', class: 'go' }, text.followUpSubmit));
    form.onsubmit = (event) => {
      event.preventDefault();
      if (followUp.value.trim()) send('$nps_response', { score, comment: comment.value.trim() || undefined, followUp: followUp.value.trim() });
      thank(false);
    };
    followUp.focus();
  };

  form.onsubmit = (event) => {
    event.preventDefault();
    if (score === undefined) return;
    answered = true;
    send('$nps_response', { score, comment: comment.value.trim() || undefined });
    thank(score <= 6 && text.followUp);
  };

  view.card.append(closeButton, form);
  send('$nps_shown', {});
  radios[0]!.focus();
  return {
    shown: true,
    reason: answer.reason,
    close: () => view.close(answered ? 'response' : 'closed'),
    closed: view.closed,
  };
};
