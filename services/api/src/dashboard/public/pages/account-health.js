import { el } from '../dom.js';
import { addDays, formatNumber, formatRatio, formatSigned, todayUtc } from '../format.js';

const BAND_CLASS = { green: 'band-green', yellow: 'band-amber', red: 'band-red' };
const COMPONENT_LABELS = {
  engagement: 'Engagement (score percentile)',
  utilisation: 'Licence utilisation',
  nps: 'NPS',
  trend: 'Score trend (vs previous window)',
  champions: 'Champions active',
  breadth: 'Breadth of feature use',
};
const CHANGE_DAYS = 30;
const TOP_USERS = 8;

/** A component's raw value as a reader sees it: ratios as percents (the trend signed), NPS and percentile as numbers. */
const rawText = (component) => {
  if (component.raw === null) return 'unknown';
  if (component.key === 'trend') return `${formatSigned(Math.round(component.raw * 100))} %`;
  if (component.key === 'engagement' || component.key === 'nps') return formatNumber(component.raw);
  return formatRatio(component.raw);
};

/**
 * The account page's health section: the health score and band with each component
 * (GET /v1/accounts/:id/health), and why the score changed over the last 30 days, by feature and
 * by user (GET /v1/accounts/:id/score/changes). Its own requests, so the rest of the page does not wait on it.
 */
export async function accountHealthSection(api, accountId) {
  const id = encodeURIComponent(accountId);
  const to = addDays(todayUtc(), -1); // the last complete UTC day
  const from = addDays(to, -CHANGE_DAYS);
  const [health, changes] = await Promise.all([api.get(`/v1/accounts/${id}/health`, { asOf: to }), api.get(`/v1/accounts/${id}/score/changes`, { from, to })]);

  const band = health.band === null ? el('span', { class: 'band band-none' }, 'no score') : el('span', { class: `band ${BAND_CLASS[health.band]}` }, health.band);
  const components = el(
    'table',
    { id: 'health-components' },
    el('caption', {}, `Health ${health.score === null ? '—' : health.score} / 100 `, band, ` · health model v${health.healthModel.version}, as of ${health.asOf}`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Component'), ['Raw', 'Normalised', 'Weight', 'Contribution'].map((name) => el('th', { scope: 'col', class: 'num' }, name)))),
    el(
      'tbody',
      {},
      health.components.map((component) =>
        el(
          'tr',
          { dataset: { component: component.key } },
          el('th', { scope: 'row' }, COMPONENT_LABELS[component.key] ?? component.key),
          el('td', { class: 'num' }, rawText(component)),
          el('td', { class: 'num' }, component.normalised === null ? '—' : formatNumber(component.normalised, 2)),
          el('td', { class: 'num' }, formatNumber(component.weight)),
          el('td', { class: 'num', dataset: { field: 'contribution', value: String(component.contribution) } }, formatNumber(component.contribution)),
        ),
      ),
      health.components.length ? null : el('tr', {}, el('td', { colspan: 5 }, 'Not seen yet on this day.')),
    ),
  );

  const features = el(
    'table',
    { id: 'score-change-features' },
    el('caption', {}, `Score ${formatNumber(changes.scoreFrom)} on ${changes.from} → ${formatNumber(changes.scoreTo)} on ${changes.to}: ${formatSigned(changes.change)}`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Feature'), ['Change', 'New days', 'Days gone', 'Restated'].map((name) => el('th', { scope: 'col', class: 'num' }, name)))),
    el(
      'tbody',
      {},
      [...changes.byFeature]
        .sort((a, b) => a.change - b.change)
        .map((row) =>
          el(
            'tr',
            { dataset: { event: row.event } },
            el('th', { scope: 'row' }, row.label),
            el('td', { class: 'num' }, formatSigned(row.change)),
            el('td', { class: 'num' }, formatSigned(row.entered)),
            el('td', { class: 'num' }, formatSigned(row.left)),
            el('td', { class: 'num' }, formatSigned(row.restated)),
          ),
        ),
      changes.byFeature.length ? null : el('tr', {}, el('td', { colspan: 5 }, 'No scored activity on either day.')),
    ),
  );
  // The biggest movers either way, and everyone who stopped.
  const movers = changes.byUser.filter((user, index) => user.stopped || index < TOP_USERS / 2 || index >= changes.byUser.length - TOP_USERS / 2);
  const users = el(
    'table',
    { id: 'score-change-users' },
    el('caption', {}, `By user (${changes.byUser.filter((user) => user.stopped).length} stopped being active)`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'User'), ['Before', 'After', 'Change'].map((name) => el('th', { scope: 'col', class: 'num' }, name)))),
    el(
      'tbody',
      {},
      movers.map((user) =>
        el(
          'tr',
          { dataset: { userId: user.userId } },
          el('th', { scope: 'row' }, user.userId, user.stopped ? el('span', { class: 'chip', title: 'active in the window before, not in the last' }, 'stopped') : null),
          el('td', { class: 'num' }, formatNumber(user.pointsFrom)),
          el('td', { class: 'num' }, formatNumber(user.pointsTo)),
          el('td', { class: 'num' }, formatSigned(user.change)),
        ),
      ),
      movers.length ? null : el('tr', {}, el('td', { colspan: 4 }, 'Nobody scored on either day.')),
    ),
  );
  return el('section', { class: 'panel', id: 'account-health' }, el('h2', {}, 'Health'), components, el('h2', {}, `Why the score changed (last ${CHANGE_DAYS} days)`), el('div', { class: 'grid-2' }, features, users));
}
