// Rendering of captured bytes. Everything here builds DOM nodes and sets
// textContent: captured data never becomes markup, whatever it holds.

// el makes an element with a class and children (strings become text).
export function el(tag, cls, ...kids) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const k of kids) {
    if (k == null || k === false) continue;
    e.append(typeof k === 'string' ? document.createTextNode(k) : k);
  }
  return e;
}

// What a terminal would hide or reorder: control characters and bidi
// overrides, shown as \x1b or \u202e.
const hidden = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/g;
const escaped = (ch) => {
  const c = ch.charCodeAt(0);
  return c < 0x100 ? '\\x' + c.toString(16).padStart(2, '0') : '\\u' + c.toString(16).padStart(4, '0');
};

// visibleText is visible for places that take a string (a title).
export function visibleText(s) {
  return String(s ?? '').replace(hidden, escaped);
}

// visible shows what a terminal would hide or reorder, in the esc colour.
export function visible(s, keepNewlines = false) {
  s = String(s ?? '');
  if (!keepNewlines) s = s.replace(/[\n\t]/g, (c) => (c === '\n' ? '\\n' : '\\t'));
  if (!hidden.test(s)) return document.createTextNode(s);
  hidden.lastIndex = 0;
  const out = document.createDocumentFragment();
  let last = 0;
  for (const m of s.matchAll(hidden)) {
    out.append(s.slice(last, m.index));
    out.append(el('span', 'esc', escaped(m[0])));
    last = m.index + 1;
  }
  out.append(s.slice(last));
  return out;
}

export function b64bytes(b64) {
  const bin = atob(b64 || '');
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// utf8 decodes bytes that are valid UTF-8 without NUL, else null (binary).
export function utf8(bytes) {
  try {
    const s = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return s.includes('\u0000') ? null : s;
  } catch {
    return null;
  }
}

// parseJSON keeps what JSON.parse would lose: number literals as written
// (no rounding of 64-bit ids), key order and duplicate keys. It throws on
// anything that is not JSON, or deeper than maxDepth.
const maxDepth = 200;
export function parseJSON(text) {
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const fail = () => { throw new Error('not JSON at ' + i); };
  const value = (depth) => {
    if (depth > maxDepth) fail();
    ws();
    const c = text[i];
    if (c === '{') {
      i++; const entries = []; ws();
      if (text[i] === '}') { i++; return { t: 'obj', entries }; }
      for (;;) {
        ws(); if (text[i] !== '"') fail();
        const k = str(); ws(); if (text[i++] !== ':') fail();
        entries.push([k, value(depth + 1)]); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i++] === '}') return { t: 'obj', entries };
        fail();
      }
    }
    if (c === '[') {
      i++; const items = []; ws();
      if (text[i] === ']') { i++; return { t: 'arr', items }; }
      for (;;) {
        items.push(value(depth + 1)); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i++] === ']') return { t: 'arr', items };
        fail();
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    const m = /^(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += m[0].length;
    const raw = m[0];
    return { t: raw === 'null' ? 'null' : raw === 'true' || raw === 'false' ? 'bool' : 'num', raw };
  };
  const str = () => {
    const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(text.slice(i));
    if (!m) fail();
    i += m[0].length;
    return JSON.parse(m[0]);
  };
  const v = value(0); ws();
  if (i !== text.length) fail();
  return v;
}

// pretty lays a parsed value out as indented text (for diffs and edits).
export function pretty(n, ind = '') {
  const in2 = ind + '  ';
  switch (n.t) {
    case 'obj':
      if (!n.entries.length) return '{}';
      return '{\n' + n.entries.map(([k, v]) => in2 + JSON.stringify(k) + ': ' + pretty(v, in2)).join(',\n') + '\n' + ind + '}';
    case 'arr':
      if (!n.items.length) return '[]';
      return '[\n' + n.items.map((v) => in2 + pretty(v, in2)).join(',\n') + '\n' + ind + ']';
    case 'str': return JSON.stringify(n.v);
    default: return n.raw;
  }
}

function countNodes(n) {
  if (n.t === 'obj') return 1 + n.entries.reduce((a, [, v]) => a + countNodes(v), 0);
  if (n.t === 'arr') return 1 + n.items.reduce((a, v) => a + countNodes(v), 0);
  return 1;
}

// tree renders a parsed value as nested <details>: every object and array
// folds. Past maxNodes it gives null and the caller shows text instead.
const maxNodes = 20000;
export function tree(n) {
  if (countNodes(n) > maxNodes) return null;
  const root = el('div', 'tree');
  root.append(node(n, null, 0));
  return root;
}

function scalar(n) {
  switch (n.t) {
    case 'str': return el('span', 'j-str', visible(JSON.stringify(n.v)));
    case 'num': return el('span', 'j-num', n.raw);
    case 'bool': return el('span', 'j-bool', n.raw);
    default: return el('span', 'j-null', n.raw);
  }
}

function node(n, key, depth) {
  const label = key == null ? null : el('span', 'j-key', visible(JSON.stringify(key)));
  if (n.t !== 'obj' && n.t !== 'arr') {
    return el('div', 'leaf', label, label && el('span', 'j-punct', ': '), scalar(n));
  }
  const obj = n.t === 'obj';
  const kids = obj ? n.entries : n.items;
  const d = el('details');
  d.open = depth < 6 || kids.length < 8;
  const count = kids.length + (obj ? (kids.length === 1 ? ' key' : ' keys') : (kids.length === 1 ? ' item' : ' items'));
  d.append(el('summary', null, label, label && el('span', 'j-punct', ': '), el('span', 'j-punct', obj ? '{' : '['),
    el('span', 'j-count', ' ' + count + ' '), el('span', 'j-punct', obj ? '}' : ']')));
  const box = el('div');
  kids.forEach((k, idx) => box.append(obj ? node(k[1], k[0], depth + 1) : node(k, null, depth + 1)));
  d.append(box);
  return d;
}

// hexdump lays out bytes as offset, hex and ASCII, 16 a line.
export function hexdump(bytes, max = 64 << 10) {
  const lines = [];
  const n = Math.min(bytes.length, max);
  for (let off = 0; off < n; off += 16) {
    const chunk = bytes.subarray(off, Math.min(off + 16, n));
    const hex = Array.from(chunk, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const asc = Array.from(chunk, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(off.toString(16).padStart(8, '0') + '  ' + hex.padEnd(48) + '  ' + asc);
  }
  if (bytes.length > n) lines.push('… ' + (bytes.length - n) + ' more bytes (download the body for all of them)');
  return lines.join('\n');
}

// bodyText is a body as lines to compare: pretty JSON, else text, else hex.
export function bodyText(bytes) {
  const s = utf8(bytes);
  if (s == null) return hexdump(bytes);
  try { return pretty(parseJSON(s)); } catch { return s; }
}

// diffLines is a line diff (longest common subsequence): a list of
// [op, line] with op ' ', '-' or '+'. Inputs past maxCells compare as a
// whole block each, not line by line.
const maxCells = 4e6;
export function diffLines(a, b) {
  const x = a.split('\n'), y = b.split('\n');
  let p = 0;
  while (p < x.length && p < y.length && x[p] === y[p]) p++;
  let s = 0;
  while (s < x.length - p && s < y.length - p && x[x.length - 1 - s] === y[y.length - 1 - s]) s++;
  const xm = x.slice(p, x.length - s), ym = y.slice(p, y.length - s);
  const out = x.slice(0, p).map((l) => [' ', l]);
  if ((xm.length + 1) * (ym.length + 1) > maxCells) {
    xm.forEach((l) => out.push(['-', l]));
    ym.forEach((l) => out.push(['+', l]));
  } else {
    const w = ym.length + 1;
    const L = new Uint32Array((xm.length + 1) * w);
    for (let i = xm.length - 1; i >= 0; i--) {
      for (let j = ym.length - 1; j >= 0; j--) {
        L[i * w + j] = xm[i] === ym[j] ? L[(i + 1) * w + j + 1] + 1 : Math.max(L[(i + 1) * w + j], L[i * w + j + 1]);
      }
    }
    let i = 0, j = 0;
    while (i < xm.length || j < ym.length) {
      if (i < xm.length && j < ym.length && xm[i] === ym[j]) { out.push([' ', xm[i]]); i++; j++; }
      else if (j < ym.length && (i === xm.length || L[i * w + j + 1] >= L[(i + 1) * w + j])) { out.push(['+', ym[j]]); j++; }
      else { out.push(['-', xm[i]]); i++; }
    }
  }
  x.slice(x.length - s).forEach((l) => out.push([' ', l]));
  return out;
}

export function diffView(a, b) {
  const box = el('div', 'diff');
  let changes = 0;
  for (const [op, line] of diffLines(a, b)) {
    if (op !== ' ') changes++;
    box.append(el('div', op === '+' ? 'add' : op === '-' ? 'del' : 'same', visible(op + ' ' + line, true)));
  }
  return { box, changes };
}

export function humanSize(n) {
  if (n < 1024) return n + ' B';
  const u = ['KiB', 'MiB', 'GiB'];
  let v = n, i = -1;
  do { v /= 1024; i++; } while (v >= 1024 && i < u.length - 1);
  return (v < 10 ? v.toFixed(1) : Math.round(v)) + ' ' + u[i];
}

export const verdicts = {
  valid: ['✓', 'valid'], invalid: ['✗', 'invalid'], missing: ['–', 'missing'], unchecked: ['?', 'unchecked'],
};

export function verdict(status) {
  const [sym, word] = verdicts[status] || ['?', String(status)];
  return el('span', 'v-' + (verdicts[status] ? status : 'unchecked'), sym + ' ' + word);
}

export function statusSpan(code, err) {
  if (code == null) return el('span', 'muted', '-');
  if (!code) return el('span', 's0', err ? 'error' : 'no answer');
  return el('span', 's' + Math.floor(code / 100), String(code));
}
