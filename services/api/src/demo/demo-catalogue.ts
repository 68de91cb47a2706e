/**
 * What the demo product looks like: a reporting tool whose customers create reports, share
 * dashboards, set alerts … Names, features and the score model the demo project gets.
 */
import type { ScoreModelFeatures } from '../db/tables/score-models.table.ts';

export const DEMO_ROLES = ['admin', 'manager', 'analyst', 'viewer'] as const;
export type DemoRole = (typeof DEMO_ROLES)[number];

export type DemoFeature = {
  event: string;
  weight: number;
  /** Progress-message label: "12 reports created". */
  label: string;
  /** Why it is worth using (shown when a user has never used it). */
  valueText: string;
  /** How often each role uses it, relative to the other features. */
  affinity: Record<DemoRole, number>;
};

/** The demo product's features, most valuable first. */
export const DEMO_FEATURES: readonly DemoFeature[] = [
  {
    event: 'Integration Connected',
    weight: 8,
    label: 'integrations connected',
    valueText: 'Connect your CRM or warehouse once and every report stays up to date by itself.',
    affinity: { admin: 3, manager: 0.3, analyst: 0.5, viewer: 0 },
  },
  {
    event: 'Alert Set',
    weight: 5,
    label: 'alerts set',
    valueText: 'Get an email or Slack message the moment a metric crosses a threshold.',
    affinity: { admin: 1, manager: 2, analyst: 2, viewer: 0.2 },
  },
  {
    event: 'Dashboard Shared',
    weight: 4,
    label: 'dashboards shared',
    valueText: 'Share a live dashboard with your team instead of sending screenshots.',
    affinity: { admin: 1, manager: 3, analyst: 2, viewer: 0.3 },
  },
  {
    event: 'Teammate Invited',
    weight: 4,
    label: 'teammates invited',
    valueText: 'Invite the colleagues who ask you for numbers, so they can look them up themselves.',
    affinity: { admin: 2, manager: 1, analyst: 0.3, viewer: 0.1 },
  },
  {
    event: 'Report Created',
    weight: 3,
    label: 'reports created',
    valueText: 'Turn a question into a report in two minutes, from any connected source.',
    affinity: { admin: 1, manager: 1.5, analyst: 5, viewer: 0.3 },
  },
  {
    event: 'Export Downloaded',
    weight: 2,
    label: 'exports downloaded',
    valueText: 'Download any report as CSV or Excel for the board pack.',
    affinity: { admin: 0.5, manager: 2, analyst: 2, viewer: 1 },
  },
  {
    event: 'Filter Saved',
    weight: 2,
    label: 'filters saved',
    valueText: 'Save the filters you use every week and get back to your view in one click.',
    affinity: { admin: 0.5, manager: 1, analyst: 3, viewer: 1 },
  },
  {
    event: 'Comment Added',
    weight: 1,
    label: 'comments added',
    valueText: 'Discuss a number right where it is, with the chart next to the conversation.',
    affinity: { admin: 0.5, manager: 2, analyst: 1, viewer: 2 },
  },
  {
    event: 'Dashboard Viewed',
    weight: 1,
    label: 'dashboards viewed',
    valueText: 'Your team\'s key numbers, refreshed every morning.',
    affinity: { admin: 2, manager: 4, analyst: 3, viewer: 6 },
  },
];

/** The score model the demo project gets as version 2 (version 1 is the implicit "every event counts 1"). */
export function demoScoreModelFeatures(): ScoreModelFeatures {
  return Object.fromEntries(DEMO_FEATURES.map((feature) => [feature.event, { weight: feature.weight, label: feature.label, valueText: feature.valueText }]));
}

export const DEMO_PAGES = ['Home', 'Dashboards', 'Reports', 'Alerts', 'Integrations', 'Settings', 'Billing'] as const;

export const DEMO_INDUSTRIES = ['Logistics', 'Healthcare', 'Retail', 'Fintech', 'Manufacturing', 'Media', 'Education', 'Travel', 'Energy', 'Insurance'] as const;

/** Company names: a first word and a second, unique pairs. */
export const COMPANY_FIRST = [
  'Northwind', 'Bluebird', 'Cobalt', 'Juniper', 'Kestrel', 'Lumen', 'Orchid', 'Harbor', 'Summit', 'Atlas',
  'Beacon', 'Cedar', 'Ember', 'Falcon', 'Granite', 'Helix', 'Keystone', 'Lattice', 'Maple', 'Nimbus',
  'Onyx', 'Pioneer', 'Quartz', 'Redwood', 'Sierra', 'Tidal', 'Vertex', 'Willow', 'Zephyr', 'Aurora',
  'Brightline', 'Copper', 'Driftwood', 'Evergreen', 'Foxglove', 'Goldfinch', 'Highland', 'Ironbark', 'Larkspur', 'Meridian',
] as const;
export const COMPANY_SECOND = [
  'Logistics', 'Health', 'Labs', 'Foods', 'Energy', 'Capital', 'Retail', 'Media', 'Robotics', 'Travel',
  'Insurance', 'Studios', 'Systems', 'Freight', 'Pharma', 'Analytics', 'Telecom', 'Motors', 'Outfitters', 'Learning',
] as const;

export const FIRST_NAMES = [
  'Ada', 'Alan', 'Amara', 'Ben', 'Carla', 'Chen', 'Dara', 'David', 'Elena', 'Emeka', 'Farah', 'Felix', 'Grace', 'Hana',
  'Hugo', 'Ines', 'Ivan', 'Jonas', 'Julia', 'Kai', 'Kofi', 'Lea', 'Leo', 'Lina', 'Marco', 'Maya', 'Mei', 'Nadia',
  'Noah', 'Olga', 'Omar', 'Paula', 'Priya', 'Rafael', 'Rosa', 'Sam', 'Sara', 'Tariq', 'Tess', 'Tomas', 'Uma', 'Victor',
  'Wen', 'Yara', 'Yusuf', 'Zoe',
] as const;
export const LAST_NAMES = [
  'Adams', 'Baker', 'Costa', 'Dubois', 'Evans', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen', 'Khan', 'Larsen',
  'Mensah', 'Novak', 'Okafor', 'Patel', 'Quinn', 'Rossi', 'Silva', 'Tanaka', 'Umarov', 'Varga', 'Weber', 'Xu',
  'Young', 'Zhang', 'Moreau', 'Nakamura', 'Oliveira', 'Kowalski',
] as const;
