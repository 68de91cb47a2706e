/* global window, ResizeObserver, queueMicrotask */
import { el } from './dom.js';
import { dayToSeconds } from './format.js';

const COLOURS = ['#3557d4', '#1e9e8f', '#c2571a', '#8a3fc7', '#6b7590'];

/**
 * A uPlot line chart of daily values, plus a data table of the same numbers under a disclosure
 * (for screen readers, and so a person can read the exact figures).
 *
 * @example
 * lineChart({ title: 'Active users', days: ['2026-01-01', …], series: [{ label: 'DAU', values: [3, …] }] })
 */
export function lineChart({ title, days, series, format = String, yRange, height = 240, id }) {
  const plotHost = el('div', { class: 'chart', role: 'img', 'aria-label': `${title}: chart of ${series.map((s) => s.label).join(', ')} over ${days.length} days` });
  plotHost.dataset.points = String(days.length);
  const table = el(
    'table',
    { id: id ? `${id}-table` : undefined },
    el('caption', { class: 'visually-hidden' }, `${title} — data`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Date'), series.map((s) => el('th', { scope: 'col', class: 'num' }, s.label)))),
    el(
      'tbody',
      {},
      days.map((day, index) =>
        el('tr', { dataset: { date: day } }, el('th', { scope: 'row' }, day), series.map((s) => el('td', { class: 'num', dataset: { series: s.key ?? s.label, value: s.values[index] ?? '' } }, s.values[index] === null ? '—' : format(s.values[index])))),
      ),
    ),
  );
  const panel = el('section', { class: 'panel', id, 'aria-label': title }, el('h2', {}, title), plotHost, el('details', {}, el('summary', {}, 'Show the numbers'), table));

  const uPlot = window.uPlot;
  const draw = () => {
    if (!uPlot || plotHost.dataset.drawn) return;
    const width = plotHost.clientWidth || 600;
    const options = {
      width,
      height,
      scales: { x: { time: true }, y: yRange ? { range: yRange } : {} },
      legend: { live: true },
      series: [
        { label: 'Date', value: (_u, seconds) => (seconds === null ? '—' : new Date(seconds * 1000).toISOString().slice(0, 10)) },
        ...series.map((s, index) => ({
          label: s.label,
          stroke: s.colour ?? COLOURS[index % COLOURS.length],
          width: s.width ?? 2,
          dash: s.dash,
          points: { show: days.length <= 31 },
          spanGaps: false,
          value: (_u, value) => (value === null || value === undefined ? '—' : format(value)),
        })),
      ],
      axes: [{}, { values: (_u, ticks) => ticks.map((tick) => format(tick)), size: 64 }],
    };
    const data = [days.map(dayToSeconds), ...series.map((s) => s.values)];
    const plot = new uPlot(options, data, plotHost);
    plotHost.dataset.drawn = 'true';
    new ResizeObserver(() => {
      const next = plotHost.clientWidth;
      if (next && Math.abs(next - plot.width) > 4) plot.setSize({ width: next, height });
    }).observe(plotHost);
  };
  // Drawn once the panel is in the document (uPlot needs the width).
  let frames = 0;
  const drawWhenShown = () => (plotHost.isConnected ? draw() : ++frames < 600 && window.requestAnimationFrame(drawWhenShown));
  queueMicrotask(drawWhenShown);
  return panel;
}
