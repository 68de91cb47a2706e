import type { WidgetHandle, WidgetOptions } from './types.js';

type Outcome = Awaited<WidgetHandle['closed']>;

/** A widget on screen: its shadow root, its card, and the way out. */
export type Card = {
  /** The card element inside the shadow root (`role` dialog or region). */
  card: HTMLElement;
  /** Says `text` through the card's polite live region (screen readers). */
  announce(text: string): void;
  /** Removes the widget; focus goes back where it was when the widget took it. Only the first call counts. */
  close(outcome: Outcome): void;
  closed: Promise<Outcome>;
};

/**
 * Theming: every colour, the radius and the font are CSS custom properties with defaults, read from
 * the page (custom properties inherit into shadow roots): `--uptake-bg`, `--uptake-fg`,
 * `--uptake-muted`, `--uptake-accent`, `--uptake-accent-fg`, `--uptake-border`, `--uptake-radius`,
 * `--uptake-font`, and `--uptake-dark-*` for the dark theme. Nothing else of the page's CSS gets in
 * (`all: initial` on the host), and none of ours gets out (shadow root).
 */
const CARD_CSS = `:host{all:initial}
*{box-sizing:border-box}
.card{--bg:var(--uptake-bg,#fff);--fg:var(--uptake-fg,#1b1e26);--muted:var(--uptake-muted,#596070);--accent:var(--uptake-accent,#3651d4);--accent-fg:var(--uptake-accent-fg,#fff);--line:var(--uptake-border,#d3d7df);position:fixed;right:12px;bottom:12px;z-index:2147483000;width:min(400px,calc(100vw - 24px));max-height:calc(100vh - 24px);overflow:auto;padding:16px;border:1px solid var(--line);border-radius:var(--uptake-radius,12px);background:var(--bg);color:var(--fg);box-shadow:0 8px 28px rgba(0,0,0,.22);font:14px/1.45 var(--uptake-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);text-align:start;animation:uptake-in .2s ease-out}
.dark{--bg:var(--uptake-dark-bg,#1d1f27);--fg:var(--uptake-dark-fg,#eceef3);--muted:var(--uptake-dark-muted,#a9afbd);--accent:var(--uptake-dark-accent,#93a4ff);--accent-fg:var(--uptake-dark-accent-fg,#10121a);--line:var(--uptake-dark-border,#3b3f4c)}
.inline{position:relative;right:auto;bottom:auto;width:100%;max-height:none;box-shadow:none}
.reduced-motion{animation:none}
@media (prefers-reduced-motion:reduce){.card{animation:none}}
@keyframes uptake-in{from{opacity:0;transform:translateY(8px)}}
button,textarea{font:inherit;color:inherit}
:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
h2{margin:0 36px 12px 0;font-size:15px;font-weight:600}
p{margin:0 0 8px}
.x{position:absolute;top:8px;right:8px;width:32px;height:32px;border:0;border-radius:8px;background:none;color:var(--muted);font-size:22px;line-height:1;cursor:pointer}
.go{min-height:36px;padding:0 16px;border:0;border-radius:8px;background:var(--accent);color:var(--accent-fg);font-weight:600;cursor:pointer}
.go:disabled{opacity:.45;cursor:default}
.muted{color:var(--muted);font-size:13px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}`;

/** Makes an element with attributes (`class`, `role`, `aria-*` …), properties-free, and children. */
export const element = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number | false | undefined> = {},
  ...children: Array<Node | string | false | undefined>
): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag);
  for (const name in attributes) {
    const value = attributes[name];
    if (value !== false && value !== undefined) node.setAttribute(name, String(value));
  }
  for (const child of children) if (child !== false && child !== undefined) node.append(child);
  return node;
};

const prefers = (query: string): boolean => typeof matchMedia == 'function' && matchMedia(query).matches;

/**
 * Puts a card on the page in its own shadow root: fixed at the bottom right (narrow screens: full
 * width less a margin), or as a block inside `options.container`. Escape (while focus is inside)
 * calls `onEscape`; key presses don't reach the page's own shortcuts. `takeFocus` moves focus into
 * the card (to `card.focusTarget` when the caller sets one) and gives it back on close.
 */
export const mountCard = (
  options: Pick<WidgetOptions, 'theme' | 'container'>,
  attributes: Record<string, string>,
  css: string,
  onEscape: () => void,
): Card => {
  const host = element('div', { 'data-uptake-widget': '' });
  const root = host.attachShadow({ mode: 'open' });
  const theme = options.theme || 'auto';
  const dark = theme == 'dark' || (theme == 'auto' && prefers('(prefers-color-scheme: dark)'));
  const classes = ['card', dark && 'dark', options.container && 'inline', prefers('(prefers-reduced-motion: reduce)') && 'reduced-motion'];
  const card = element('div', { ...attributes, class: classes.filter(Boolean).join(' ') });
  const live = element('div', { class: 'sr', role: 'status', 'aria-live': 'polite' });
  const previous = document.activeElement as HTMLElement | null;
  let done: (outcome: Outcome) => void;
  const closed = new Promise<Outcome>((resolve) => (done = resolve));
  let open = true;

  card.addEventListener('keydown', (event) => {
    event.stopPropagation();
    if (event.key == 'Escape') {
      event.preventDefault();
      onEscape();
    }
  });
  root.append(element('style', {}, CARD_CSS + css), card, live);
  (options.container || document.body).append(host);

  return {
    card,
    announce: (text) => {
      // A short delay so screen readers notice the change even right after the region appeared.
      setTimeout(() => (live.textContent = text), 50);
    },
    close: (outcome) => {
      if (!open) return;
      open = false;
      const hadFocus = document.activeElement == host;
      host.remove();
      if (hadFocus && previous?.isConnected) previous.focus();
      done(outcome);
    },
    closed,
  };
};

/** The × in a widget's top corner; `label` is its accessible name ("Dismiss", "Close"). */
export const closeButton = (label: string, onClose: () => void): HTMLButtonElement => {
  const button = element('button', { type: 'button', class: 'x', 'aria-label': label }, '×');
  button.onclick = onClose;
  return button;
};

/** The handle of a widget that did not appear. */
export const notShown = (reason: string): WidgetHandle => ({
  shown: false,
  reason,
  close: () => {},
  closed: Promise.resolve('closed'),
});
