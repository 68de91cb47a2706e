import { buildAll } from './bundle.ts';

const sri = await buildAll();
console.log('built dist/ (ESM + .d.ts, uptake.min.js); Subresource Integrity (dist/sri.json):');
for (const [file, hash] of Object.entries(sri)) console.log(`  ${file}  ${hash}`);
