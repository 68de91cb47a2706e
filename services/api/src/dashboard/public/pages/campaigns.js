/* global window, HashChangeEvent */
import { el, render } from '../dom.js';
import { formatNumber, formatRatio } from '../format.js';

const KINDS = ['welcome', 'missing-value', 'achievements', 'win-back', 'nps-follow-up', 'custom'];
const TRAIT_OPS = ['eq', 'neq', 'exists', 'gt', 'lt'];
const PLACEHOLDERS = '{{firstName}}, {{accountName}}, {{featureLabel}}, {{featureValueText}}, {{monthCount}}, {{topFeatureLabel}}, {{topFeatureCount}}, {{npsScore}}';

/** What a new campaign's form starts from: the API's defaults (docs/campaigns.md). */
const BLANK = {
  name: '',
  kind: 'custom',
  enabled: false,
  audience: { segments: [], traits: [] },
  message: { format: 'card', title: '', body: '', cta: null },
  schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 0 },
  holdoutShare: 0.1,
  goal: { kind: 'event', event: '', withinDays: 14 },
};

const goalText = (goal) => (goal.kind === 'event' ? `${goal.event} within ${goal.withinDays} d` : `leaves ${goal.segment} within ${goal.withinDays} d`);
const frequencyText = (frequency) => (frequency.kind === 'once' ? 'once per user' : `every ${frequency.days} d`);
/** An absolute difference of rates in percentage points: 0.034 → "+3.4 pp". */
const points = (value) => (value === null || value === undefined ? '—' : `${value > 0 ? '+' : ''}${(value * 100).toFixed(1)} pp`);

/**
 * #/campaigns and #/campaigns/:id (#/campaigns/new) — in-app campaigns (docs/campaigns.md): the
 * list (GET /v1/campaigns), a form over every field of a campaign (POST, PATCH; the API's 400 is
 * shown next to the field its `path` names), a preview of what one user would see
 * (GET /v1/campaigns/:id/preview) and the results against the holdout with the lift and its 95 %
 * confidence interval (GET /v1/campaigns/:id/results).
 */
export async function campaignsPage({ api, params, announce }) {
  const selectedId = params[0];
  const { campaigns } = await api.get('/v1/campaigns');
  const list = el(
    'table',
    { id: 'campaign-list' },
    el('thead', {}, el('tr', {}, ['Campaign', 'Kind', 'Format', 'Audience', 'Frequency', 'Priority', 'Holdout', 'State'].map((name) => el('th', { scope: 'col' }, name)))),
    el(
      'tbody',
      {},
      campaigns.length === 0
        ? el('tr', {}, el('td', { colspan: 8, class: 'muted' }, 'No campaigns yet.'))
        : campaigns.map((campaign) =>
            el(
              'tr',
              { dataset: { campaign: campaign.id }, 'aria-current': campaign.id === selectedId ? 'true' : undefined },
              el('td', {}, el('a', { href: `#/campaigns/${encodeURIComponent(campaign.id)}` }, campaign.name)),
              el('td', {}, campaign.kind),
              el('td', {}, campaign.message.format),
              el('td', {}, campaign.audience.segments.map((key) => el('span', { class: 'chip' }, key)), campaign.audience.traits.length ? el('div', { class: 'muted' }, `${campaign.audience.traits.length} trait condition(s)`) : null),
              el('td', {}, frequencyText(campaign.schedule.frequency)),
              el('td', { class: 'num' }, String(campaign.schedule.priority)),
              el('td', { class: 'num' }, formatRatio(campaign.holdoutShare)),
              el('td', { class: 'campaign-state' }, campaign.enabled ? 'on' : 'off'),
            ),
          ),
    ),
  );
  const header = [
    el('h1', {}, 'Campaigns'),
    el('p', { class: 'muted' }, 'In-app messages to segments, under one contact budget with the NPS prompt, measured against a holdout (docs/campaigns.md).'),
    list,
    el('p', {}, el('a', { href: '#/campaigns/new', id: 'campaign-new' }, 'New campaign')),
  ];
  if (!selectedId) return el('section', { class: 'campaigns' }, header);
  if (selectedId === 'new') return el('section', { class: 'campaigns' }, header, campaignForm(api, BLANK, null, announce));
  const campaign = campaigns.find((candidate) => candidate.id === selectedId);
  if (!campaign) return el('section', { class: 'campaigns' }, header, el('p', { class: 'error', role: 'alert' }, `No campaign ${selectedId}.`));
  return el(
    'section',
    { class: 'campaigns' },
    header,
    await resultsPanel(api, campaign),
    previewPanel(api, campaign),
    campaignForm(api, campaign, campaign.id, announce),
  );
}

/** A labelled input whose errors show next to it; `path` is the API's name of the field. */
function field(id, label, input, path, hint) {
  input.id = id;
  input.dataset.path = path;
  const problem = el('span', { class: 'field-error', id: `${id}-error`, hidden: true });
  return el('label', { for: id }, label, input, hint ? el('span', { class: 'muted' }, hint) : null, problem);
}

const options = (values, selected) => values.map((value) => el('option', { value, selected: value === selected }, value));
/** ISO time → the value of an <input type="datetime-local"> in UTC ("2026-12-06T09:00"). */
const toLocalInput = (iso) => (iso ? new Date(iso).toISOString().slice(0, 16) : '');
const fromLocalInput = (value) => (value ? `${value}:00Z` : null);

function traitRow(condition, index, onRemove) {
  const trait = el('input', { value: condition.trait ?? '', placeholder: 'trait, e.g. plan', 'aria-label': `Condition ${index + 1}: trait`, dataset: { path: `audience.traits[${index}].trait` } });
  const op = el('select', { 'aria-label': `Condition ${index + 1}: operator`, dataset: { path: `audience.traits[${index}].op` } }, options(TRAIT_OPS, condition.op ?? 'eq'));
  const value = el('input', { value: condition.value === undefined ? '' : String(condition.value), placeholder: 'value', 'aria-label': `Condition ${index + 1}: value`, dataset: { path: `audience.traits[${index}].value` } });
  const row = el('div', { class: 'trait-row toolbar' }, trait, op, value, el('button', { type: 'button', class: 'secondary', onclick: () => onRemove(row) }, 'Remove'));
  row.read = () => {
    const text = value.value.trim();
    if (op.value === 'exists' || text === '') return { trait: trait.value.trim(), op: op.value };
    // Booleans and numbers as the API compares them; anything else as text (a non-number with
    // gt/lt is the API's to refuse, next to this input).
    const typed = text === 'true' ? true : text === 'false' ? false : Number.isFinite(Number(text)) ? Number(text) : text;
    return { trait: trait.value.trim(), op: op.value, value: typed };
  };
  return row;
}

/** The create/edit form: every field of the contract, sent whole (POST or PATCH). */
function campaignForm(api, campaign, id, announce) {
  const message = el('p', { role: 'status', id: 'campaign-message' });
  const inputs = {
    name: el('input', { value: campaign.name, required: true, size: 40 }),
    kind: el('select', {}, options(KINDS, campaign.kind)),
    enabled: el('input', { type: 'checkbox', checked: campaign.enabled }),
    segments: el('input', { value: campaign.audience.segments.join(', '), size: 40, placeholder: 'feature-unused:Alert Set, dormant' }),
    format: el('select', {}, options(['card', 'banner'], campaign.message.format)),
    title: el('input', { value: campaign.message.title, size: 60 }),
    body: el('textarea', { rows: 3, cols: 60 }, campaign.message.body),
    ctaLabel: el('input', { value: campaign.message.cta?.label ?? '' }),
    ctaUrl: el('input', { value: campaign.message.cta?.url ?? '', size: 40, placeholder: '/path, or an https URL' }),
    startsAt: el('input', { type: 'datetime-local', value: toLocalInput(campaign.schedule.startsAt) }),
    endsAt: el('input', { type: 'datetime-local', value: toLocalInput(campaign.schedule.endsAt) }),
    frequency: el('select', {}, el('option', { value: 'once', selected: campaign.schedule.frequency.kind === 'once' }, 'once per user'), el('option', { value: 'every', selected: campaign.schedule.frequency.kind === 'every' }, 'every N days')),
    frequencyDays: el('input', { type: 'number', min: 1, step: 1, value: campaign.schedule.frequency.days ?? 30 }),
    priority: el('input', { type: 'number', step: 1, value: campaign.schedule.priority }),
    holdoutShare: el('input', { type: 'number', min: 0, max: 0.5, step: 0.01, value: campaign.holdoutShare }),
    goalKind: el('select', {}, el('option', { value: 'event', selected: campaign.goal.kind === 'event' }, 'an event'), el('option', { value: 'segment-exit', selected: campaign.goal.kind === 'segment-exit' }, 'leaving a segment')),
    goalTarget: el('input', { value: campaign.goal.kind === 'event' ? campaign.goal.event : campaign.goal.segment, placeholder: 'event name or segment key' }),
    goalDays: el('input', { type: 'number', min: 1, step: 1, value: campaign.goal.withinDays }),
  };
  const traits = el('div', { id: 'campaign-traits', dataset: { path: 'audience.traits' }, tabindex: -1 });
  const removeRow = (row) => row.remove();
  campaign.audience.traits.forEach((condition, index) => traits.append(traitRow(condition, index, removeRow)));

  const goalPath = () => (inputs.goalKind.value === 'event' ? 'goal.event' : 'goal.segment');
  const read = () => ({
    name: inputs.name.value.trim(),
    kind: inputs.kind.value,
    enabled: inputs.enabled.checked,
    audience: { segments: inputs.segments.value.split(',').map((key) => key.trim()).filter(Boolean), traits: [...traits.children].map((row) => row.read()) },
    message: {
      format: inputs.format.value,
      title: inputs.title.value,
      body: inputs.body.value,
      cta: inputs.ctaLabel.value.trim() || inputs.ctaUrl.value.trim() ? { label: inputs.ctaLabel.value.trim(), url: inputs.ctaUrl.value.trim() } : null,
    },
    schedule: {
      startsAt: fromLocalInput(inputs.startsAt.value),
      endsAt: fromLocalInput(inputs.endsAt.value),
      frequency: inputs.frequency.value === 'once' ? { kind: 'once' } : { kind: 'every', days: Number(inputs.frequencyDays.value) },
      priority: Number(inputs.priority.value),
    },
    holdoutShare: Number(inputs.holdoutShare.value),
    goal: inputs.goalKind.value === 'event' ? { kind: 'event', event: inputs.goalTarget.value.trim(), withinDays: Number(inputs.goalDays.value) } : { kind: 'segment-exit', segment: inputs.goalTarget.value.trim(), withinDays: Number(inputs.goalDays.value) },
  });

  const form = el(
    'form',
    { id: 'campaign-form', novalidate: true },
    el('h2', {}, id ? 'Edit campaign' : 'New campaign'),
    el('div', { class: 'toolbar' }, field('campaign-name', 'Name', inputs.name, 'name'), field('campaign-kind', 'Kind', inputs.kind, 'kind'), field('campaign-enabled', 'On', inputs.enabled, 'enabled')),
    el(
      'fieldset',
      {},
      el('legend', {}, 'Who'),
      field('campaign-segments', 'Segments', inputs.segments, 'audience.segments', 'user segment keys, comma separated (a user in any of them)'),
      el('p', { class: 'muted' }, 'Trait conditions (all must hold):'),
      traits,
      el('span', { class: 'field-error', id: 'campaign-traits-error', hidden: true }),
      el('button', { type: 'button', class: 'secondary', id: 'campaign-add-trait', onclick: () => traits.append(traitRow({}, traits.children.length, removeRow)) }, 'Add condition'),
    ),
    el(
      'fieldset',
      {},
      el('legend', {}, 'What'),
      el('div', { class: 'toolbar' }, field('campaign-format', 'Format', inputs.format, 'message.format')),
      field('campaign-title', 'Title', inputs.title, 'message.title'),
      field('campaign-body', 'Body', inputs.body, 'message.body', `placeholders: ${PLACEHOLDERS}`),
      el('div', { class: 'toolbar' }, field('campaign-cta-label', 'Button label', inputs.ctaLabel, 'message.cta.label'), field('campaign-cta-url', 'Button URL', inputs.ctaUrl, 'message.cta.url')),
    ),
    el(
      'fieldset',
      {},
      el('legend', {}, 'When'),
      el(
        'div',
        { class: 'toolbar' },
        field('campaign-starts', 'Starts (UTC)', inputs.startsAt, 'schedule.startsAt'),
        field('campaign-ends', 'Ends (UTC)', inputs.endsAt, 'schedule.endsAt'),
        field('campaign-frequency', 'Frequency', inputs.frequency, 'schedule.frequency'),
        field('campaign-frequency-days', 'Days between', inputs.frequencyDays, 'schedule.frequency.days'),
        field('campaign-priority', 'Priority', inputs.priority, 'schedule.priority', 'higher first'),
      ),
    ),
    el(
      'fieldset',
      {},
      el('legend', {}, 'Measure'),
      el(
        'div',
        { class: 'toolbar' },
        field('campaign-holdout', 'Holdout share', inputs.holdoutShare, 'holdoutShare', '0–0.5 of the audience, never shown'),
        field('campaign-goal-kind', 'Goal', inputs.goalKind, 'goal.kind'),
        field('campaign-goal-target', 'Event or segment', inputs.goalTarget, 'goal.event'),
        field('campaign-goal-days', 'Within days', inputs.goalDays, 'goal.withinDays'),
      ),
    ),
    el('p', {}, el('button', { type: 'submit', class: 'primary' }, id ? 'Save campaign' : 'Create campaign'), ' ', id ? el('button', { type: 'button', class: 'secondary', id: 'campaign-delete', onclick: remove }, 'Delete') : null),
    message,
  );
  inputs.goalKind.addEventListener('change', () => (inputs.goalTarget.dataset.path = goalPath()));
  inputs.goalTarget.dataset.path = goalPath();

  const clearErrors = () => {
    for (const node of form.querySelectorAll('.field-error')) node.hidden = true;
    for (const node of form.querySelectorAll('[aria-invalid]')) {
      node.removeAttribute('aria-invalid');
      node.removeAttribute('aria-describedby');
    }
  };
  /** Shows the API's message next to the field its path names (or its nearest named parent). */
  const showError = (error) => {
    const byPath = new Map([...form.querySelectorAll('[data-path]')].map((node) => [node.dataset.path, node]));
    // `audience.traits[0].value` → that row's input; a path no input has → its nearest parent that has one.
    const parent = (path) => path.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
    let path = error.path ?? '';
    while (path && !byPath.has(path)) path = parent(path) === path ? '' : parent(path);
    const target = byPath.get(path);
    const problem = target && (form.querySelector(`#${target.id}-error`) ?? target.closest('label')?.querySelector('.field-error') ?? form.querySelector('#campaign-traits-error'));
    if (!target || !problem) {
      message.textContent = `Not saved: ${error.message}`;
      return;
    }
    problem.textContent = error.message;
    problem.hidden = false;
    target.setAttribute('aria-invalid', 'true');
    target.setAttribute('aria-describedby', problem.id);
    message.textContent = 'Not saved: see the marked field.';
    target.focus();
  };

  async function remove() {
    if (!window.confirm(`Delete the campaign “${campaign.name}”? Its results go with it.`)) return;
    await api.delete(`/v1/campaigns/${encodeURIComponent(id)}`);
    announce('Campaign deleted.');
    window.location.hash = '#/campaigns';
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors();
    try {
      const saved = id ? await api.patch(`/v1/campaigns/${encodeURIComponent(id)}`, read()) : await api.post('/v1/campaigns', read());
      announce(id ? 'Campaign saved.' : 'Campaign created.');
      if (window.location.hash === `#/campaigns/${encodeURIComponent(saved.id)}`) window.dispatchEvent(new HashChangeEvent('hashchange'));
      else window.location.hash = `#/campaigns/${encodeURIComponent(saved.id)}`;
    } catch (error) {
      if (error.status === 400) showError(error);
      else message.textContent = `Not saved: ${error.message}`;
    }
  });
  return el('div', { class: 'panel' }, form);
}

/** What one user would see (the ledger, the holdout and `enabled` aside). */
function previewPanel(api, campaign) {
  const userId = el('input', { id: 'campaign-preview-user', required: true, placeholder: 'a user id' });
  const out = el('div', { id: 'campaign-preview', 'aria-live': 'polite' });
  const form = el(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const preview = await api.get(`/v1/campaigns/${encodeURIComponent(campaign.id)}/preview`, { userId: userId.value.trim() });
          const shown = preview.message;
          render(
            out,
            el('p', { dataset: { eligible: String(preview.eligible) } }, preview.eligible ? 'Eligible: this user would get the message.' : `Not eligible: ${preview.reason}.`),
            shown
              ? el(
                  'div',
                  { class: `message-preview message-${shown.format}` },
                  el('strong', { class: 'message-title' }, shown.title),
                  el('p', { class: 'message-body' }, shown.body),
                  shown.cta ? el('span', { class: 'message-cta' }, `${shown.cta.label} → ${shown.cta.url}`) : null,
                )
              : el('p', { class: 'muted' }, 'No message to show for this user (unknown user, or a placeholder has no value for them).'),
          );
        } catch (error) {
          render(out, el('p', { class: 'error', role: 'alert' }, `Could not preview: ${error.message}`));
        }
      },
    },
    el('div', { class: 'toolbar' }, el('label', { for: 'campaign-preview-user' }, 'Preview as user', userId), el('button', { type: 'submit', class: 'secondary' }, 'Preview')),
  );
  return el('div', { class: 'panel' }, el('h2', {}, 'Preview'), form, out);
}

/** Exposed against holdout, the lift and its 95 % confidence interval. */
async function resultsPanel(api, campaign) {
  const results = await api.get(`/v1/campaigns/${encodeURIComponent(campaign.id)}/results`);
  const { exposed, holdout, lift, relativeLift, confidenceInterval: interval } = results;
  const row = (label, group, extra) =>
    el(
      'tr',
      { dataset: { group: label } },
      el('th', { scope: 'row' }, label),
      el('td', { class: 'num' }, formatNumber(group.users)),
      ...extra.map((value) => el('td', { class: 'num' }, value === null ? '—' : formatNumber(value))),
      el('td', { class: 'num' }, formatNumber(group.converted)),
      el('td', { class: 'num' }, formatRatio(group.rate, 1)),
    );
  const verdict =
    interval === null
      ? 'Not enough users yet in one of the groups to compare.'
      : interval.low > 0
        ? 'The campaign worked: the whole interval is above zero.'
        : interval.high < 0
          ? 'The campaign hurt: the whole interval is below zero.'
          : 'Not shown to work yet: the interval includes zero.';
  return el(
    'div',
    { class: 'panel', id: 'campaign-results' },
    el('h2', {}, `Results: ${campaign.name}`),
    el('p', { class: 'muted' }, `Goal: ${goalText(results.goal)} of being eligible.`),
    el(
      'table',
      {},
      el('thead', {}, el('tr', {}, ['', 'Users', 'Shown', 'Clicked', 'Dismissed', 'Converted', 'Rate'].map((name) => el('th', { scope: 'col', class: name && name !== 'Users' ? 'num' : undefined }, name)))),
      el('tbody', {}, row('exposed', exposed, [exposed.shown, exposed.clicked, exposed.dismissed]), row('holdout', holdout, [null, null, null])),
    ),
    el(
      'div',
      { class: 'cards' },
      el('div', { class: 'card', dataset: { metric: 'lift', value: lift ?? '' } }, el('div', { class: 'label' }, 'Lift'), el('div', { class: 'value' }, points(lift)), el('div', { class: 'note' }, relativeLift === null ? 'relative: —' : `relative: ${formatRatio(relativeLift, 0)}`)),
      el(
        'div',
        { class: 'card', dataset: { metric: 'confidence-interval', value: interval ? `${interval.low},${interval.high}` : '' } },
        el('div', { class: 'label' }, '95 % confidence interval'),
        el('div', { class: 'value' }, interval ? `${points(interval.low)} to ${points(interval.high)}` : '—'),
      ),
    ),
    el('p', { id: 'campaign-verdict' }, verdict),
  );
}
