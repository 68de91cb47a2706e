import { el, errorBox, render } from '../dom.js';
import { formatNumber, formatSigned } from '../format.js';

/**
 * The score-model editor's comparison (GET /v1/score-models/compare): pick two versions (the
 * active one and the newest other by default) and see how they rank the accounts or users: the
 * Spearman rank correlation, how many moved, and the biggest movers each way.
 */
export function modelCompareSection(api, models) {
  const host = el('div', { id: 'model-compare-result' });
  const active = models.find((model) => model.status === 'active');
  const other = models.find((model) => model.version !== active?.version);
  const versionSelect = (id, selected) => el('select', { id }, models.map((model) => el('option', { value: model.version, selected: model.version === selected?.version }, `v${model.version} (${model.status})`)));
  const a = versionSelect('compare-a', active);
  const b = versionSelect('compare-b', other ?? active);
  const of = el('select', { id: 'compare-of' }, el('option', { value: 'accounts' }, 'accounts'), el('option', { value: 'users' }, 'users'));
  const compare = async () => {
    render(host, el('p', { class: 'muted' }, 'Comparing…'));
    try {
      render(host, comparisonView(await api.get('/v1/score-models/compare', { a: a.value, b: b.value, of: of.value })));
    } catch (error) {
      render(host, errorBox(error));
    }
  };
  if (other) compare();
  else render(host, el('p', { class: 'muted' }, 'Only one version so far: “Save as shadow” makes a second one to compare.'));
  return el(
    'section',
    { class: 'panel', id: 'model-compare' },
    el('h2', {}, 'Compare two versions'),
    el(
      'form',
      { class: 'toolbar', onsubmit: (event) => { event.preventDefault(); compare(); } },
      el('label', { for: 'compare-a' }, 'Version a', a),
      el('label', { for: 'compare-b' }, 'Version b', b),
      el('label', { for: 'compare-of' }, 'Rank', of),
      el('button', { type: 'submit', class: 'secondary' }, 'Compare'),
    ),
    host,
  );
}

function comparisonView(answer) {
  const rho = answer.spearman === null ? '—' : formatNumber(answer.spearman, 3);
  const movers = (caption, list) =>
    el(
      'table',
      {},
      el('caption', {}, caption),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, answer.of === 'users' ? 'User' : 'Account'), [`Rank v${answer.a.version}`, `Rank v${answer.b.version}`, 'Move', `Score v${answer.a.version}`, `Score v${answer.b.version}`].map((name) => el('th', { scope: 'col', class: 'num' }, name)))),
      el(
        'tbody',
        {},
        list.map((mover) =>
          el(
            'tr',
            { dataset: { id: mover.id } },
            el('th', { scope: 'row' }, mover.id),
            el('td', { class: 'num' }, formatNumber(mover.a.rank, 1)),
            el('td', { class: 'num' }, formatNumber(mover.b.rank, 1)),
            el('td', { class: `num ${mover.change > 0 ? 'delta-up' : 'delta-down'}` }, formatSigned(mover.change)),
            el('td', { class: 'num' }, formatNumber(mover.a.score, 2)),
            el('td', { class: 'num' }, formatNumber(mover.b.score, 2)),
          ),
        ),
        list.length ? null : el('tr', {}, el('td', { colspan: 6 }, 'None.')),
      ),
    );
  return el(
    'div',
    {},
    el(
      'p',
      { id: 'compare-summary', dataset: { spearman: answer.spearman === null ? '' : String(answer.spearman) } },
      `Spearman rank correlation ${rho} over ${formatNumber(answer.count)} ${answer.of} as of ${answer.asOf}: ${answer.movedUp} move up, ${answer.movedDown} down, ${answer.unchanged} keep their rank under v${answer.b.version}.`,
    ),
    el('div', { class: 'grid-2' }, movers('Biggest moves up', answer.up), movers('Biggest moves down', answer.down)),
  );
}
