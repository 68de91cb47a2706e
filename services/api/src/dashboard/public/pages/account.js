import { lineChart } from '../charts.js';
import { card, el } from '../dom.js';
import { addDays, formatNumber, formatRatio, formatSigned, npsCategory, todayUtc } from '../format.js';
import { accountGroupsSection } from './account-groups.js';
import { accountHealthSection } from './account-health.js';

const TREND_WEEKS = 13;

/**
 * #/accounts/:id — the account's name (its row of GET /v1/accounts?q=<id>), score with its
 * breakdown by feature, utilisation now and as of each of the last 13 weeks, active users over the
 * 90 days to yesterday (the last complete UTC day), NPS, segments and its users
 * (GET /v1/accounts/:id/users, 100 at a time).
 */
export async function accountPage({ api, params }) {
  const accountId = params[0];
  const id = encodeURIComponent(accountId);
  const to = addDays(todayUtc(), -1); // the last complete UTC day
  const trendDays = Array.from({ length: TREND_WEEKS }, (_, index) => addDays(to, -7 * (TREND_WEEKS - 1 - index)));
  const [score, utilisation, nps, segments, metrics, trend, users, matching, health] = await Promise.all([
    api.get(`/v1/accounts/${id}/score`),
    api.get(`/v1/accounts/${id}/utilisation`),
    api.get('/v1/nps', { accountId }),
    api.get(`/v1/accounts/${id}/segments`),
    api.get('/v1/metrics/active', { from: addDays(to, -89), to, accountId }),
    Promise.all(trendDays.map((asOf) => api.get(`/v1/accounts/${id}/utilisation`, { asOf }))),
    api.get(`/v1/accounts/${id}/users`),
    api.get('/v1/accounts', { q: accountId, limit: 500 }), // q matches ids containing this one too
    accountHealthSection(api, accountId),
  ]);
  const listed = matching.items.find((item) => item.accountId === accountId);
  const accountName = listed?.name ?? null;

  const maxPoints = Math.max(1, ...score.breakdown.map((row) => row.points));
  const breakdown = el(
    'table',
    { id: 'breakdown-table' },
    el('caption', {}, `Score by feature · model v${score.model.version}, ${score.window.from} – ${score.window.to}`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Feature'), ['Count', 'Weight', 'Points'].map((name) => el('th', { scope: 'col', class: 'num' }, name)), el('th', { scope: 'col' }, 'Share'))),
    el(
      'tbody',
      {},
      [...score.breakdown]
        .sort((a, b) => b.points - a.points)
        .map((row) => {
          const bar = el('div', { class: 'bar', 'aria-hidden': 'true' });
          bar.style.width = `${(100 * row.points) / maxPoints}%`;
          return el(
            'tr',
            { dataset: { event: row.event } },
            el('th', { scope: 'row' }, row.label, row.label !== row.event ? el('div', { class: 'muted' }, row.event) : null),
            el('td', { class: 'num' }, formatNumber(row.count)),
            el('td', { class: 'num' }, formatNumber(row.weight, 2)),
            el('td', { class: 'num' }, formatNumber(row.points, 2)),
            el('td', {}, bar, el('span', { class: 'visually-hidden' }, formatRatio(score.score ? row.points / score.score : 0))),
          );
        }),
      score.breakdown.length ? null : el('tr', {}, el('td', { colspan: 5 }, 'No scored activity in the window.')),
    ),
  );

  return el(
    'div',
    {},
    el('p', {}, el('a', { href: '#/accounts' }, '← All accounts')),
    el('h1', { id: 'account-title' }, accountName ?? `Account ${accountId}`, accountName === null ? null : el('span', { class: 'sub' }, accountId)),
    el(
      'div',
      { class: 'cards', id: 'account-cards' },
      card('Score', formatNumber(score.score), { metric: 'score', value: score.score, note: `model v${score.model.version}, ${score.window.from} – ${score.window.to}` }),
      card('Percentile', formatNumber(score.percentile), { metric: 'percentile', value: score.percentile, note: 'among all accounts' }),
      card('Utilisation', utilisation.utilisation === null ? '—' : formatRatio(utilisation.utilisation), {
        metric: 'utilisation',
        value: utilisation.utilisation,
        note: utilisation.seats === null ? 'seats unknown' : `${utilisation.activeUsers30d} active in 30 d / ${utilisation.seats} seats; ${utilisation.change === null ? 'no change figure' : `${formatSigned(Math.round(utilisation.change * 100))} % vs 30 d ago`}`,
      }),
      card('Active users', formatNumber(score.activeUsers), { metric: 'activeUsers', value: score.activeUsers, note: `${formatNumber(score.perActiveUser, 1)} points each` }),
      card('NPS (90 d)', nps.nps === null ? '—' : formatSigned(nps.nps), { metric: 'nps', value: nps.nps, note: `${nps.responses} responses` }),
    ),
    el(
      'p',
      { id: 'account-segments' },
      el('strong', {}, 'Segments: '),
      segments.segments.length ? segments.segments.map((segment) => el('a', { class: 'chip', href: `#/segments/${encodeURIComponent(segment.key)}` }, segment.name)) : 'none',
    ),
    el(
      'div',
      { class: 'grid-2' },
      lineChart({
        id: 'chart-utilisation',
        title: 'Utilisation, week by week',
        days: trendDays,
        series: [
          { key: 'utilisation', label: 'Utilisation', values: trend.map((point) => point.utilisation) },
          { key: 'green', label: '80 % (green)', values: trendDays.map(() => 0.8), colour: '#1e7d45', width: 1, dash: [4, 4] },
          { key: 'red', label: '60 % (red below)', values: trendDays.map(() => 0.6), colour: '#b3261e', width: 1, dash: [4, 4] },
        ],
        format: (value) => formatRatio(value),
        yRange: (_u, _min, max) => [0, Math.max(1, max ?? 1)],
        height: 220,
      }),
      lineChart({
        id: 'chart-account-active',
        title: 'Active users in this account',
        days: metrics.days.map((day) => day.date),
        series: [
          { key: 'dau', label: 'DAU', values: metrics.days.map((day) => day.dau) },
          { key: 'wau', label: 'WAU', values: metrics.days.map((day) => day.wau) },
          { key: 'mau', label: 'MAU', values: metrics.days.map((day) => day.mau) },
        ],
        format: (value) => formatNumber(value),
        yRange: (_u, _min, max) => [0, Math.max(5, Math.ceil((max ?? 0) * 1.1))],
        height: 220,
      }),
    ),
    health,
    el('section', { class: 'panel' }, breakdown),
    accountGroupsSection(api, accountId),
    el('section', { class: 'panel' }, usersTable(api, accountId, users, listed?.memberCount)),
  );
}

const USER_COLUMNS = [
  ['User'],
  ['Score', true],
  ['Percentile', true],
  ['Last active'],
  ['First seen'],
  ['NPS', true],
];

const userRow = (user) => {
  const title = user.name ?? user.email ?? user.userId;
  const details = [user.name === null ? null : user.email, title === user.userId ? null : user.userId].filter(Boolean).join(' · ');
  return el(
    'tr',
    { dataset: { userId: user.userId } },
    el('th', { scope: 'row' }, title, user.isChampion ? el('span', { class: 'chip champion', title: 'trait isChampion' }, 'champion') : null, details ? el('div', { class: 'sub' }, details) : null),
    el('td', { class: 'num', dataset: { field: 'score', value: String(user.score) } }, formatNumber(user.score)),
    el('td', { class: 'num' }, formatNumber(user.percentile)),
    el('td', { dataset: { field: 'lastActive', value: user.lastActive ?? '' } }, user.lastActive ?? '—'),
    el('td', {}, user.firstSeen),
    el('td', { class: 'num', title: 'latest answer (0–10) in the last 90 days' }, user.nps === null ? '—' : `${user.nps} (${npsCategory(user.nps)})`),
  );
};

/** The account's users by score, the first page of GET /v1/accounts/:id/users and a "More" button for the next. */
function usersTable(api, accountId, first, memberCount) {
  const body = el('tbody', {}, first.items.map(userRow));
  if (first.items.length === 0) body.append(el('tr', {}, el('td', { colspan: USER_COLUMNS.length }, 'No users in this account yet.')));
  const caption = el('caption', {});
  const message = el('span', { class: 'muted', role: 'status' });
  let shown = first.items.length;
  let cursor = first.nextCursor;
  const more = el('button', { type: 'button', class: 'secondary', id: 'users-more', onclick: () => loadMore() }, 'More users');
  const update = () => {
    caption.textContent = cursor === null ? `Users (${shown}) · by score` : `Users: ${shown} of ${memberCount ?? 'more'} · by score`;
    more.hidden = cursor === null;
  };
  async function loadMore() {
    more.disabled = true;
    message.textContent = '';
    try {
      const page = await api.get(`/v1/accounts/${encodeURIComponent(accountId)}/users`, { cursor });
      body.append(...page.items.map(userRow));
      shown += page.items.length;
      cursor = page.nextCursor;
      update();
    } catch (error) {
      message.textContent = `Could not load more users: ${error.message}`;
    } finally {
      more.disabled = false;
    }
  }
  update();
  return [
    el('table', { id: 'users-table' }, caption, el('thead', {}, el('tr', {}, USER_COLUMNS.map(([label, numeric]) => el('th', { scope: 'col', class: numeric ? 'num' : undefined }, label)))), body),
    el('div', { class: 'pager' }, more, message),
  ];
}
