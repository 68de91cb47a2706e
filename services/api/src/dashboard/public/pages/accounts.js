import { accountRows, forget } from '../data.js';
import { el, render } from '../dom.js';
import { formatNumber, formatRatio, formatSigned, utilisationBand } from '../format.js';

const PAGE_SIZE = 20;

const COLUMNS = [
  { key: 'accountId', label: 'Account', numeric: false },
  { key: 'score', label: 'Score', numeric: true },
  { key: 'percentile', label: 'Percentile', numeric: true },
  { key: 'utilisation', label: 'Utilisation', numeric: true },
  { key: 'nps', label: 'NPS (90 d)', numeric: true },
  { key: 'segments', label: 'Segments', numeric: false, sortable: false },
];

/** Kept across visits in this tab, so coming back from an account keeps the sort, search and page. */
const state = { sort: 'score', direction: 'descending', search: '', page: 0 };

export const utilisationBadge = (ratio) => el('span', { class: `band band-${utilisationBand(ratio)}`, dataset: { band: utilisationBand(ratio) } }, ratio === null ? 'no seats' : formatRatio(ratio));

const compare = (key, direction) => (a, b) => {
  const x = a[key];
  const y = b[key];
  // Unknown values (no seats, no NPS answers) sort last in both directions.
  if (x === null && y === null) return a.accountId < b.accountId ? -1 : 1;
  if (x === null) return 1;
  if (y === null) return -1;
  if (x === y) return a.accountId < b.accountId ? -1 : 1; // ties by id, as the API ranks them
  return (x < y ? -1 : 1) * (direction === 'ascending' ? 1 : -1);
};

/**
 * #/accounts — every account with its score and percentile (GET /v1/scores/accounts), utilisation
 * (…/utilisation), 90-day NPS (GET /v1/nps?accountId) and account segments; sortable by column,
 * searchable by id, 20 a page.
 */
export async function accountsPage({ api, announce, isCurrent }) {
  const data = await accountRows(api, (done, total) => isCurrent() && announce(`Loading accounts… ${done} / ${total}`));
  announce('');
  const tableHost = el('div', {});
  const search = el('input', {
    id: 'account-search',
    type: 'search',
    value: state.search,
    placeholder: 'Account id',
    oninput: () => {
      state.search = search.value;
      state.page = 0;
      draw();
    },
  });

  function draw() {
    const needle = state.search.trim().toLowerCase();
    const rows = data.rows.filter((row) => row.accountId.toLowerCase().includes(needle)).sort(compare(state.sort, state.direction));
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    const shown = rows.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
    const header = COLUMNS.map((column) => {
      const sorted = state.sort === column.key;
      const attributes = { scope: 'col', class: column.numeric ? 'num' : undefined, 'aria-sort': sorted ? state.direction : column.sortable === false ? undefined : 'none' };
      if (column.sortable === false) return el('th', attributes, column.label);
      return el(
        'th',
        attributes,
        el(
          'button',
          {
            type: 'button',
            onclick: () => {
              state.direction = sorted ? (state.direction === 'ascending' ? 'descending' : 'ascending') : column.numeric ? 'descending' : 'ascending';
              state.sort = column.key;
              draw();
              tableHost.querySelector(`th[aria-sort="${state.direction}"] button`)?.focus();
            },
          },
          column.label,
        ),
      );
    });
    const body = shown.map((row) =>
      el(
        'tr',
        { dataset: { accountId: row.accountId } },
        el('th', { scope: 'row' }, el('a', { href: `#/accounts/${encodeURIComponent(row.accountId)}` }, row.accountId)),
        el('td', { class: 'num', dataset: { field: 'score' } }, formatNumber(row.score)),
        el('td', { class: 'num' }, formatNumber(row.percentile)),
        el('td', { class: 'num', title: row.seats === null ? 'seats unknown' : `${row.activeUsers30d} active in 30 days / ${row.seats} seats` }, utilisationBadge(row.utilisation)),
        el('td', { class: 'num', title: `${row.npsResponses} responses` }, row.nps === null ? '—' : formatSigned(row.nps)),
        el('td', {}, row.segments.map((segment) => el('span', { class: 'chip', title: segment.key }, segment.name))),
      ),
    );
    render(
      tableHost,
      el(
        'table',
        { id: 'accounts-table' },
        el('caption', {}, `${rows.length} account${rows.length === 1 ? '' : 's'}${needle ? ` matching “${state.search.trim()}”` : ''} · model v${data.model.version}, window ${data.window.from} – ${data.window.to}`),
        el('thead', {}, el('tr', {}, header)),
        el('tbody', {}, body.length ? body : el('tr', {}, el('td', { colspan: COLUMNS.length }, 'No accounts.'))),
      ),
      el(
        'nav',
        { class: 'pager', 'aria-label': 'Pages of accounts' },
        el('button', { type: 'button', class: 'secondary', disabled: state.page === 0, onclick: () => { state.page--; draw(); } }, '← Previous'),
        el('span', { 'aria-live': 'polite' }, `Page ${state.page + 1} of ${pages}`),
        el('button', { type: 'button', class: 'secondary', disabled: state.page >= pages - 1, onclick: () => { state.page++; draw(); } }, 'Next →'),
      ),
    );
  }
  draw();

  return el(
    'div',
    {},
    el('h1', {}, 'Accounts'),
    el(
      'div',
      { class: 'toolbar' },
      el('label', { for: 'account-search' }, 'Search accounts', search),
      el('p', { class: 'legend-note' }, 'Utilisation (active users in 30 days ÷ seats): ', utilisationBadge(0.8), ' ≥ 80 %  ', utilisationBadge(0.7), ' 60–80 %  ', utilisationBadge(0.5), ' < 60 %'),
      el('button', { type: 'button', class: 'secondary', onclick: () => { forget(); globalThis.dispatchEvent(new HashChangeEvent('hashchange')); } }, 'Refresh'),
    ),
    tableHost,
  );
}

const { HashChangeEvent } = globalThis;
