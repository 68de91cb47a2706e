// The NPS category, defined once. Plain JavaScript (typed by nps-category.d.ts) because the
// dashboard shows it too: dashboard.route.ts serves this file at /dashboard/figures/nps-category.js.

export function npsCategory(score) {
  return score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';
}
