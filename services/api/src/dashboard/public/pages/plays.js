import { mapConcurrently } from '../api.js';
import { el } from '../dom.js';
import { addDays, formatNumber, formatRatio, todayUtc } from '../format.js';
import { segmentList } from '../data.js';
import { playSentence } from './segments.js';

const RATIOS = new Set(['utilisation', 'utilisation30dAgo', 'utilisationChange']);

/** `utilisation 42 % · seats 25`: a transition's facts in words (ratios as percentages, lists joined). */
function factsText(facts) {
  return Object.entries(facts ?? {})
    .map(([name, value]) => {
      if (RATIOS.has(name)) return `${name} ${formatRatio(value)}`;
      if (Array.isArray(value)) return `${name} ${value.length === 0 ? '—' : value.map((item) => (typeof item === 'boolean' ? (item ? '✓' : '✗') : String(item))).join(' ')}`;
      if (typeof value === 'number') return `${name} ${formatNumber(value, Number.isInteger(value) ? 0 : 2)}`;
      return `${name} ${value === null ? '—' : String(value)}`;
    })
    .join(' · ');
}

const memberCell = (segment, memberId) =>
  segment.of === 'accounts' ? el('a', { href: `#/accounts/${encodeURIComponent(memberId)}` }, memberId) : memberId;

/**
 * #/plays — who entered and who left each segment in the last 7 days (today included), with the
 * facts that decided it and the play the segment calls for: the entries and exits the segment
 * watcher recorded (GET /v1/segments/:key/changes per segment; docs/plays.md).
 */
export async function playsPage({ api }) {
  const until = todayUtc();
  const since = addDays(until, -6);
  const list = await segmentList(api);
  const segments = list.segments.filter((segment) => !segment.key.includes('<') && !segment.key.endsWith(':'));
  const changes = await mapConcurrently(segments, 4, async (segment) => (await api.getAll(`/v1/segments/${encodeURIComponent(segment.key)}/changes`, { since, until })).items);
  const active = [];
  const quiet = [];
  segments.forEach((segment, index) => (changes[index].length > 0 ? active : quiet).push({ segment, items: changes[index] }));

  const sections = active.map(({ segment, items }) => {
    const entered = items.filter((item) => item.kind === 'entered').length;
    const play = playSentence(segment.key) ?? segment.description;
    return el(
      'section',
      { class: 'panel', 'data-segment': segment.key },
      el('h2', {}, segment.name, ' ', el('span', { class: 'muted' }, `${entered} entered, ${items.length - entered} left`)),
      play ? el('p', {}, el('strong', {}, 'Play: '), play) : null,
      el(
        'table',
        {},
        el('caption', {}, `Who entered and left ${segment.name} from ${since} to ${until}`),
        el('thead', {}, el('tr', {}, ...['Change', segment.of === 'accounts' ? 'Account' : 'User', 'Day', 'Facts'].map((name) => el('th', { scope: 'col' }, name)))),
        el(
          'tbody',
          {},
          items.map((item) =>
            el(
              'tr',
              { dataset: { kind: item.kind, member: item.memberId, transition: String(item.transitionId) } },
              el('td', {}, el('span', { class: `band band-${item.kind === 'entered' ? 'green' : 'none'}` }, item.kind === 'entered' ? 'Entered' : 'Left')),
              el('th', { scope: 'row' }, memberCell(segment, item.memberId)),
              el('td', {}, item.day),
              el('td', { class: 'muted' }, factsText(item.facts)),
            ),
          ),
        ),
      ),
    );
  });

  return el(
    'div',
    {},
    el('h1', {}, 'Plays this week'),
    el('p', { class: 'muted' }, `Who entered and left each segment from ${since} to ${until} (UTC), as the segment watcher recorded them, with the facts that decided it.`),
    sections.length === 0 ? el('p', { class: 'panel', id: 'plays-none' }, 'Nobody entered or left a segment this week.') : sections,
    quiet.length > 0 ? el('p', { class: 'muted', id: 'plays-quiet' }, `No changes this week: ${quiet.map(({ segment }) => segment.name).join(', ')}.`) : null,
  );
}
