import { build } from './bundle.ts';

await build();
console.log('built dist/ (ESM + .d.ts) of @uptake/react');
