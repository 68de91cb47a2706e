/**
 * End to end: the dashboard's webhooks section in real Chromium against the real service, its
 * dispatcher and a real receiver on 127.0.0.1. Add an endpoint (the secret shown once), send a
 * test message the receiver verifies with that secret, read the delivery log, redeliver, disable.
 */
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { startReceiver, type Received, type WebhookReceiver } from '../support/webhook-receiver.ts';

const hasChromium = chromiumAvailable('webhooks dashboard E2E');

describe.skipIf(!hasChromium)('dashboard webhooks section in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let receiver: WebhookReceiver;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    t = await createTestApp('pglite', { webhooks: { dispatch: true, allowPrivate: true, pollMs: 50 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    receiver = await startReceiver();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await t?.close();
  });

  const verify = (secret: string, request: Received) =>
    new Webhook(secret).verify(request.body, {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    });

  it('adds an endpoint, sends a test, shows the delivery log, redelivers and disables', async () => {
    const origin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    await page.goto(`${origin}/dashboard`);
    await page.getByLabel('Project secret key').fill(t.project.secretKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForSelector('#webhook-form');

    // A private address is refused with the API's message naming url.
    await page.getByLabel('URL').fill('http://169.254.169.254/latest');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await expect.poll(() => page.textContent('#webhook-message')).toMatch(/url: .*metadata/);

    await page.getByLabel('URL').fill(receiver.url);
    await page.getByLabel('Description').fill('CS alerts');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = (await (await page.waitForSelector('#webhook-secret code')).textContent())!;
    expect(secret).toMatch(/^whsec_/);
    const { webhooks } = (await t.app.inject({ method: 'GET', url: '/v1/webhooks', headers: { authorization: `Bearer ${t.project.secretKey}` } })).json();
    expect(webhooks).toHaveLength(1);
    expect(webhooks[0]).toMatchObject({ url: receiver.url, description: 'CS alerts', events: ['segment.entered', 'segment.exited'] });

    await page.getByRole('link', { name: 'Open its delivery log' }).click();
    await page.getByRole('button', { name: 'Send test' }).click();
    const [test] = await receiver.waitFor(1);
    expect(verify(secret, test!)).toMatchObject({ type: 'webhook.test' });
    const messageId = String(test!.headers['webhook-id']);
    // The log shows it delivered once the dispatcher has recorded the answer.
    await expect
      .poll(async () => {
        await page.getByRole('button', { name: 'Refresh log' }).click();
        return page.getAttribute(`#delivery-log tr[data-message="${messageId}"]`, 'data-status');
      }, { timeout: 10_000 })
      .toBe('delivered');
    expect(await page.textContent(`#delivery-log tr[data-message="${messageId}"]`)).toContain('200');

    await page.getByRole('button', { name: `Redeliver ${messageId}` }).click();
    const [, again] = await receiver.waitFor(2);
    expect(again!.headers['webhook-id']).toBe(messageId);

    await page.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => page.textContent('#webhook-list .webhook-state')).toContain('disabled: disabled through the API');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
