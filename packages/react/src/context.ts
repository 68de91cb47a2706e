import { createContext } from 'react';
import type { DeferredUptake } from './deferred-uptake.js';

/** What a provider gives the components under it: its SDK stand-in, and where the widgets ask. */
export type UptakeContextValue = { deferred: DeferredUptake; writeKey: string; host: string };

export const UptakeContext = /* @__PURE__ */ createContext<UptakeContextValue | null>(null);
