// The Assay operators' console: a single page over the public HTTP API.
// Routes live in the URL fragment (#/history?type=...), so the server
// serves one page and the token never appears in a URL.

import { h, link, enc, table, when, pretty } from './dom.js';
import { token, get, text, post, query, stream, APIError } from './api.js';
import { verifyEntry, parseVerifierKey, openCheckpoint, hex } from './verify.js';
import { mismatchChart } from './charts.js';

const KEY = 'assay.verifierKey'; // the pinned checkpoint verifier key (public)
const main = document.getElementById('main');
let who = null; // GET /v1/whoami of the token
let leaving = []; // what the current view stops when the route changes

const has = scope => !!who && (who.scopes.includes('*') || who.scopes.includes(scope));

// The sections of the navigation, each shown only to tokens holding its scope.
const sections = [
  ['/', 'Overview', 'log:read'],
  ['/history', 'History', 'log:read'],
  ['/packages', 'Packages', 'packages:read'],
  ['/promotions', 'Promotions', 'promotions:read'],
  ['/quarantine', 'Quarantine', 'promotions:review'],
  ['/exports', 'Job exports', 'orchestrator:exports:read'],
  ['/settings', 'Settings', null],
];

function say(msg) {
  const el = document.getElementById('status');
  el.textContent = msg;
  if (msg) setTimeout(() => { if (el.textContent === msg) el.textContent = ''; }, 6000);
}

// problem renders an error for the reader: the problem's detail and type.
function problem(e) {
  if (e instanceof APIError) {
    const type = (e.problem.type || '').split('/').pop();
    return h('div', { class: 'error', role: 'alert' }, `${e.status} ${type}: ${e.message}`);
  }
  return h('div', { class: 'error', role: 'alert' }, String(e.message || e));
}

// nodes flattens kids and leaves out the absent ones, for replaceChildren.
const nodes = kids => [kids].flat(Infinity).filter(k => k !== undefined && k !== null && k !== false);

function show(title, ...kids) {
  main.replaceChildren(h('h1', {}, title), ...nodes(kids));
  document.title = `${title} · Assay console`;
}

// section fills a placeholder from an async loader, showing its error in
// place so that one refused call does not blank the page.
function section(load) {
  const el = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  load().then(kids => el.replaceChildren(...nodes(kids)), e => el.replaceChildren(problem(e)));
  return el;
}

function parseRoute() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  return { path, params: new URLSearchParams(qs || '') };
}

function go(route) { location.hash = '#' + route; }

async function render() {
  for (const stop of leaving) stop();
  leaving = [];
  const { path, params } = parseRoute();
  if (!token.get()) return loginView();
  if (!who) {
    try {
      who = await get('/v1/whoami');
    } catch (e) {
      token.clear();
      return loginView(e);
    }
  }
  renderNav(path);
  const parts = path.split('/').slice(1).map(decodeURIComponent);
  const views = {
    '': overview, history, entry, artifact, packages, package: pkg, promotions, promotion,
    quarantine, exports: exportsList, export: exportReceipt, settings, login: () => go('/'),
  };
  const view = views[parts[0]];
  if (!view) return show('Not found', h('p', {}, 'No such page. ', link('/', 'Overview')));
  try {
    await view(parts.slice(1), params);
  } catch (e) {
    show('Error', problem(e));
  }
}

function renderNav(path) {
  const nav = document.getElementById('nav');
  nav.replaceChildren(...sections.filter(([, , scope]) => !scope || has(scope)).map(([route, label]) =>
    h('a', { href: '#' + route, 'aria-current': (route === '/' ? path === '/' : path.startsWith(route)) ? 'page' : null }, label)));
  nav.append(h('button', { type: 'button', id: 'logout', onclick: () => { token.clear(); who = null; go('/login'); } }, 'Log out'));
  document.getElementById('who').textContent = `${who.name} · tenant ${who.tenant}`;
}

function loginView(err) {
  document.getElementById('nav').replaceChildren();
  document.getElementById('who').textContent = '';
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true });
  const form = h('form', { class: 'login', onsubmit: async ev => {
    ev.preventDefault();
    token.set(input.value.trim());
    who = null;
    if (parseRoute().path === '/login') go('/'); else render();
  } }, h('label', {}, 'API token', input), h('p', {}, h('button', { class: 'primary', type: 'submit' }, 'Log in')),
  h('p', { class: 'muted' }, 'The token stays in this tab (sessionStorage) and is sent only as a bearer header to this server.'));
  show('Log in', err ? problem(err) : null, form);
  input.focus();
}

// ---- Overview ----

function parseNote(note) {
  const [origin, size, root] = note.split('\n');
  return { origin, size: Number(size), root };
}

async function overview() {
  const rate = h('span', {}, 'measuring…');
  show('Overview',
    h('div', { class: 'cards' },
      card('Log size', section(async () => String((await get('/health')).size)), 'log-size'),
      card('Append rate', rate),
      card('Store', section(async () => {
        const r = await fetch('/health/store', { cache: 'no-store' });
        return r.ok ? 'ok' : `unavailable (${r.status})`;
      }))),
    h('h2', {}, 'Latest checkpoint'),
    section(async () => {
      const note = await text('/v1/log/checkpoint');
      const cp = parseNote(note);
      const pinned = localStorage.getItem(KEY);
      let check = h('p', { class: 'muted' }, 'No verifier key pinned: ', link('/settings', 'pin one'), ' to check its signature here.');
      if (pinned) {
        try {
          await openCheckpoint(note, await parseVerifierKey(pinned));
          check = h('p', { class: 'pass' }, 'Signature checked with the pinned key.');
        } catch (e) {
          check = h('p', { class: 'fail' }, `Signature check failed: ${e.message}`);
        }
      }
      return [h('p', {}, `${cp.origin}, size ${cp.size}`), h('pre', {}, note), check];
    }),
    has('promotions:read') ? [h('h2', {}, 'Recent failures'), section(async () => {
      const page = await get('/v1/promotions' + query({ status: 'failed', limit: 10 }));
      if (!page.promotions.length) return h('p', { class: 'muted' }, 'No failed promotions.');
      return promotionsTable(page.promotions);
    })] : null);
  // The append rate is the growth of the log between two readings.
  let last = null;
  const sample = async () => {
    try {
      const size = (await get('/health')).size;
      const now = performance.now();
      if (last) rate.textContent = `${((size - last.size) / ((now - last.at) / 1000)).toFixed(1)} entries/s`;
      last = { size, at: now };
    } catch (e) {
      rate.textContent = e.message;
    }
  };
  sample();
  const timer = setInterval(sample, 5000);
  leaving.push(() => clearInterval(timer));
}

function card(label, value, id) {
  return h('div', { class: 'card', id }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value));
}

// ---- History ----

// The filters of GET /v1/history, as form fields.
const historyFields = [
  ['type', 'Type'], ['actor', 'Actor'], ['zone', 'Zone'], ['key_prefix', 'Key prefix'], ['digest', 'Digest'],
  ['package', 'Package'], ['run_id', 'Run'], ['since', 'Since (RFC 3339)'], ['until', 'Until (RFC 3339)'],
];

// summary names what an entry's body touches: its key, digest, package.
function summary(body) {
  const b = body || {};
  const obj = b.object || b;
  const out = [];
  if (obj.zone && obj.key) out.push(`${obj.zone}/${obj.key}`);
  else if (obj.key) out.push(obj.key);
  if (b.package_id) out.push(link('/package/' + enc(b.package_id), b.package_id));
  const digest = obj.digest || b.digest;
  if (typeof digest === 'string') out.push(link('/artifact/' + enc(digest), digest.replace(/^sha256:/, '').slice(0, 12) + '…'));
  return out.flatMap((x, i) => i ? [' ', x] : [x]);
}

const historyCols = [
  ['#', e => link('/entry/' + e.index, String(e.index))],
  ['Time', e => when(e.time), 'hide-narrow'],
  ['Type', e => e.type],
  ['Actor', e => e.actor, 'hide-narrow'],
  ['Tenant', e => e.tenant, 'hide-narrow'],
  ['Subject', e => summary(e.body), 'wrap'],
  ['', e => h('button', { type: 'button', class: 'verify', 'data-index': e.index, onclick: () => go(`/entry/${e.index}?verify=1`) }, 'Verify')],
];

// pager renders a table of entries with a "Load more" button that follows
// next_cursor; load(cursor) returns a HistoryPage.
function pager(load, cols = historyCols, rowsOf = p => p.entries) {
  const body = h('tbody');
  const more = h('button', { type: 'button', id: 'more' }, 'Load more');
  const count = h('p', { class: 'muted' });
  let cursor = '', shown = 0;
  const next = async () => {
    more.disabled = true;
    try {
      const page = await load(cursor);
      const rows = rowsOf(page) || [];
      shown += rows.length;
      for (const r of rows) body.append(h('tr', {}, cols.map(c => h('td', { class: c[2] }, c[1](r)))));
      cursor = page.next_cursor || '';
      more.hidden = !cursor;
      count.textContent = `${shown} shown`;
    } catch (e) {
      body.append(h('tr', {}, h('td', { colspan: cols.length }, problem(e))));
    }
    more.disabled = false;
  };
  next();
  const el = h('div', {}, h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, cols.map(c => h('th', { scope: 'col', class: c[2] }, c[0])))), body)), count, more);
  el.prepend = row => { body.prepend(h('tr', { class: 'live' }, cols.map(c => h('td', { class: c[2] }, c[1](row))))); };
  return el;
}

function history(_, params) {
  const inputs = historyFields.map(([name, label]) =>
    h('label', {}, label, h('input', { name, value: params.get(name) || '', autocomplete: 'off' })));
  const order = h('select', { name: 'order' }, h('option', { value: 'desc' }, 'newest first'), h('option', { value: 'asc' }, 'oldest first'));
  order.value = params.get('order') || 'desc';
  const form = h('form', { class: 'filters', role: 'search', onsubmit: ev => {
    ev.preventDefault();
    const q = {};
    for (const el of form.elements) if (el.name && el.value) q[el.name] = el.value;
    go('/history' + query(q));
  } }, inputs, h('label', {}, 'Order', order), h('button', { class: 'primary', type: 'submit' }, 'Search'));
  const filters = {};
  for (const [name] of historyFields) if (params.get(name)) filters[name] = params.get(name);
  const results = pager(cursor => get('/v1/history' + query({ ...filters, order: order.value, limit: 50, cursor })));
  const tail = h('input', { type: 'checkbox', id: 'live' });
  const live = h('span', { class: 'muted', id: 'live-state' });
  let abort = null;
  tail.addEventListener('change', () => {
    if (abort) { abort.abort(); abort = null; live.textContent = ''; }
    if (!tail.checked) return;
    abort = new AbortController();
    live.textContent = 'following…';
    stream('/v1/events/stream' + query(filters), abort.signal, (id, type, data) => {
      if (type === 'cutoff') { live.textContent = 'the stream fell behind; reload to resume'; return; }
      results.prepend(JSON.parse(data));
    }).catch(e => { if (e.name !== 'AbortError') live.textContent = e.message; });
  });
  leaving.push(() => abort && abort.abort());
  show('History', form, h('p', {}, h('label', { class: 'check' }, tail, 'Live tail (new entries appear on top)'), ' ', live), results);
}

// ---- One entry, verified in the page ----

async function entry([index], params) {
  const i = Number(index);
  if (!/^\d+$/.test(index || '')) throw new Error('an entry index is a number');
  const body = await text(`/v1/log/entries/${i}`);
  const data = JSON.parse(body);
  const result = h('div', { id: 'verify-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'primary', id: 'verify', onclick: () => run() }, 'Verify in this browser');
  const run = async () => {
    button.disabled = true;
    result.replaceChildren(h('p', { class: 'muted' }, 'Verifying…'));
    const out = await verifyEntry(i, localStorage.getItem(KEY), {
      entry: n => text(`/v1/log/entries/${n}`),
      checkpoint: () => text('/v1/log/checkpoint'),
      proof: (n, size) => text('/v1/log/proof/inclusion' + query({ index: n, tree_size: size })),
    });
    result.replaceChildren(...nodes([
      h('p', { class: 'verdict ' + (out.ok ? 'pass' : 'fail'), id: 'verdict', 'data-result': out.ok ? 'verified' : 'failed' },
        out.ok ? 'verified' : 'failed'),
      h('ol', { class: 'steps' }, out.steps.map(st => h('li', { class: st.ok ? 'pass' : 'fail' },
        `${st.ok ? '✓' : '✗'} ${st.name}: `, h('span', { class: 'mono' }, st.detail)))),
      out.entry ? [h('h2', {}, 'The bytes that were checked'), h('pre', {}, pretty(out.entry))] : null]));
    button.disabled = false;
  };
  show(`Entry ${i}`,
    h('p', {}, h('span', { class: 'muted' }, 'Leaf hash claimed by the server: '), h('span', { class: 'mono' }, data.leaf_hash)),
    h('p', {}, button, ' ', localStorage.getItem(KEY) ? null : h('span', { class: 'muted' }, 'Pin a verifier key in ', link('/settings', 'Settings'), ' first.')),
    result,
    h('h2', {}, 'Entry'), h('pre', { id: 'entry-json' }, pretty(data.entry)));
  if (params.get('verify')) run();
}

// ---- Timelines ----

function artifact([digest]) {
  show('Artifact timeline', h('p', { class: 'mono' }, digest),
    pager(cursor => get(`/v1/artifacts/${enc(digest)}/timeline` + query({ cursor }))));
}

// ---- Packages ----

function packages(_, params) {
  const fields = [['producer', 'Producer'], ['subject', 'Subject'], ['run_id', 'Run'], ['status', 'Status']];
  const form = h('form', { class: 'filters', role: 'search', onsubmit: ev => {
    ev.preventDefault();
    const q = {};
    for (const el of form.elements) if (el.name && el.value) q[el.name] = el.value;
    go('/packages' + query(q));
  } }, fields.map(([n, l]) => h('label', {}, l, h('input', { name: n, value: params.get(n) || '' }))),
  h('button', { class: 'primary', type: 'submit' }, 'Filter'));
  const filters = Object.fromEntries(fields.map(([n]) => [n, params.get(n) || '']));
  show('Packages', form, pager(cursor => get('/v1/packages' + query({ ...filters, limit: 50, cursor })), [
    ['Name', p => link('/package/' + enc(p.id), p.name)],
    ['Status', p => p.status],
    ['Producer', p => p.producer, 'hide-narrow'],
    ['Files', p => String(p.file_count)],
    ['Size', p => String(p.total_size), 'hide-narrow'],
    ['Created', p => when(p.created_at), 'hide-narrow'],
  ], page => page.packages));
}

async function pkg([id]) {
  const p = await get('/v1/packages/' + enc(id));
  show(`Package ${p.name}`,
    table([['Field', r => r[0]], ['Value', r => r[1], 'wrap']], [
      ['id', p.id], ['status', p.status], ['producer', p.producer], ['subject', p.subject], ['run', p.run_id || ''],
      ['created', `${when(p.created_at)} by ${p.created_by} (entry ${p.created_index})`],
      ['manifest digest', p.manifest_digest || '(not finalized)'], ['metadata', p.metadata ? pretty(p.metadata) : ''],
    ]),
    h('h2', {}, 'Files'),
    section(async () => {
      if (!p.manifest_digest) return h('p', { class: 'muted' }, 'The file list is fixed when the package is finalized.');
      const m = await get(`/v1/packages/${enc(id)}/manifest`);
      return [table([['Path', f => f.path, 'wrap'], ['Size', f => String(f.size)],
        ['Digest', f => link('/artifact/' + enc(f.digest), f.digest), 'wrap']], m.files || []),
      h('details', {}, h('summary', {}, 'Manifest'), h('pre', { id: 'manifest' }, pretty(m)))];
    }),
    has('retention:read') ? [h('h2', {}, 'Retention and holds'), retentionSection(id)] : null,
    h('h2', {}, 'Timeline'),
    pager(cursor => get(`/v1/packages/${enc(id)}/timeline` + query({ cursor }))));
}

function retentionSection(id) {
  return section(async () => {
    const v = await get(`/v1/packages/${enc(id)}/retention`);
    const act = (path, body, done) => async ev => {
      ev.preventDefault();
      try {
        await post(`/v1/packages/${enc(id)}/retention/${path}`, body());
        say(done);
        render();
      } catch (e) {
        say(`${e.status || ''} ${e.message}`);
        ev.target.append(problem(e));
      }
    };
    const holdReason = h('input', { name: 'reason', id: 'hold-reason', required: true });
    const caseRef = h('input', { name: 'case_ref', id: 'hold-case' });
    const extReason = h('input', { name: 'reason', id: 'extend-reason', required: true });
    const extBy = h('input', { name: 'duration', id: 'extend-duration', placeholder: '30d', required: true });
    return [
      table([['Field', r => r[0]], ['Value', r => r[1]]], [
        ['class', v.class], ['mode', v.mode], ['expires', v.expires_at ? when(v.expires_at) : 'kept forever'],
        ['active holds', String(v.active_holds)], ['eligible for deletion', v.eligible ? 'yes' : 'no'],
      ]),
      v.holds.length ? table([
        ['Hold', x => x.hold_id, 'mono'], ['Reason', x => x.reason], ['Case', x => x.case_ref || ''],
        ['Applied', x => `${when(x.applied_at)} by ${x.applied_by}`, 'hide-narrow'],
        ['State', x => x.active ? 'active' : `released: ${x.release_reason}`],
        ['', x => x.active && has('retention:hold') ? releaseForm(id, x) : ''],
      ], v.holds) : h('p', { class: 'muted' }, 'No holds.'),
      has('retention:hold') ? h('form', { class: 'inline', id: 'hold-form', onsubmit: act('holds',
        () => ({ reason: holdReason.value, case_ref: caseRef.value || undefined }), 'Hold applied') },
      h('label', {}, 'Hold reason', holdReason), h('label', {}, 'Case reference', caseRef),
      h('button', { type: 'submit', id: 'hold-apply' }, 'Apply legal hold')) : null,
      has('retention:write') ? h('form', { class: 'inline', onsubmit: act('extensions',
        () => ({ duration: extBy.value, reason: extReason.value }), 'Retention extended') },
      h('label', {}, 'Extend by', extBy), h('label', {}, 'Reason', extReason),
      h('button', { type: 'submit', id: 'extend' }, 'Extend retention')) : null,
    ];
  });
}

function releaseForm(id, hold) {
  const reason = h('input', { name: 'reason', 'aria-label': 'Release reason', class: 'release-reason', required: true });
  return h('form', { class: 'inline', onsubmit: async ev => {
    ev.preventDefault();
    try {
      await post(`/v1/packages/${enc(id)}/retention/holds/${enc(hold.hold_id)}/release`, { reason: reason.value });
      say('Hold released');
      render();
    } catch (e) {
      ev.target.append(problem(e));
    }
  } }, reason, h('button', { type: 'submit', class: 'release' }, 'Release'));
}

// ---- Promotions ----

function promotionsTable(rows) {
  return table([
    ['Promotion', p => link('/promotion/' + enc(p.id), p.id.slice(0, 12)), 'mono'],
    ['Source', p => p.source, 'wrap'], ['Tier', p => p.tier], ['Status', p => p.status],
    ['Promoted', p => String(p.promoted)], ['Quarantined', p => String(p.quarantined)],
    ['Requested', p => when(p.requested_at), 'hide-narrow'],
  ], rows);
}

// pages reads up to max pages of a list route, for the dashboards.
async function pages(path, params, field, max = 20) {
  const out = [];
  let cursor = '';
  for (let i = 0; i < max; i++) {
    const page = await get(path + query({ ...params, cursor }));
    out.push(...(page[field] || []));
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return out;
}

// prefixOf groups keys by their first two path segments.
const prefixOf = key => key.split('/').slice(0, 2).join('/') + '/';

async function promotions() {
  const all = await pages('/v1/promotions', {}, 'promotions');
  const groups = new Map();
  for (const p of all) {
    const k = prefixOf(p.source) + ' ' + p.tier;
    const g = groups.get(k) || { prefix: prefixOf(p.source), tier: p.tier, n: 0, promoted: 0, quarantined: 0, failed: 0 };
    g.n++; g.promoted += p.promoted; g.quarantined += p.quarantined; if (p.status === 'failed') g.failed++;
    groups.set(k, g);
  }
  show('Promotions',
    h('h2', {}, 'Per prefix and tier'),
    table([['Prefix', g => g.prefix, 'wrap'], ['Tier', g => g.tier], ['Promotions', g => String(g.n)],
      ['Objects promoted', g => String(g.promoted)], ['Quarantined', g => String(g.quarantined)], ['Failed', g => String(g.failed)]],
    [...groups.values()], `${all.length} promotions read`),
    h('h2', {}, 'Recent failures'),
    (() => {
      const failed = all.filter(p => p.status === 'failed').slice(-10).reverse();
      return failed.length ? promotionsTable(failed) : h('p', { class: 'muted' }, 'No failed promotions.');
    })(),
    h('h2', {}, 'Digest mismatches per day'),
    has('promotions:review') ? section(async () => mismatchChart(await pages('/v1/quarantine', { reason: 'digest-mismatch' }, 'items')))
      : h('p', { class: 'muted' }, 'Needs scope promotions:review.'),
    h('h2', {}, 'All promotions'),
    promotionsTable([...all].reverse()));
}

async function promotion([id]) {
  const v = await get('/v1/promotions/' + enc(id));
  show(`Promotion ${id.slice(0, 12)}`, promotionsTable([v]),
    h('h2', {}, 'Objects'),
    table([['Key', o => o.source_key || o.key || '', 'wrap'], ['Outcome', o => o.outcome || o.status || ''],
      ['Reason', o => o.reason || '']], v.objects || []));
}

// ---- Quarantine review ----

function quarantine(_, params) {
  const fields = [['prefix', 'Key prefix'], ['status', 'Status'], ['tier', 'Tier'], ['reason', 'Reason']];
  const form = h('form', { class: 'filters', role: 'search', onsubmit: ev => {
    ev.preventDefault();
    const q = {};
    for (const el of form.elements) if (el.name && el.value) q[el.name] = el.value;
    go('/quarantine' + query(q));
  } }, fields.map(([n, l]) => h('label', {}, l, h('input', { name: n, value: params.get(n) || '' }))),
  h('button', { class: 'primary', type: 'submit' }, 'Filter'));
  const filters = Object.fromEntries(fields.map(([n]) => [n, params.get(n) || '']));
  show('Quarantine', form,
    h('p', { class: 'muted' }, 'Separation of duties: the server refuses a decision by whoever landed the object.'),
    pager(cursor => get('/v1/quarantine' + query({ ...filters, limit: 50, cursor })), [
      ['Object', it => it.source_key, 'wrap'], ['Reason', it => it.reason], ['Tier', it => it.tier],
      ['Producer', it => it.producer, 'hide-narrow'], ['Quarantined', it => when(it.quarantined_at), 'hide-narrow'],
      ['Status', it => it.decided_by ? `${it.status} by ${it.decided_by}: ${it.decision_reason}` : it.status],
      ['Decision', it => it.status === 'pending' && has('promotions:review') ? decisionForm(it) : ''],
    ], page => page.items));
}

function decisionForm(it) {
  const reason = h('input', { name: 'reason', 'aria-label': `Reason for ${it.source_key}`, class: 'decision-reason', required: true });
  const decide = verb => async ev => {
    ev.preventDefault();
    if (!reason.reportValidity()) return;
    try {
      await post(`/v1/quarantine/${enc(it.id)}/${verb}`, { reason: reason.value });
      say(`${verb === 'approve' ? 'Approved' : 'Rejected'} ${it.source_key}`);
      render();
    } catch (e) {
      form.append(problem(e));
    }
  };
  const form = h('form', { class: 'inline', onsubmit: decide('approve') }, reason,
    h('button', { type: 'submit', class: 'approve' }, 'Approve'),
    h('button', { type: 'button', class: 'reject danger', onclick: decide('reject') }, 'Reject'));
  return form;
}

// ---- Job exports ----

function exportsList() {
  const key = h('input', { name: 'key', id: 'export-key', required: true });
  show('Job exports',
    h('form', { class: 'inline', role: 'search', onsubmit: ev => { ev.preventDefault(); go('/export/' + enc(key.value.trim())); } },
      h('label', {}, 'Idempotency key', key), h('button', { class: 'primary', type: 'submit' }, 'Look up')),
    pager(cursor => get('/internal/orchestrator/exports' + query({ limit: 50, cursor })), [
      ['#', e => link('/entry/' + e.index, String(e.index))],
      ['Export', e => {
        const x = e.entry || {};
        const k = x.idempotencyKey || (x.body || {}).idempotencyKey;
        return k ? link('/export/' + enc(k), k) : pretty(e.entry).slice(0, 120);
      }, 'wrap'],
    ], page => page.exports));
}

async function exportReceipt([key]) {
  const r = await get('/internal/orchestrator/exports/' + enc(key));
  show('Job export', table([['Field', x => x[0]], ['Value', x => x[1], 'wrap']], [
    ['idempotency key', r.idempotencyKey], ['status', r.status],
    ['entry', link('/entry/' + r.index, `${r.index} (verify it there)`)], ['tree size', String(r.tree_size)],
  ]), h('h2', {}, 'Entry'), h('pre', {}, pretty(r.entry)), h('h2', {}, 'Checkpoint'), h('pre', {}, r.checkpoint));
}

// ---- Settings ----

function settings() {
  const area = h('textarea', { id: 'vkey', name: 'vkey', rows: 2, spellcheck: 'false' }, localStorage.getItem(KEY) || '');
  const state = h('p', { id: 'vkey-state', 'aria-live': 'polite' });
  show('Settings',
    h('h2', {}, 'Checkpoint verifier key'),
    h('p', {}, 'The console checks checkpoint signatures against this key, never one the server offers. ' +
      'Copy it from a source you trust: the server operator, `assay keys` output, or your deployment records.'),
    h('form', { onsubmit: async ev => {
      ev.preventDefault();
      try {
        const k = await parseVerifierKey(area.value);
        localStorage.setItem(KEY, k.text);
        state.className = 'pass';
        state.textContent = `Pinned ${k.name} (key id ${hex(k.id)}).`;
      } catch (e) {
        state.className = 'fail';
        state.textContent = e.message;
      }
    } }, h('label', {}, 'Verifier key (NAME+HASH+KEY)', area),
    h('p', {}, h('button', { class: 'primary', type: 'submit', id: 'pin' }, 'Pin key'), ' ',
      h('button', { type: 'button', onclick: () => { localStorage.removeItem(KEY); area.value = ''; state.textContent = 'Forgotten.'; } }, 'Forget key'))),
    state,
    h('h2', {}, 'Token'),
    table([['Field', r => r[0]], ['Value', r => r[1]]], [['name', who.name], ['tenant', who.tenant], ['scopes', who.scopes.join(', ')]]));
}

window.addEventListener('hashchange', () => render().then(() => main.focus({ preventScroll: true })));
render();
