// Lumen Reports' own code, bundled with Vite. Only what is imported here ends up in the bundle:
// `pnpm build` prints how much of @uptake/browser that is.
import { flush, group, identify, init, onError, page, reset, track } from '@uptake/browser';
import { showNps } from '@uptake/browser/nps';
import { showProgress } from '@uptake/browser/progress';
import './app.css';

/** What the backend rendered into the page (see index.html). */
type CurrentUser = {
  writeKey: string;
  host: string;
  id: string;
  userHash: string;
  traits: Record<string, unknown>;
  name: string;
  accountId: string | null;
  accountName: string;
};

const user = JSON.parse(document.getElementById('current-user')!.textContent!) as CurrentUser;
const byId = (id: string) => document.getElementById(id)!;
const note = (text: string) => {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  byId('log').prepend(li);
};
byId('user-name').textContent = user.name;
byId('account-name').textContent = user.accountName;
// Keep this user on reload (the service picks a demo user when the URL names none).
if (!/[?&]user=/.test(location.search)) history.replaceState(null, '', `?user=${encodeURIComponent(user.id)}`);

init({ writeKey: user.writeKey, host: user.host });
page();
// Another user than last time in this browser: log the previous one out first (as your app's logout would).
if (localStorage.getItem('lumen.user') !== user.id) {
  if (localStorage.getItem('lumen.user')) reset();
  localStorage.setItem('lumen.user', user.id);
}
identify(user.id, user.traits, { userHash: user.userHash });
note(`identify ${user.id}`);
if (user.accountId) {
  group(user.accountId);
  note(`group ${user.accountId}`);
}
onError((error) => note(`error: ${error.code}`));

for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-event]')) {
  button.addEventListener('click', () => {
    const properties = button.dataset['properties'] ? (JSON.parse(button.dataset['properties']) as Record<string, unknown>) : {};
    track(button.dataset['event']!, properties);
    void flush(); // only so that the demo shows the event at once; the SDK batches by itself
    note(`track ${button.dataset['event']}`);
  });
}

const widget = { writeKey: user.writeKey, host: user.host, userId: user.id, userHash: user.userHash };

// The NPS prompt: the service decides; it appears at the bottom right when the user is due.
const npsStatus = byId('nps-status');
void showNps(widget).then((prompt) => {
  npsStatus.dataset['reason'] = prompt.reason;
  npsStatus.textContent = prompt.shown
    ? `Shown (${prompt.reason}): answer it at the bottom right, or dismiss it.`
    : `Not shown now: ${prompt.reason}. A user sees it at most once a week; "another demo user" signs in as the next one who is due.`;
});

// The progress card, rendered into the sidebar instead of floating.
const progressStatus = byId('progress-status');
void showProgress({ ...widget, container: byId('progress') }).then((card) => {
  progressStatus.dataset['reason'] = card.reason;
  progressStatus.textContent = card.shown ? '' : `Nothing to show (${card.reason}).`;
});
