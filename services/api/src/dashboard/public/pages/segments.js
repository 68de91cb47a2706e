/* global window */
import { downloadText } from '../download.js';
import { membersToCsv } from '../figures/csv.js';
import { segmentList, segmentMembers } from '../data.js';
import { el } from '../dom.js';
import { playOf } from '../figures/plays.js';
import { formatNumber, formatRatio, utilisationBand } from '../format.js';

const FEATURE_UNUSED = 'feature-unused:';

/** A segment's play as the dashboard shows it (one definition: /dashboard/figures/plays.js), or undefined for a custom segment. */
export const playSentence = (key) => {
  const play = playOf(key);
  return play && `${play[0].toUpperCase()}${play.slice(1)}.`;
};

const ACCOUNT_COLUMNS = [
  ['accountId', 'Account', (m) => el('a', { href: `#/accounts/${encodeURIComponent(m.accountId)}` }, m.accountId)],
  ['score', 'Score', (m) => formatNumber(m.score), true],
  ['percentile', 'Percentile', (m) => formatNumber(m.percentile), true],
  ['utilisation', 'Utilisation', (m) => el('span', { class: `band band-${utilisationBand(m.utilisation)}` }, m.utilisation === null ? 'no seats' : formatRatio(m.utilisation)), true],
  ['utilisationChange', 'Change (30 d)', (m) => formatRatio(m.utilisationChange), true],
  ['activeUsers30d', 'Active (30 d)', (m) => `${m.activeUsers30d}${m.seats === null ? '' : ` / ${m.seats}`}`, true],
  ['lastActive', 'Last active', (m) => m.lastActive ?? '—'],
  ['quietChampions', 'Quiet champions', (m) => m.quietChampions.join(', ') || '—'],
];
const USER_COLUMNS = [
  ['userId', 'User', (m) => m.userId],
  ['score', 'Score', (m) => formatNumber(m.score), true],
  ['percentile', 'Percentile', (m) => formatNumber(m.percentile), true],
  ['lastActive', 'Last active', (m) => m.lastActive ?? '—'],
  ['firstSeen', 'First seen', (m) => m.firstSeen],
  ['accounts', 'Accounts', (m) => m.accounts.map((id) => el('a', { class: 'chip', href: `#/accounts/${encodeURIComponent(id)}` }, id))],
  ['nps', 'NPS', (m) => (m.nps === null ? '—' : `${m.nps} (${m.npsCategory})`), true],
];

/**
 * #/segments and #/segments/:key — the built-in and custom segments (GET /v1/segments), with the
 * play each calls for; one segment's members (GET /v1/segments/:key/members, every page) and
 * their export as CSV.
 */
export async function segmentsPage({ api, params, announce }) {
  const list = await segmentList(api);
  const selectedKey = params[0] ?? list.segments[0]?.key;
  const listItems = list.segments.map((segment) => {
    const isPattern = segment.key.endsWith(':') || segment.key.includes('<');
    const href = isPattern ? `#/segments/${encodeURIComponent(FEATURE_UNUSED)}` : `#/segments/${encodeURIComponent(segment.key)}`;
    const current = segment.key === selectedKey || (isPattern && selectedKey?.startsWith(FEATURE_UNUSED));
    return el('li', {}, el('a', { href, 'aria-current': current ? 'page' : undefined }, el('span', {}, segment.name), el('span', { class: 'muted' }, segment.of)));
  });

  const detail = el('section', { class: 'panel', id: 'segment-detail', 'aria-live': 'polite' });
  if (selectedKey?.startsWith(FEATURE_UNUSED) && selectedKey.length > FEATURE_UNUSED.length) await showMembers(selectedKey);
  else if (selectedKey?.startsWith(FEATURE_UNUSED)) showFeaturePicker();
  else if (selectedKey) await showMembers(selectedKey);

  function showFeaturePicker() {
    const input = el('input', { id: 'feature-event', required: true, placeholder: 'e.g. Report Exported' });
    detail.append(
      el('h2', {}, 'Feature never used'),
      el('p', {}, playSentence(FEATURE_UNUSED)),
      el(
        'form',
        {
          class: 'toolbar',
          onsubmit: (event) => {
            event.preventDefault();
            window.location.hash = `#/segments/${encodeURIComponent(FEATURE_UNUSED + input.value.trim())}`;
          },
        },
        el('label', { for: 'feature-event' }, 'Track event name', input),
        el('button', { type: 'submit', class: 'primary' }, 'Show users'),
      ),
    );
  }

  async function showMembers(key) {
    const definition = list.segments.find((segment) => segment.key === key);
    const members = await segmentMembers(api, key);
    const columns = members.segment.of === 'accounts' ? ACCOUNT_COLUMNS : USER_COLUMNS;
    const exportButton = el(
      'button',
      {
        type: 'button',
        class: 'primary',
        id: 'export-csv',
        onclick: () => {
          downloadText(`uptake-segment-${key.replace(/[^a-zA-Z0-9_-]+/g, '_')}-${members.asOf}.csv`, membersToCsv(members.items));
          announce(`Exported ${members.items.length} members`);
        },
      },
      'Export CSV',
    );
    detail.append(
      el('h2', {}, members.segment.name, ' ', el('span', { class: 'muted' }, `(${members.items.length} ${members.segment.of})`)),
      definition?.description ? el('p', {}, definition.description) : null,
      el('p', {}, el('strong', {}, 'Play: '), playSentence(key) ?? 'Custom segment.'),
      el('div', { class: 'toolbar' }, exportButton, el('span', { class: 'muted' }, `As of ${members.asOf}, model v${members.model.version}`)),
      el(
        'table',
        { id: 'members-table', dataset: { segment: key, count: String(members.items.length) } },
        el('caption', { class: 'visually-hidden' }, `Members of ${members.segment.name}`),
        el('thead', {}, el('tr', {}, columns.map(([, label, , numeric]) => el('th', { scope: 'col', class: numeric ? 'num' : undefined }, label)))),
        el(
          'tbody',
          {},
          members.items.map((member) => el('tr', {}, columns.map(([, , cell, numeric], index) => el(index === 0 ? 'th' : 'td', { scope: index === 0 ? 'row' : undefined, class: numeric ? 'num' : undefined }, cell(member))))),
          members.items.length ? null : el('tr', {}, el('td', { colspan: columns.length }, 'Nobody is in this segment today.')),
        ),
      ),
    );
  }

  return el(
    'div',
    {},
    el('h1', {}, 'Segments & plays'),
    el('div', { class: 'layout-segments' }, el('nav', { 'aria-label': 'Segments' }, el('ul', { class: 'segment-list' }, listItems)), detail),
  );
}
