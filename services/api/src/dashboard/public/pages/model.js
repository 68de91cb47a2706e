/* global structuredClone */
import { mapConcurrently } from '../api.js';
import { forget } from '../data.js';
import { el, render } from '../dom.js';
import { formatNumber, formatSigned } from '../format.js';
import { percentiles, previewable, previewScore } from '../score-preview.js';
import { modelCompareSection } from './model-compare.js';

/**
 * #/model — the score model's versions (GET /v1/score-models) and an editor for weights and
 * labels. The preview is computed here from every account's version-1 breakdown (exact for the
 * window and cap of version 1; see score-preview.js); nothing is saved until "Save" (a new active
 * version) or "Save as shadow" (activate: false, then compared with ?model=). 
 */
export async function modelPage({ api, announce }) {
  const [{ models }, ranked] = await Promise.all([api.get('/v1/score-models'), api.getAll('/v1/scores/accounts')]);
  announce('Loading score breakdowns…');
  const baseModel = models.find((model) => model.version === 1);
  const active = models.find((model) => model.status === 'active');
  const breakdowns = await mapConcurrently(ranked.items, 6, (row) => api.get(`/v1/accounts/${encodeURIComponent(row.accountId)}/score`, { model: 1 }));
  announce('');
  const events = [...new Set(breakdowns.flatMap((answer) => answer.breakdown.map((row) => row.event)))].sort();

  // The editor starts from the active model; version 1 names no features: every event, weight 1.
  const start = active.everyTrackEvent ? Object.fromEntries(events.map((event) => [event, { weight: 1, label: event }])) : structuredClone(active.features);
  const rows = new Map();
  const featureBody = el('tbody', {});
  const addRow = (event, feature) => {
    const id = `feature-${rows.size}`;
    const weight = el('input', { id: `${id}-weight`, type: 'number', min: 0, step: 'any', value: feature?.weight ?? 0, class: 'weight', 'aria-label': `Weight of ${event}` });
    const label = el('input', { id: `${id}-label`, value: feature?.label ?? event, 'aria-label': `Label of ${event}` });
    const valueText = el('input', { id: `${id}-value`, value: feature?.valueText ?? '', placeholder: 'optional', 'aria-label': `Why ${event} matters (value text)` });
    rows.set(event, { weight, label, valueText });
    for (const input of [weight, label, valueText]) input.addEventListener('input', drawPreview);
    featureBody.append(el('tr', { dataset: { event } }, el('th', { scope: 'row' }, event, events.includes(event) ? null : el('div', { class: 'muted' }, 'not seen in the last 30 days')), el('td', {}, weight), el('td', {}, label), el('td', {}, valueText)));
  };
  for (const event of [...new Set([...Object.keys(start), ...events])].sort()) addRow(event, start[event] ?? { weight: 0, label: event });

  const windowDays = el('input', { id: 'model-window', type: 'number', min: 1, max: 365, value: active.windowDays, oninput: () => drawPreview() });
  const dailyCap = el('input', { id: 'model-cap', type: 'number', min: 1, max: 100000, value: active.dailyCap, oninput: () => drawPreview() });
  const newEvent = el('input', { id: 'new-feature', placeholder: 'Track event name' });
  const previewHost = el('div', { id: 'model-preview' });
  const message = el('p', { role: 'status' });

  const proposed = () => {
    const features = {};
    for (const [event, inputs] of rows) {
      const weight = Number(inputs.weight.value);
      if (!(weight > 0)) continue; // weight 0 or empty: not a feature of the new model
      features[event] = { weight, label: inputs.label.value.trim() || event, ...(inputs.valueText.value.trim() ? { valueText: inputs.valueText.value.trim() } : {}) };
    }
    return { features, windowDays: Number(windowDays.value), dailyCap: Number(dailyCap.value) };
  };

  function drawPreview() {
    const model = proposed();
    if (!previewable(model, baseModel)) {
      render(previewHost, el('p', { class: 'muted' }, `A preview in the browser needs window ${baseModel.windowDays} days and cap ${baseModel.dailyCap} (the counts it starts from). For other values, “Save as shadow” makes a version that is not active and compares its scores from the API.`));
      return;
    }
    const now = ranked.items.map((row) => row.score);
    const next = breakdowns.map((answer) => previewScore(answer.breakdown, model.features));
    const nextPercentiles = percentiles(next);
    const compared = ranked.items.map((row, index) => ({ accountId: row.accountId, score: now[index], percentile: row.percentile, next: next[index], nextPercentile: nextPercentiles[index] }));
    compared.sort((a, b) => Math.abs(b.nextPercentile - b.percentile) - Math.abs(a.nextPercentile - a.percentile) || b.next - a.next);
    render(previewHost, comparisonTable(`Preview: v${active.version} now → proposed (computed in the browser, nothing saved)`, compared));
  }

  const save = async (activate) => {
    const model = proposed();
    if (Object.keys(model.features).length === 0) {
      message.textContent = 'Give at least one feature a weight above 0.';
      return;
    }
    try {
      const saved = await api.post('/v1/score-models', { ...model, activate });
      forget();
      if (activate) {
        message.textContent = `Saved and activated version ${saved.version}. Scores now use it; version ${active.version} stays queryable with ?model=${active.version}.`;
        return;
      }
      message.textContent = `Saved shadow version ${saved.version}. Comparing with the API…`;
      const [current, shadow] = await Promise.all([api.getAll('/v1/scores/accounts'), api.getAll('/v1/scores/accounts', { model: saved.version })]);
      const shadowById = new Map(shadow.items.map((item) => [item.accountId, item]));
      const compared = current.items.map((item) => ({ accountId: item.accountId, score: item.score, percentile: item.percentile, next: shadowById.get(item.accountId)?.score ?? 0, nextPercentile: shadowById.get(item.accountId)?.percentile ?? 0 }));
      render(previewHost, comparisonTable(`Shadow version ${saved.version} vs active version ${current.model.version} (from the API, ?model=${saved.version})`, compared));
      message.textContent = `Saved shadow version ${saved.version}.`;
    } catch (error) {
      message.textContent = `Not saved: ${error.message}`;
    }
  };

  drawPreview();
  return el(
    'div',
    {},
    el('h1', {}, 'Score model'),
    el(
      'table',
      { id: 'model-versions' },
      el('caption', {}, 'Versions'),
      el('thead', {}, el('tr', {}, ['Version', 'Status', 'Features', 'Window', 'Daily cap', 'Created'].map((name) => el('th', { scope: 'col' }, name)))),
      el('tbody', {}, models.map((model) => el('tr', {}, el('th', { scope: 'row' }, `v${model.version}`), el('td', {}, model.status), el('td', {}, model.everyTrackEvent ? 'every track event, weight 1' : Object.values(model.features).map((feature) => `${feature.label} ×${feature.weight}`).join(', ') || '—'), el('td', {}, `${model.windowDays} d`), el('td', {}, String(model.dailyCap)), el('td', {}, model.createdAt?.slice(0, 10) ?? '—')))),
    ),
    el('h2', {}, 'Edit weights and labels'),
    el('p', { class: 'muted' }, `Starts from the active version v${active.version}. A weight of 0 leaves the event out. Saving never changes a version: it makes the next one.`),
    el(
      'form',
      { onsubmit: (event) => event.preventDefault() },
      el(
        'table',
        { id: 'model-features' },
        el('caption', { class: 'visually-hidden' }, 'Features of the proposed model'),
        el('thead', {}, el('tr', {}, ['Event', 'Weight', 'Label', 'Value text'].map((name) => el('th', { scope: 'col' }, name)))),
        featureBody,
      ),
      el(
        'div',
        { class: 'toolbar' },
        el('label', { for: 'new-feature' }, 'Add a feature', newEvent),
        el('button', { type: 'button', class: 'secondary', onclick: () => { const name = newEvent.value.trim(); if (name && !rows.has(name)) { addRow(name, { weight: 1, label: name }); newEvent.value = ''; drawPreview(); } } }, 'Add'),
        el('label', { for: 'model-window' }, 'Window (days)', windowDays),
        el('label', { for: 'model-cap' }, 'Daily cap', dailyCap),
        el('button', { type: 'button', class: 'secondary', id: 'save-shadow', onclick: () => save(false) }, 'Save as shadow'),
        el('button', { type: 'button', class: 'primary', id: 'save-active', onclick: () => save(true) }, 'Save and activate'),
      ),
      message,
    ),
    el('section', { class: 'panel' }, previewHost),
    modelCompareSection(api, models),
  );
}

function comparisonTable(caption, compared) {
  return el(
    'table',
    { id: 'preview-table' },
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Account'), ['Score now', 'Score', 'Change', 'Percentile now', 'Percentile'].map((name) => el('th', { scope: 'col', class: 'num' }, name)))),
    el(
      'tbody',
      {},
      compared.map((row) => {
        const delta = row.next - row.score;
        return el(
          'tr',
          { dataset: { accountId: row.accountId, next: String(row.next) } },
          el('th', { scope: 'row' }, row.accountId),
          el('td', { class: 'num' }, formatNumber(row.score, 2)),
          el('td', { class: 'num' }, formatNumber(row.next, 2)),
          el('td', { class: `num ${delta > 0 ? 'delta-up' : delta < 0 ? 'delta-down' : ''}` }, formatSigned(Math.round(delta * 100) / 100)),
          el('td', { class: 'num' }, formatNumber(row.percentile)),
          el('td', { class: 'num' }, formatNumber(row.nextPercentile)),
        );
      }),
    ),
  );
}
