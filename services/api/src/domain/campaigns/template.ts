import type { CampaignPlaceholder } from '@uptake/protocol';
import { placeholdersOf } from '@uptake/protocol';

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;

/**
 * A logic-less template filled with plain-text values: every `{{name}}` replaced by its value as
 * is (no markup is interpreted, here or in the SDK, which renders with textContent); undefined
 * when a placeholder has no value for this user (the campaign then does not qualify).
 *
 * @example
 * fillTemplate("You're missing {{featureLabel}}", { featureLabel: 'alerts' }) // → "You're missing alerts"
 */
export function fillTemplate(template: string, values: Partial<Record<CampaignPlaceholder, string>>): string | undefined {
  if (placeholdersOf(template).some((name) => values[name as CampaignPlaceholder] === undefined)) return undefined;
  return template.replace(PLACEHOLDER, (_match, name: string) => values[name as CampaignPlaceholder]!);
}
