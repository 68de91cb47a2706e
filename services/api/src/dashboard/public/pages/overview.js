import { lineChart } from '../charts.js';
import { card, el } from '../dom.js';
import { addDays, formatNumber, formatRatio, formatSigned, todayUtc } from '../format.js';
import { retentionHeatmap } from './retention-heatmap.js';

const RANGE_DAYS = 90;
const NPS_PERIODS = 6;
const NPS_PERIOD_DAYS = 30;

/**
 * #/overview — DAU, WAU, MAU and stickiness over the 90 days to yesterday, the last complete UTC
 * day (GET /v1/metrics/active),
 * the 90-day NPS to that day with its change (GET /v1/nps?asOf), and the NPS of each of the last six 30-day periods.
 */
export async function overviewPage({ api }) {
  const to = addDays(todayUtc(), -1); // the last complete UTC day: today's figures are still growing
  const from = addDays(to, -(RANGE_DAYS - 1));
  const periods = Array.from({ length: NPS_PERIODS }, (_, index) => {
    const end = addDays(to, -NPS_PERIOD_DAYS * (NPS_PERIODS - 1 - index));
    return { from: addDays(end, -(NPS_PERIOD_DAYS - 1)), to: end };
  });
  const [metrics, nps, npsPeriods] = await Promise.all([
    api.get('/v1/metrics/active', { from, to }),
    api.get('/v1/nps', { asOf: to }),
    Promise.all(periods.map((period) => api.get('/v1/nps', period))),
  ]);
  const days = metrics.days.map((day) => day.date);
  const last = metrics.days.at(-1);

  const cards = el(
    'div',
    { class: 'cards', id: 'overview-cards', dataset: { date: last?.date ?? '' } },
    card('DAU', formatNumber(last?.dau), { metric: 'dau', value: last?.dau, note: last ? `on ${last.date} (UTC)` : undefined }),
    card('WAU', formatNumber(last?.wau), { metric: 'wau', value: last?.wau, note: '7 days to that day' }),
    card('MAU', formatNumber(last?.mau), { metric: 'mau', value: last?.mau, note: '30 days to that day' }),
    card('Stickiness', formatRatio(last?.stickiness, 1), { metric: 'stickiness', value: last?.stickiness, note: 'DAU ÷ MAU' }),
    card('NPS', nps.nps === null ? '—' : formatSigned(nps.nps), {
      metric: 'nps',
      value: nps.nps,
      note: `${nps.responses} responses, ${nps.from} – ${nps.to}; ${nps.trend.change === null ? 'no earlier figure' : `${formatSigned(nps.trend.change)} vs the 90 days to ${nps.trend.previous.to}`}`,
    }),
  );

  const npsTable = el(
    'table',
    { id: 'nps-periods' },
    el('caption', {}, 'NPS per 30-day period'),
    el('thead', {}, el('tr', {}, ['Period', 'NPS', 'Responses', 'Promoters', 'Passives', 'Detractors'].map((name, index) => el('th', { scope: 'col', class: index ? 'num' : undefined }, name)))),
    el(
      'tbody',
      {},
      npsPeriods.map((period) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, `${period.from} – ${period.to}`),
          el('td', { class: 'num' }, period.nps === null ? '—' : formatSigned(period.nps)),
          [period.responses, period.promoters, period.passives, period.detractors].map((value) => el('td', { class: 'num' }, formatNumber(value))),
        ),
      ),
    ),
  );

  return el(
    'div',
    {},
    el('h1', {}, 'Overview'),
    el('p', { class: 'muted' }, `UTC days ${from} – ${to}, the 90 days to the last complete day (today is still counting).`),
    cards,
    lineChart({
      id: 'chart-active',
      title: 'Active users',
      days,
      series: [
        { key: 'dau', label: 'DAU', values: metrics.days.map((day) => day.dau) },
        { key: 'wau', label: 'WAU', values: metrics.days.map((day) => day.wau) },
        { key: 'mau', label: 'MAU', values: metrics.days.map((day) => day.mau) },
      ],
      format: (value) => formatNumber(value),
      yRange: (_u, _min, max) => [0, Math.max(5, Math.ceil((max ?? 0) * 1.1))],
    }),
    el(
      'div',
      { class: 'grid-2' },
      lineChart({
        id: 'chart-stickiness',
        title: 'Stickiness (DAU ÷ MAU)',
        days,
        series: [{ key: 'stickiness', label: 'Stickiness', values: metrics.days.map((day) => day.stickiness) }],
        format: (value) => formatRatio(value),
        yRange: [0, 1],
        height: 200,
      }),
      lineChart({
        id: 'chart-nps',
        title: 'NPS trend (30-day periods)',
        days: npsPeriods.map((period) => period.to),
        series: [{ key: 'nps', label: 'NPS', values: npsPeriods.map((period) => period.nps), width: 2 }],
        format: (value) => formatSigned(Math.round(value)),
        yRange: [-100, 100],
        height: 200,
      }),
    ),
    el('section', { class: 'panel' }, npsTable),
    retentionHeatmap(api, to),
  );
}
