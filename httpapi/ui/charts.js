// Charts of the console, drawn as inline SVG built node by node.

import { h, s } from './dom.js';

// mismatchChart draws quarantined digest mismatches per day as bars.
export function mismatchChart(items) {
  const days = new Map();
  for (const it of items) {
    const d = (it.quarantined_at || '').slice(0, 10);
    days.set(d, (days.get(d) || 0) + 1);
  }
  const keys = [...days.keys()].sort().slice(-30);
  if (!keys.length) return h('p', { class: 'muted', id: 'mismatch-chart' }, 'No digest mismatches.');
  const max = Math.max(...keys.map(k => days.get(k)));
  const w = 20, H = 120;
  return h('figure', { id: 'mismatch-chart' },
    s('svg', { class: 'chart', viewBox: `0 0 ${keys.length * w + 10} ${H + 30}`, role: 'img',
      'aria-label': `Digest mismatches per day: ${keys.map(k => `${k} ${days.get(k)}`).join(', ')}` },
    keys.map((k, i) => {
      const bh = Math.max(2, Math.round(days.get(k) / max * H));
      return [s('rect', { x: i * w + 5, y: H - bh + 5, width: w - 4, height: bh }, s('title', {}, `${k}: ${days.get(k)}`)),
        s('text', { x: i * w + 5, y: H + 20 }, k.slice(5))];
    })),
    h('figcaption', { class: 'muted' }, `${items.length} objects quarantined for a digest mismatch, by day (UTC).`));
}
