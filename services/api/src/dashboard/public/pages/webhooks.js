/* global window, HashChangeEvent */
import { el, render } from '../dom.js';

const EVENTS = ['segment.entered', 'segment.exited', 'nps.response'];

const when = (iso) => (iso ? iso.replace('T', ' ').slice(0, 19) : '—');

/**
 * #/webhooks and #/webhooks/:id — the project's webhook endpoints (GET /v1/webhooks) with a form
 * to add one (its secret shown once), and one endpoint's delivery log
 * (GET /v1/webhooks/:id/deliveries) with a test send, redelivery and enable/disable
 * (docs/webhooks.md).
 */
export async function webhooksPage({ api, params, announce }) {
  const selectedId = params[0];
  const { webhooks } = await api.get('/v1/webhooks');
  const message = el('p', { role: 'status', id: 'webhook-message' });

  const list = el(
    'table',
    { id: 'webhook-list' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Endpoint'), el('th', { scope: 'col' }, 'Events'), el('th', { scope: 'col' }, 'Format'), el('th', { scope: 'col' }, 'State'))),
    el(
      'tbody',
      {},
      webhooks.length === 0
        ? el('tr', {}, el('td', { colspan: 4, class: 'muted' }, 'No endpoints yet.'))
        : webhooks.map((webhook) =>
            el(
              'tr',
              { dataset: { webhook: webhook.id }, 'aria-current': webhook.id === selectedId ? 'true' : undefined },
              el('td', {}, el('a', { href: `#/webhooks/${encodeURIComponent(webhook.id)}` }, webhook.url), webhook.description ? el('div', { class: 'muted' }, webhook.description) : null),
              el('td', {}, webhook.events.join(', '), webhook.segments ? el('div', { class: 'muted' }, webhook.segments.join(', ')) : null, webhook.npsCategories ? el('div', { class: 'muted' }, webhook.npsCategories.join(', ')) : null),
              el('td', {}, webhook.format),
              el('td', { class: 'webhook-state' }, webhook.enabled ? 'enabled' : `disabled: ${webhook.disabledReason ?? 'no reason given'}`),
            ),
          ),
    ),
  );

  const url = el('input', { id: 'webhook-url', type: 'url', required: true, placeholder: 'your receiver, http(s)', size: 40 });
  const description = el('input', { id: 'webhook-description', placeholder: 'optional' });
  const format = el('select', { id: 'webhook-format' }, el('option', { value: 'standard' }, 'standard (JSON)'), el('option', { value: 'slack' }, 'Slack incoming webhook'));
  const segments = el('input', { id: 'webhook-segments', placeholder: 'every segment (or keys, comma separated)' });
  const boxes = EVENTS.map((event) => el('input', { type: 'checkbox', id: `webhook-event-${event}`, value: event, checked: event !== 'nps.response' }));
  const secretBox = el('div', { id: 'webhook-secret', hidden: true });
  const form = el(
    'form',
    {
      id: 'webhook-form',
      onsubmit: async (event) => {
        event.preventDefault();
        const keys = segments.value.split(',').map((key) => key.trim()).filter(Boolean);
        const body = { url: url.value.trim(), description: description.value.trim(), format: format.value, events: boxes.filter((box) => box.checked).map((box) => box.value), ...(keys.length ? { segments: keys } : {}) };
        try {
          const created = await api.post('/v1/webhooks', body);
          render(
            secretBox,
            el('p', {}, 'Endpoint added. Its signing secret is shown this once; keep it where your receiver can read it:'),
            el('code', { class: 'secret' }, created.secret),
            el('p', {}, el('a', { href: `#/webhooks/${encodeURIComponent(created.id)}` }, 'Open its delivery log')),
          );
          secretBox.hidden = false;
          message.textContent = '';
        } catch (error) {
          message.textContent = `Not added: ${error.message}`;
        }
      },
    },
    el('h2', {}, 'Add an endpoint'),
    el('label', { for: 'webhook-url' }, 'URL', url),
    el('label', { for: 'webhook-description' }, 'Description', description),
    el('label', { for: 'webhook-format' }, 'Format', format),
    el('fieldset', {}, el('legend', {}, 'Events'), EVENTS.map((event, index) => el('label', { for: `webhook-event-${event}` }, boxes[index], ` ${event}`))),
    el('label', { for: 'webhook-segments' }, 'Segments', segments),
    el('button', { type: 'submit', class: 'primary' }, 'Add endpoint'),
    secretBox,
  );

  const detail = selectedId ? await endpointDetail(api, webhooks.find((webhook) => webhook.id === selectedId), selectedId, message, announce) : null;
  return el('section', { class: 'webhooks' }, el('h1', {}, 'Webhooks'), el('p', { class: 'muted' }, 'Signed deliveries of segment entries and exits and NPS answers to your tools (docs/webhooks.md).'), list, message, detail, el('div', { class: 'panel' }, form));
}

async function endpointDetail(api, webhook, id, message, announce) {
  if (!webhook) return el('p', { class: 'error', role: 'alert' }, `No endpoint ${id}.`);
  const base = `/v1/webhooks/${encodeURIComponent(id)}`;
  const log = el('div', { id: 'delivery-log' });
  const drawLog = async () => {
    const { items } = await api.get(`${base}/deliveries`, { limit: 50 });
    render(
      log,
      el(
        'table',
        {},
        el('thead', {}, el('tr', {}, ['Message', 'Type', 'Status', 'Attempts', 'Response', 'Latency', 'Last attempt', 'Next attempt', 'Error', ''].map((name) => el('th', { scope: 'col' }, name)))),
        el(
          'tbody',
          {},
          items.length === 0
            ? el('tr', {}, el('td', { colspan: 10, class: 'muted' }, 'No deliveries yet.'))
            : items.map((delivery) =>
                el(
                  'tr',
                  { dataset: { message: delivery.messageId, status: delivery.status } },
                  el('td', {}, el('code', {}, delivery.messageId)),
                  el('td', {}, delivery.type),
                  el('td', { class: 'delivery-status' }, delivery.status),
                  el('td', { class: 'num' }, String(delivery.attempts)),
                  el('td', { class: 'num' }, delivery.responseStatus === null ? '—' : String(delivery.responseStatus)),
                  el('td', { class: 'num' }, delivery.latencyMs === null ? '—' : `${delivery.latencyMs} ms`),
                  el('td', {}, when(delivery.lastAttemptAt)),
                  el('td', {}, when(delivery.nextAttemptAt)),
                  el('td', {}, delivery.error ?? ''),
                  el(
                    'td',
                    {},
                    el('button', {
                      type: 'button',
                      class: 'link-button',
                      'aria-label': `Redeliver ${delivery.messageId}`,
                      onclick: async () => {
                        await api.post(`${base}/deliveries/${encodeURIComponent(delivery.messageId)}/redeliver`, {});
                        message.textContent = `Redelivering ${delivery.messageId}.`;
                        await drawLog();
                      },
                    }, 'Redeliver'),
                  ),
                ),
              ),
        ),
      ),
    );
  };
  await drawLog();
  const toggle = el(
    'button',
    {
      type: 'button',
      id: 'webhook-toggle',
      onclick: async () => {
        await api.patch(base, { enabled: !webhook.enabled });
        message.textContent = webhook.enabled ? 'Endpoint disabled.' : 'Endpoint enabled: waiting deliveries go out now.';
        announce(message.textContent);
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      },
    },
    webhook.enabled ? 'Disable' : 'Enable',
  );
  return el(
    'div',
    { class: 'panel', id: 'webhook-detail' },
    el('h2', {}, webhook.url),
    webhook.enabled ? null : el('p', { class: 'error' }, `Disabled: ${webhook.disabledReason ?? 'no reason given'}`),
    webhook.failingSince ? el('p', { class: 'muted' }, `Failing since ${when(webhook.failingSince)}`) : null,
    el(
      'p',
      {},
      el('button', {
        type: 'button',
        id: 'webhook-test',
        class: 'primary',
        onclick: async () => {
          const sent = await api.post(`${base}/test`, {});
          message.textContent = `Test message ${sent.messageId} queued.`;
          await drawLog();
        },
      }, 'Send test'),
      ' ',
      el('button', { type: 'button', id: 'webhook-refresh', onclick: () => drawLog() }, 'Refresh log'),
      ' ',
      toggle,
    ),
    log,
  );
}
