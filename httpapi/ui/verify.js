// Verification in the page, with Web Crypto only: RFC 6962 leaf and node
// hashes from an entry's bytes up to a tree root, and the Ed25519 signature
// of a checkpoint (a C2SP signed note) against a verifier key the user
// pinned. Nothing here trusts a hash the server computed.

const utf8 = new TextEncoder();

export function hex(b) {
  return Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
}

export function unhex(s) {
  if (!/^(?:[0-9a-f]{2})*$/.test(s)) throw new Error(`not lowercase hex: ${s.slice(0, 20)}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function unbase64(s) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new Error('not standard base64');
  return Uint8Array.from(atob(s), c => c.charCodeAt(0));
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function sha256(...parts) {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

// leafHash is RFC 6962's hash of a leaf: SHA-256(0x00 || entry).
export const leafHash = entry => sha256(Uint8Array.of(0), entry);
const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);

// rootFromInclusion returns the root that the audit path of the leaf at
// index leads to in a tree of size (RFC 9162, section 2.1.3.2).
export async function rootFromInclusion(index, size, leaf, path) {
  if (!(index < size)) throw new Error(`index ${index} is not below tree size ${size}`);
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path) {
    if (p.length !== 32) throw new Error('a proof hash is not 32 bytes');
    if (sn === 0) throw new Error('the proof is longer than the tree is deep');
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error('the proof is shorter than the tree is deep');
  return r;
}

// parseVerifierKey reads a note verifier key, name+hash+base64(0x01 ||
// Ed25519 public key), and checks that hash is the key's.
export async function parseVerifierKey(vkey) {
  // The key is base64, which may hold '+' itself: cut at the first two.
  const v = vkey.trim();
  const i = v.indexOf('+'), j = v.indexOf('+', i + 1);
  if (i <= 0 || j < 0 || /\s/.test(v)) throw new Error('a verifier key is NAME+HASH+KEY');
  const name = v.slice(0, i), hash = v.slice(i + 1, j), b64 = v.slice(j + 1);
  if (!/^[0-9a-f]{8}$/.test(hash)) throw new Error('the key hash is not 8 hex digits');
  const key = unbase64(b64);
  if (key.length !== 33 || key[0] !== 1) throw new Error('not an Ed25519 verifier key');
  const id = (await sha256(utf8.encode(name + '\n'), key)).slice(0, 4);
  if (hex(id) !== hash) throw new Error('the key hash does not match the key');
  return { name, id, pub: key.slice(1), text: v };
}

// openCheckpoint checks that the signed note holds a signature by key and
// returns the checkpoint it signs: origin, size and root hash.
export async function openCheckpoint(note, key) {
  const cut = note.lastIndexOf('\n\n');
  if (cut < 0 || !note.endsWith('\n')) throw new Error('not a signed note');
  const text = note.slice(0, cut + 1);
  const sigs = note.slice(cut + 2, -1).split('\n');
  let signed = false;
  for (const line of sigs) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error(`malformed signature line: ${line.slice(0, 40)}`);
    if (m[1] !== key.name) continue;
    const sig = unbase64(m[2]);
    if (sig.length !== 68 || !equal(sig.slice(0, 4), key.id)) continue;
    const pub = await crypto.subtle.importKey('raw', key.pub, { name: 'Ed25519' }, false, ['verify']);
    if (!(await crypto.subtle.verify({ name: 'Ed25519' }, pub, sig.slice(4), utf8.encode(text)))) {
      throw new Error(`the signature by ${key.name} does not verify`);
    }
    signed = true;
  }
  if (!signed) throw new Error(`no signature by ${key.name}`);
  const lines = text.split('\n');
  if (lines.length < 4 || !/^[1-9][0-9]*$|^0$/.test(lines[1])) throw new Error('the note is not a checkpoint');
  const root = unbase64(lines[2]);
  if (root.length !== 32) throw new Error('the checkpoint root is not 32 bytes');
  return { origin: lines[0], size: Number(lines[1]), root };
}

// entryBytes takes the body of GET /v1/log/entries/{index} as text and
// returns the index, the server's leaf hash claim and the entry's exact
// bytes (the server writes them unchanged, last).
export function entryBytes(body) {
  const m = /^\{"index":(\d+),"leaf_hash":"([0-9a-f]{64})","entry":([\s\S]*)\}\n?$/.exec(body);
  if (!m) throw new Error('the entry response is not in the expected form');
  return { index: Number(m[1]), claimed: m[2], bytes: utf8.encode(m[3]), text: m[3] };
}

// verifyEntry checks the entry at index against a checkpoint signed by the
// pinned key. load gives the server's answers as text: entry(index),
// checkpoint(), proof(index, size). It returns every step taken, each with
// ok and detail, and stops at the first failure.
export async function verifyEntry(index, vkeyText, load) {
  const steps = [];
  const step = async (name, fn) => {
    try {
      const detail = await fn();
      steps.push({ name, ok: true, detail });
      return true;
    } catch (e) {
      steps.push({ name, ok: false, detail: e.message });
      return false;
    }
  };
  let key, entry, leaf, cp, proof;
  const ok =
    await step('Pinned verifier key', async () => {
      if (!vkeyText) throw new Error('no verifier key pinned: paste one in Settings');
      key = await parseVerifierKey(vkeyText);
      return key.text;
    }) &&
    await step('Entry bytes hash to the leaf', async () => {
      entry = entryBytes(await load.entry(index));
      if (entry.index !== index) throw new Error(`the server answered entry ${entry.index}`);
      leaf = await leafHash(entry.bytes);
      if (hex(leaf) !== entry.claimed) throw new Error(`SHA-256(0x00 || entry) is ${hex(leaf)}, the server claims ${entry.claimed}`);
      return hex(leaf);
    }) &&
    await step('Checkpoint signed by the pinned key', async () => {
      cp = await openCheckpoint(await load.checkpoint(), key);
      return `${cp.origin}, size ${cp.size}, root ${hex(cp.root)}`;
    }) &&
    await step('Entry inside the checkpoint\'s tree', async () => {
      if (!(index < cp.size)) throw new Error(`index ${index} is not below size ${cp.size}`);
      return `${index} < ${cp.size}`;
    }) &&
    await step('Inclusion proof leads to the signed root', async () => {
      proof = JSON.parse(await load.proof(index, cp.size));
      const path = (proof.hashes || []).map(unhex);
      const root = await rootFromInclusion(index, cp.size, leaf, path);
      if (!equal(root, cp.root)) throw new Error(`the ${path.length} hashes lead to ${hex(root)}, not the signed root ${hex(cp.root)}`);
      return `${path.length} hashes lead to ${hex(root)}`;
    });
  return { ok, steps, entry: entry && entry.text };
}
