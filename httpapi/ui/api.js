// The console's HTTP client: the same routes every other client calls,
// with the bearer token from sessionStorage (never in a URL, never in
// localStorage, gone when the tab closes).

const TOKEN = 'assay.token';

export const token = {
  get: () => sessionStorage.getItem(TOKEN),
  set: v => sessionStorage.setItem(TOKEN, v),
  clear: () => sessionStorage.removeItem(TOKEN),
};

// APIError is a refused call: its HTTP status and the problem document.
export class APIError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function fail(r) {
  let p = {};
  try { p = await r.json(); } catch { /* not a problem document */ }
  return new APIError(r.status, p);
}

// call sends a request and returns the response, or throws APIError.
export async function call(method, path, body, accept = 'application/json', signal) {
  const headers = { Accept: accept };
  const t = token.get();
  if (t) headers.Authorization = 'Bearer ' + t;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const r = await fetch(path, { method, headers, body: payload, cache: 'no-store', credentials: 'omit', signal });
  if (!r.ok) throw await fail(r);
  return r;
}

export const get = async path => (await call('GET', path)).json();
export const text = async path => (await call('GET', path, undefined, '*/*')).text();
export const post = async (path, body) => {
  const r = await call('POST', path, body);
  return r.status === 204 ? null : r.json();
};

// query encodes params as a query string, leaving out empty values;
// arrays repeat the name.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const x of Array.isArray(v) ? v : [v]) {
      if (x !== '' && x !== undefined && x !== null) q.append(k, x);
    }
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

// stream follows Server-Sent Events at path, calling onEvent(id, type,
// data) for each, until the stream ends or signal aborts. It reads the
// body itself because EventSource cannot send an Authorization header.
export async function stream(path, signal, onEvent) {
  const r = await call('GET', path, undefined, 'text/event-stream', signal);
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let ev = { data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      let line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (ev.data.length) onEvent(ev.id, ev.event || 'message', ev.data.join('\n'));
        ev = { data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      let v = c < 0 ? '' : line.slice(c + 1);
      if (v.startsWith(' ')) v = v.slice(1);
      if (field === 'data') ev.data.push(v);
      else if (field === 'id') ev.id = v;
      else if (field === 'event') ev.event = v;
    }
  }
}
