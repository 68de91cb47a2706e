import { el, errorBox, render } from '../dom.js';
import { formatNumber } from '../format.js';

/**
 * The account page's role-group table (GET /v1/accounts/:id/groups): the account's users grouped
 * by a user trait (role unless another is typed), each group's users, active users, score, score
 * per active user and top features. Returns the section at once and fills it when the answer comes.
 */
export function accountGroupsSection(api, accountId) {
  const host = el('div', { id: 'account-groups-table' }, el('p', { class: 'muted' }, 'Loading groups…'));
  const trait = el('input', { id: 'groups-trait', value: 'role', maxlength: 200, 'aria-label': 'User trait to group by' });
  const load = async () => {
    const name = trait.value.trim() || 'role';
    try {
      render(host, groupsTable(await api.get(`/v1/accounts/${encodeURIComponent(accountId)}/groups`, { trait: name })));
    } catch (error) {
      render(host, errorBox(error));
    }
  };
  load();
  return el(
    'section',
    { class: 'panel', id: 'account-groups' },
    el('h2', {}, 'Scores by group'),
    el('form', { class: 'toolbar', onsubmit: (event) => { event.preventDefault(); load(); } }, el('label', { for: 'groups-trait' }, 'Group users by trait', trait), el('button', { type: 'submit', class: 'secondary' }, 'Group')),
    host,
  );
}

function groupsTable(answer) {
  const label = (group) => (group.missing ? `(no ${answer.trait})` : String(group.value));
  return el(
    'table',
    {},
    el('caption', {}, `Users by ${answer.trait} · model v${answer.model.version}, ${answer.window.from} – ${answer.window.to}`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, answer.trait), ['Users', 'Active', 'Score', 'Per active user'].map((name) => el('th', { scope: 'col', class: 'num' }, name)), el('th', { scope: 'col' }, 'Top features'))),
    el(
      'tbody',
      {},
      answer.groups.map((group) =>
        el(
          'tr',
          { dataset: { group: group.missing ? '' : String(group.value), missing: String(group.missing) } },
          el('th', { scope: 'row', class: group.missing ? 'muted' : undefined }, label(group)),
          el('td', { class: 'num' }, formatNumber(group.users)),
          el('td', { class: 'num' }, formatNumber(group.activeUsers)),
          el('td', { class: 'num' }, formatNumber(group.score, 2)),
          el('td', { class: 'num' }, formatNumber(group.perActiveUser, 1)),
          el('td', {}, group.topFeatures.map((feature) => `${feature.label} (${formatNumber(feature.points, 1)})`).join(', ') || '—'),
        ),
      ),
      answer.groups.length ? null : el('tr', {}, el('td', { colspan: 6 }, 'No users in this account yet.')),
    ),
  );
}
