import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: `npx playwright install` cannot download browsers here, CI installs this one. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether the real-browser tests can run; when not, says why once so a skipped suite is visible.
 *
 * @example
 * describe.skipIf(!chromiumAvailable('dashboard E2E'))('dashboard in Chromium', () => { … });
 */
export function chromiumAvailable(suite: string): boolean {
  const available = existsSync(CHROMIUM);
  if (!available) console.warn(`${suite} skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);
  return available;
}

/** Headless Chromium as root in a sandbox without network: no sandbox, no background traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}
