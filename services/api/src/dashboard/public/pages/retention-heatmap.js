import { el, errorBox, render } from '../dom.js';
import { formatNumber, formatRatio } from '../format.js';

/**
 * The overview's cohort retention heat map (GET /v1/retention?by=week): one row per week of first
 * seen users, one cell per later week with the share of them active, shaded by that share.
 * Returns the section at once and fills it when the answer comes.
 */
export function retentionHeatmap(api, to) {
  const host = el('div', { id: 'retention-heatmap' }, el('p', { class: 'muted' }, 'Loading cohorts…'));
  api.get('/v1/retention', { by: 'week', to }).then(
    (answer) => render(host, heatmapTable(answer)),
    (error) => render(host, errorBox(error)),
  );
  return el('section', { class: 'panel', id: 'retention' }, el('h2', {}, 'Retention by weekly cohort'), host);
}

function heatmapTable(answer) {
  const widest = Math.max(0, ...answer.cohorts.map((cohort) => cohort.periods.length));
  return el(
    'table',
    { class: 'heatmap' },
    el('caption', {}, `Users by the ISO week (from Monday, UTC) first seen, ${answer.from} – ${answer.to}; each cell: the share active in that later week`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Week of'), el('th', { scope: 'col', class: 'num' }, 'Users'), Array.from({ length: widest }, (_, period) => el('th', { scope: 'col', class: 'num' }, `W${period}`)))),
    el(
      'tbody',
      {},
      answer.cohorts.map((cohort) =>
        el(
          'tr',
          { dataset: { cohort: cohort.start } },
          el('th', { scope: 'row' }, cohort.start),
          el('td', { class: 'num' }, formatNumber(cohort.size)),
          cohort.periods.map((period) => {
            const cell = el('td', { class: 'num', title: `${period.active} of ${cohort.size} active in the week of ${period.start}`, dataset: { share: String(period.share) } }, formatRatio(period.share));
            cell.style.background = `rgba(30, 125, 69, ${(0.08 + 0.8 * period.share).toFixed(3)})`;
            if (period.share > 0.55) cell.style.color = '#fff';
            return cell;
          }),
        ),
      ),
      answer.cohorts.length ? null : el('tr', {}, el('td', { colspan: widest + 2 }, 'No users first seen in these weeks.')),
    ),
  );
}
