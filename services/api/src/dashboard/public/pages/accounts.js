/* global clearTimeout, setTimeout */
import { forget, segmentList } from '../data.js';
import { el, errorBox, render } from '../dom.js';
import { formatNumber, formatRatio, formatSigned, utilisationBand } from '../format.js';

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 300;

/** `sort` is the API's sort field (none: not sortable); `first` the order of a first click. */
const COLUMNS = [
  { label: 'Account', sort: 'name', first: 'asc' },
  { label: 'Score', sort: 'score', first: 'desc', numeric: true },
  { label: 'Percentile', numeric: true },
  { label: 'Utilisation', sort: 'utilisation', first: 'desc', numeric: true },
  { label: 'Active (30 d)', sort: 'activeUsers30d', first: 'desc', numeric: true },
  { label: 'Last active', sort: 'lastActive', first: 'desc' },
  { label: 'NPS (90 d)', numeric: true },
  { label: 'Segments' },
];
const ARIA_SORT = { asc: 'ascending', desc: 'descending' };

/**
 * Kept across visits in this tab, so coming back from an account keeps the sort, search and page.
 * `cursors` holds the cursor of every page up to the one shown (null: the first page), so
 * "Previous" goes back one without the API paging backwards.
 */
const state = { sort: 'score', order: 'desc', q: '', cursors: [null] };

const utilisationBadge = (ratio) => el('span', { class: `band band-${utilisationBand(ratio)}`, dataset: { band: utilisationBand(ratio) } }, ratio === null ? 'no seats' : formatRatio(ratio));

/**
 * #/accounts — one page of GET /v1/accounts (50 rows: name, score, percentile, utilisation, active
 * users, last active, 90-day NPS, account segments), sorted, searched and paged by the API; segment
 * names from GET /v1/segments. Two requests on first load, one per page, sort or search after.
 */
export async function accountsPage({ api, isCurrent, onUnauthorised }) {
  const fetchPage = () => api.get('/v1/accounts', { sort: state.sort, order: state.order, q: state.q || undefined, limit: PAGE_SIZE, cursor: state.cursors.at(-1) ?? undefined });
  const firstPage = () =>
    fetchPage().catch((error) => {
      if (error.status !== 400 || state.cursors.length === 1) throw error;
      state.cursors = [null]; // a cursor kept from an earlier visit the API no longer takes: start over
      return fetchPage();
    });
  const [first, segments] = await Promise.all([firstPage(), segmentList(api)]);
  const segmentNames = new Map(segments.segments.map((segment) => [segment.key, segment.name]));
  const tableHost = el('div', { id: 'accounts-host' });

  let loadToken = 0;
  async function load(focus) {
    const token = ++loadToken;
    tableHost.setAttribute('aria-busy', 'true');
    for (const button of tableHost.querySelectorAll('button')) button.disabled = true;
    try {
      const answer = await fetchPage();
      if (token !== loadToken || !isCurrent()) return;
      draw(answer);
      if (focus) tableHost.querySelector(focus)?.focus();
    } catch (error) {
      if (token !== loadToken || !isCurrent()) return;
      if (error.status === 401) return onUnauthorised();
      render(tableHost, errorBox(error));
    } finally {
      if (token === loadToken) tableHost.removeAttribute('aria-busy');
    }
  }

  let searchTimer;
  const search = el('input', {
    id: 'account-search',
    type: 'search',
    value: state.q,
    placeholder: 'Name or id',
    oninput: () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => {
        if (!isCurrent()) return;
        const q = search.value.trim();
        if (q === state.q) return;
        state.q = q;
        state.cursors = [null];
        load();
      }, SEARCH_DELAY_MS);
    },
  });

  const sortBy = (column) => {
    state.order = state.sort === column.sort ? (state.order === 'asc' ? 'desc' : 'asc') : column.first;
    state.sort = column.sort;
    state.cursors = [null];
    load(`th[data-sort="${column.sort}"] button`);
  };

  function draw(answer) {
    const pageIndex = state.cursors.length - 1;
    const pages = Math.max(1, Math.ceil(answer.total / PAGE_SIZE));
    const header = COLUMNS.map((column) => {
      const attributes = { scope: 'col', class: column.numeric ? 'num' : undefined };
      if (!column.sort) return el('th', attributes, column.label);
      const sorted = state.sort === column.sort;
      return el('th', { ...attributes, 'aria-sort': sorted ? ARIA_SORT[state.order] : 'none', dataset: { sort: column.sort } }, el('button', { type: 'button', onclick: () => sortBy(column) }, column.label));
    });
    const body = answer.items.map((row) =>
      el(
        'tr',
        { dataset: { accountId: row.accountId } },
        el('th', { scope: 'row' }, el('a', { href: `#/accounts/${encodeURIComponent(row.accountId)}` }, row.name ?? row.accountId), row.name === null ? null : el('div', { class: 'sub' }, row.accountId)),
        el('td', { class: 'num', dataset: { field: 'score', value: String(row.score) } }, formatNumber(row.score)),
        el('td', { class: 'num' }, formatNumber(row.percentile)),
        el('td', { class: 'num', title: row.seats === null ? 'seats unknown' : `${row.activeUsers30d} active in 30 days / ${row.seats} seats` }, utilisationBadge(row.utilisation)),
        el('td', { class: 'num' }, `${row.activeUsers30d}${row.seats === null ? '' : ` / ${row.seats}`}`),
        el('td', {}, row.lastActive ?? '—'),
        el('td', { class: 'num', title: `${row.npsResponses} responses` }, row.nps === null ? '—' : formatSigned(row.nps)),
        el('td', {}, row.segments.map((key) => el('span', { class: 'chip', title: key }, segmentNames.get(key) ?? key))),
      ),
    );
    const goTo = (change) => {
      if (change > 0) state.cursors.push(answer.nextCursor);
      else state.cursors.pop();
      load(change > 0 ? '#accounts-next:not(:disabled)' : '#accounts-previous:not(:disabled)');
    };
    render(
      tableHost,
      el(
        'table',
        { id: 'accounts-table', dataset: { total: String(answer.total), page: String(pageIndex + 1) } },
        el('caption', {}, `${answer.total} account${answer.total === 1 ? '' : 's'}${state.q ? ` matching “${state.q}”` : ''} · model v${answer.model.version}, as of ${answer.asOf}`),
        el('thead', {}, el('tr', {}, header)),
        el('tbody', {}, body.length ? body : el('tr', {}, el('td', { colspan: COLUMNS.length }, 'No accounts.'))),
      ),
      el(
        'nav',
        { class: 'pager', 'aria-label': 'Pages of accounts' },
        el('button', { type: 'button', class: 'secondary', id: 'accounts-previous', disabled: pageIndex === 0, onclick: () => goTo(-1) }, '← Previous'),
        el('span', { 'aria-live': 'polite' }, `Page ${pageIndex + 1} of ${pages}`),
        el('button', { type: 'button', class: 'secondary', id: 'accounts-next', disabled: answer.nextCursor === null, onclick: () => goTo(1) }, 'Next →'),
      ),
    );
  }
  draw(first);

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
