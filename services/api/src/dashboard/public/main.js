/* global document, window */
import { createApi, forgetSecretKey, storedSecretKey, storeSecretKey } from './api.js';
import { forget } from './data.js';
import { el, render } from './dom.js';
import { accountPage } from './pages/account.js';
import { accountsPage } from './pages/accounts.js';
import { campaignsPage } from './pages/campaigns.js';
import { modelPage } from './pages/model.js';
import { overviewPage } from './pages/overview.js';
import { playsPage } from './pages/plays.js';
import { segmentsPage } from './pages/segments.js';
import { webhooksPage } from './pages/webhooks.js';

/**
 * The dashboard's shell: sign-in, navigation and hash routes
 * (#/overview, #/accounts, #/accounts/:id, #/segments, #/segments/:key, #/plays, #/model, #/webhooks, #/webhooks/:id, #/campaigns, #/campaigns/:id).
 */

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const signOutButton = document.getElementById('sign-out');
const status = document.getElementById('status');

export const announce = (text) => {
  status.textContent = text;
};

const routes = [
  { pattern: /^\/overview$/, page: overviewPage, section: 'overview' },
  { pattern: /^\/accounts$/, page: accountsPage, section: 'accounts' },
  { pattern: /^\/accounts\/(.+)$/, page: accountPage, section: 'accounts' },
  { pattern: /^\/segments(?:\/(.+))?$/, page: segmentsPage, section: 'segments' },
  { pattern: /^\/plays$/, page: playsPage, section: 'plays' },
  { pattern: /^\/model$/, page: modelPage, section: 'model' },
  { pattern: /^\/webhooks(?:\/(.+))?$/, page: webhooksPage, section: 'webhooks' },
  { pattern: /^\/campaigns(?:\/(.+))?$/, page: campaignsPage, section: 'campaigns' },
];

function showSignIn(message) {
  nav.hidden = true;
  signOutButton.hidden = true;
  const input = el('input', { id: 'secret-key', name: 'secretKey', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const problem = el('p', { class: 'error', role: 'alert', hidden: !message }, message ?? '');
  const form = el(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const secretKey = input.value.trim();
        problem.hidden = true;
        try {
          await createApi(secretKey).get('/v1/score-models'); // any query route checks the key
        } catch (error) {
          problem.textContent = error.status === 401 ? `Not signed in: ${error.message}` : `Could not reach the API: ${error.message}`;
          problem.hidden = false;
          input.focus();
          return;
        }
        storeSecretKey(secretKey);
        if (!window.location.hash || window.location.hash === '#/' || window.location.hash === '#/sign-in') window.location.hash = '#/overview';
        route();
      },
    },
    el('label', { for: 'secret-key' }, 'Project secret key', input),
    el('p', { class: 'muted' }, 'Kept in this tab’s session storage only, and sent to the query API as a bearer token. It is gone when you close the tab or sign out.'),
    problem,
    el('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  render(main, el('section', { class: 'sign-in panel' }, el('h1', {}, 'Sign in to Uptake'), form));
  input.focus();
}

let renderToken = 0;

async function route() {
  const secretKey = storedSecretKey();
  if (!secretKey) return showSignIn();
  const api = createApi(secretKey);
  nav.hidden = false;
  signOutButton.hidden = false;
  const path = decodeURIComponent(window.location.hash.replace(/^#/, '')) || '/overview';
  const match = routes.map((candidate) => ({ candidate, found: candidate.pattern.exec(path) })).find((entry) => entry.found);
  if (!match) {
    window.location.hash = '#/overview';
    return;
  }
  for (const link of nav.querySelectorAll('a')) {
    if (link.getAttribute('href') === `#/${match.candidate.section}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const token = ++renderToken;
  render(main, el('p', { class: 'muted' }, 'Loading…'));
  const context = {
    api,
    params: match.found.slice(1),
    announce,
    isCurrent: () => token === renderToken,
    onUnauthorised: () => signOut('Your secret key was not accepted any more; sign in again.'),
  };
  try {
    const content = await match.candidate.page(context);
    if (token !== renderToken) return;
    render(main, content);
    main.focus({ preventScroll: true });
  } catch (error) {
    if (token !== renderToken) return;
    if (error.status === 401) return context.onUnauthorised();
    render(main, el('p', { class: 'error', role: 'alert' }, `Could not load this page: ${error.message}`));
  }
}

function signOut(message) {
  forgetSecretKey();
  forget();
  announce('');
  showSignIn(message);
}

signOutButton.addEventListener('click', () => signOut());
window.addEventListener('hashchange', route);
route();
