/**
 * `@uptake/react`: React bindings for `@uptake/browser`. One provider starts one SDK instance;
 * hooks call it; the widget components load their entry points only when they render.
 */
export { UptakeProvider, type UptakeProviderProps } from './provider.js';
export { useUptake, useTrack, usePageViews, type RouterLocation } from './hooks.js';
export { NpsPrompt, ProgressCard, type NpsPromptProps, type ProgressCardProps } from './widgets.js';
export type { UptakeCalls } from './deferred-uptake.js';
export type { WidgetHandle } from '@uptake/browser/nps';
