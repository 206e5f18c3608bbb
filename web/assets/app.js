// hookscope's web inspector page: a live, filtered list of captured
// requests (a window of rows over the store, paged by cursor, drawn only
// where visible) and the detail of the selected one. It reads through
// /api and acts only with the token the page was served with.
import {
  el, visible, visibleText, b64bytes, utf8, parseJSON, pretty, tree, hexdump, bodyText, diffView, humanSize, verdict, statusSpan,
} from './render.js';

const token = document.querySelector('meta[name="hookscope-token"]').content;
const $ = (id) => document.getElementById(id);
const ROW = 24;          // px, as --row in style.css
const WINDOW = 1000;     // rows held at most; the store has the rest
const PAGE = 200;

const st = {
  rows: [],              // newest first
  moreOlder: false,      // rows older than the window exist
  moreNewer: false,      // rows newer than the window exist (browsing back)
  filter: '',
  total: null,
  sel: -1, selId: null,
  detail: null,          // the selected request's show --json
  mark: null,            // id marked for a body diff
  gen: 0, loading: false, newerPending: false, unseen: 0,
  info: {},
};
window.__hookscope = st; // for people poking at it in devtools

async function api(path, opts = {}) {
  const init = { ...opts, headers: { ...(opts.headers || {}) } };
  if (init.method && init.method !== 'GET') {
    init.headers['X-Hookscope-Token'] = token;
    init.headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, init);
  const ct = res.headers.get('Content-Type') || '';
  const body = ct.startsWith('application/json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error((body && body.error) || res.status + ' ' + res.statusText);
  return { body, headers: res.headers };
}

function toast(msg, bad = false) {
  const t = $('toast');
  t.textContent = msg;
  t.className = bad ? 'bad' : '';
}

// ---- the list ----------------------------------------------------------

function query(extra) {
  const p = new URLSearchParams({ limit: String(PAGE), ...extra });
  if (st.filter) p.set('filter', st.filter);
  return '/api/requests?' + p;
}

async function loadHead() {
  const gen = ++st.gen;
  st.loading = true;
  try {
    const { body, headers } = await api(query({}));
    if (gen !== st.gen) return;
    st.rows = body;
    st.moreOlder = headers.has('X-Next-Cursor');
    st.moreNewer = false;
    st.unseen = 0;
    const t = headers.get('X-Total-Count');
    st.total = t == null ? null : Number(t);
    $('filtererr').textContent = '';
    $('viewport').scrollTop = 0;
    const keep = st.rows.findIndex((r) => r.id === st.selId);
    st.sel = keep;
    if (keep < 0 && st.rows.length && !st.selId) select(0, false);
  } catch (e) {
    if (gen === st.gen) $('filtererr').textContent = e.message;
  } finally {
    if (gen === st.gen) st.loading = false;
  }
  draw();
  if (st.newerPending && gen === st.gen) {
    st.newerPending = false;
    loadNewer();
  }
}

async function loadOlder() {
  if (!st.moreOlder || st.loading || !st.rows.length) return;
  const gen = st.gen;
  st.loading = true;
  try {
    const { body, headers } = await api(query({ cursor: st.rows[st.rows.length - 1].id }));
    if (gen !== st.gen) return;
    st.rows.push(...body);
    st.moreOlder = headers.has('X-Next-Cursor');
    const over = st.rows.length - WINDOW;
    if (over > 0) {
      st.rows.splice(0, over);
      st.moreNewer = true;
      st.sel -= over;
      if (st.sel < 0) st.sel = -1;
      $('viewport').scrollTop -= over * ROW;
    }
    sizeSpacer();
  } catch (e) {
    toast(e.message, true);
  } finally {
    if (gen === st.gen) st.loading = false;
  }
  draw();
}

// loadNewer fetches what lies after the window's newest row. At the live
// head it runs on every arrival and reads a burst page by page; browsing
// back (scrolled up to the window's top) it reads one page per call. The
// rows on screen stay where they are unless the view is at the live head.
async function loadNewer() {
  if (st.loading) { st.newerPending = true; return; }
  if (!st.rows.length) return loadHead();
  const gen = st.gen;
  const browsing = st.moreNewer;
  st.loading = true;
  try {
    for (let pages = 0; pages < 50; pages++) {
      const { body, headers } = await api(query({ after: st.rows[0].id }));
      if (gen !== st.gen) return;
      const vp = $('viewport');
      const atTop = !browsing && vp.scrollTop < ROW / 2;
      st.rows.unshift(...body);
      if (st.sel >= 0) st.sel += body.length;
      if (st.total != null && !browsing) st.total += body.length;
      if (st.rows.length > WINDOW) {
        st.rows.length = WINDOW;
        st.moreOlder = true;
        if (st.sel >= WINDOW) st.sel = -1;
      }
      sizeSpacer(); // before scrolling, or the browser clamps scrollTop to the old height
      if (!atTop) vp.scrollTop += body.length * ROW;
      st.moreNewer = headers.has('X-More-Newer');
      draw();
      if (browsing || !st.moreNewer) break;
    }
  } catch (e) {
    toast(e.message, true);
  } finally {
    if (gen === st.gen) st.loading = false;
  }
  if (st.newerPending) {
    st.newerPending = false;
    if (!st.moreNewer) loadNewer();
  }
  if (st.sel < 0 && !st.selId && st.rows.length) select(0, false);
}

function cell(cls, ...kids) { return el('span', cls, ...kids); }

function rowNode(r, i) {
  const d = el('div', 'row' + (i === st.sel ? ' sel' : '') + (r.id === st.mark ? ' marked' : ''));
  d.dataset.id = r.id;
  d.dataset.i = String(i);
  d.setAttribute('role', 'option');
  d.style.transform = `translateY(${i * ROW}px)`;
  const t = new Date(r.received_at);
  const time = t.toTimeString().slice(0, 8) + '.' + String(t.getMilliseconds()).padStart(3, '0');
  const uri = r.path + (r.query ? '?' + r.query : '');
  const ev = el('span', null, visible(r.event || '–'));
  d.append(
    cell('muted', time),
    cell(null, visible(r.method)),
    cell(null, r.source === 'team' ? el('span', 'team', 'team ') : null, visible(uri)),
    cell(null, ev, r.duplicate ? el('span', 'dup', ' ↻') : null),
    cell(null, verdict(r.signature)),
    cell(null, r.refused ? el('span', 's4', String(r.refused)) : statusSpan(r.forward_status, r.forward_error)),
    cell('num muted', humanSize(r.size)),
  );
  d.title = r.id;
  return d;
}

let drawQueued = false;
function draw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => { drawQueued = false; drawNow(); });
}

function sizeSpacer() {
  $('spacer').style.height = st.rows.length * ROW + 'px';
}

function drawNow() {
  const vp = $('viewport');
  const sp = $('spacer');
  sizeSpacer();
  const first = Math.max(0, Math.floor(vp.scrollTop / ROW) - 8);
  const last = Math.min(st.rows.length, Math.ceil((vp.scrollTop + vp.clientHeight) / ROW) + 8);
  const nodes = [];
  for (let i = first; i < last; i++) nodes.push(rowNode(st.rows[i], i));
  sp.replaceChildren(...nodes);
  const tot = st.total == null ? '' : st.total.toLocaleString() + (st.filter ? ' matching' : ' stored');
  $('counts').textContent = tot;
  const n = st.rows.length;
  $('window').textContent = n ? `showing ${n.toLocaleString()} rows${st.moreOlder ? ', older ones load as you scroll' : ''}` :
    (st.filter ? 'nothing matches the filter' : 'no requests captured yet: send one to the capture URL');
  const nb = $('newer');
  nb.hidden = !st.moreNewer;
  nb.textContent = st.unseen ? `${st.unseen} newer ↑` : 'back to newest ↑';
  if (last >= n - 20) loadOlder();
  if (first <= 20 && st.moreNewer && vp.scrollTop < 20 * ROW) loadNewer();
}

function select(i, focusDetail) {
  if (i < 0 || i >= st.rows.length) return;
  st.sel = i;
  st.selId = st.rows[i].id;
  const vp = $('viewport');
  if (i * ROW < vp.scrollTop) vp.scrollTop = i * ROW;
  else if ((i + 1) * ROW > vp.scrollTop + vp.clientHeight) vp.scrollTop = (i + 1) * ROW - vp.clientHeight;
  draw();
  loadDetail(st.selId, focusDetail);
}

function move(d) {
  if (!st.rows.length) return;
  let i = st.sel < 0 ? 0 : st.sel + d;
  i = Math.max(0, Math.min(st.rows.length - 1, i));
  select(i, false);
}

// ---- the detail ----------------------------------------------------------

let detailTimer = 0, detailGen = 0;
function loadDetail(id, focus) {
  clearTimeout(detailTimer);
  detailTimer = setTimeout(async () => {
    const gen = ++detailGen;
    try {
      const { body } = await api('/api/requests/' + encodeURIComponent(id));
      if (gen !== detailGen) return;
      st.detail = body;
      drawDetail(body);
      if (focus) $('detail').focus();
    } catch (e) {
      if (gen === detailGen) $('detail').replaceChildren(el('p', 'error', e.message));
    }
  }, 40);
}

// stamp is an RFC 3339 time in local time, to the nanosecond the store keeps.
function stamp(iso) {
  const t = new Date(iso);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const frac = (/\.(\d+)/.exec(iso) || ['', ''])[1];
  const off = -t.getTimezoneOffset();
  return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())} ${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}` +
    (frac ? '.' + frac : '') + ` UTC${off < 0 ? '-' : '+'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
}

function facts(pairs) {
  const dl = el('dl', 'facts');
  for (const [k, v] of pairs) if (v != null) dl.append(el('dt', null, k), el('dd', null, v));
  return dl;
}

function button(label, fn, cls, title) {
  const b = el('button', cls, label);
  b.type = 'button';
  if (title) b.title = title;
  b.addEventListener('click', fn);
  return b;
}

function headersTable(hs) {
  const t = el('table', 'kv');
  for (const h of hs || []) {
    const v = el('td', null, visible(h.value));
    if (h.value_base64) v.append(el('span', 'esc', '  (not UTF-8; exact bytes base64: ' + h.value_base64 + ')'));
    t.append(el('tr', null, el('td', null, visible(h.name)), v));
  }
  if (!hs || !hs.length) t.append(el('tr', null, el('td', 'muted', '(none)')));
  return t;
}

// bodyView shows bytes: a folding JSON tree, text, or a hex dump.
function bodyView(bytes, downloadHref) {
  const box = el('div');
  if (!bytes.length) { box.append(el('p', 'muted', '(empty)')); return box; }
  const text = utf8(bytes);
  let parsed = null;
  if (text != null) try { parsed = parseJSON(text); } catch { parsed = null; }
  const views = [];
  if (parsed) {
    const tr = tree(parsed);
    if (tr) views.push(['tree', () => tr]);
    views.push(['pretty', () => el('pre', 'body', visible(pretty(parsed), true))]);
  }
  if (text != null) views.push(['text', () => el('pre', 'body', visible(text, true))]);
  views.push(['hex', () => el('pre', 'body', hexdump(bytes))]);
  const tabs = el('div', 'tabs');
  const pane = el('div');
  const show = (k) => {
    for (const b of tabs.querySelectorAll('button')) b.classList.toggle('on', b.dataset.view === k);
    pane.replaceChildren(views.find((v) => v[0] === k)[1]());
  };
  for (const [k] of views) {
    const b = button(k, () => show(k));
    b.dataset.view = k;
    tabs.append(b);
  }
  if (downloadHref) {
    const a = el('a', null, 'download raw (' + humanSize(bytes.length) + ')');
    a.href = downloadHref;
    a.setAttribute('download', '');
    tabs.append(a);
  }
  box.append(tabs, pane);
  show(views[0][0]);
  return box;
}

function attemptKind(a) {
  if (a.replay && a.edited) return 'replay, edited';
  if (a.replay) return 'replay';
  if (a.delivery_id) return 'outbox';
  return 'forward';
}

const checkedAttempts = new Set();

function drawDetail(d) {
  const box = $('detail');
  const uri = d.path + (d.query ? '?' + d.query : '');
  const sig = d.signature || {};
  const sigLine = el('span', null, verdict(sig.status), sig.scheme ? el('span', 'muted', ' (' + sig.scheme + ')') : null,
    sig.detail ? el('span', null, ': ', visible(sig.detail)) : null);
  const title = el('div', 'title', el('span', 'id', d.id), el('span', 'req', visible(d.method), ' ', visible(uri)));
  const actions = el('div', 'actions',
    button('Replay', () => replay(d.id), 'primary', 'r: send it again as captured'),
    button('Edit & replay', () => editReplay(d), null, 'e: change the body; re-signed'),
    button('Copy as curl', () => copyCurl(d.id), null, 'c'),
    button('Copy id', () => copy(d.id, 'id ' + d.id), null, 'y'),
    st.mark && st.mark !== d.id ? button('Diff with ' + st.mark, () => diffRequests(st.mark, d.id), null, 'd') :
      button(st.mark === d.id ? 'Unmark' : 'Mark for diff', () => markForDiff(d.id), null, 'd: mark, then d on another request'),
  );
  const bodyBytes = b64bytes(d.body_base64);
  const kids = [
    title,
    facts([
      ['received', stamp(d.received_at)],
      ['from', d.source === 'team' ?
        el('span', null, 'the team relay: captured by ', visible(d.relay), el('span', 'muted', ' (signature judged with your secret)')) :
        visible(d.remote_addr)],
      ['event', el('span', null, visible(d.event || '–'), d.duplicate ? el('span', 'dup', '  ↻ same body as an earlier request (a re-sent delivery?)') : null)],
      ['signature', sigLine],
      ['size', humanSize(d.size) + (d.refused ? '  (refused ' + d.refused + ': no body kept)' : '')],
      ['delivery', d.delivery || null],
    ]),
    actions,
    el('h2', null, 'Body'),
    bodyView(bodyBytes, '/api/requests/' + encodeURIComponent(d.id) + '/body'),
    el('h2', null, 'Headers (' + (d.headers || []).length + ', in arrival order)'),
    headersTable(d.headers),
  ];
  if (d.deliveries && d.deliveries.length) {
    const t = el('table', 'kv', el('tr', null, ...['sink', 'target', 'state', 'tries', 'last', 'next try'].map((h) => el('th', null, h))));
    for (const x of d.deliveries) {
      t.append(el('tr', null, el('td', null, x.sink), el('td', null, visible(x.target)), el('td', null, x.state),
        el('td', null, String(x.tries)), el('td', null, x.last_error ? visible(x.last_error) : statusSpan(x.last_status || null)),
        el('td', null, x.next_at ? new Date(x.next_at).toLocaleTimeString() : '–')));
    }
    kids.push(el('h2', null, 'Deliveries (outbox)'), t);
  }
  const atts = d.attempts || [];
  kids.push(el('h2', null, 'Attempts (' + atts.length + ')'));
  if (!atts.length) kids.push(el('p', 'muted', 'Not delivered to a handler yet.'));
  checkedAttempts.clear();
  const diffBtn = button('Diff the two checked answers', () => {
    const [a, b] = [...checkedAttempts].sort((x, y) => x - y).map((i) => atts[i]);
    showDiff('Answers: attempt ' + a.at + ' → ' + b.at, answerText(a), answerText(b));
  });
  diffBtn.disabled = true;
  atts.forEach((a, i) => {
    const cb = el('input');
    cb.type = 'checkbox';
    cb.title = 'compare this answer';
    cb.addEventListener('click', (ev) => ev.stopPropagation());
    cb.addEventListener('change', () => {
      if (cb.checked) checkedAttempts.add(i); else checkedAttempts.delete(i);
      diffBtn.disabled = checkedAttempts.size !== 2;
    });
    const det = el('details', 'attempt');
    det.append(el('summary', null, cb, el('span', 'muted', new Date(a.at).toLocaleTimeString()), el('span', 'tag', attemptKind(a)),
      el('span', 'url', visible(a.url)), a.error ? el('span', 's0', visible(a.error)) : statusSpan(a.status),
      el('span', 'muted', a.latency_ms.toFixed(1) + ' ms'), a.provider_timeout ? el('span', 'warn', 'VideoNest would time out') : null));
    const inner = el('div');
    det.addEventListener('toggle', () => {
      if (!det.open || inner.childElementCount) return;
      inner.append(el('h2', null, 'Answer headers'), headersTable(a.response_headers), el('h2', null, 'Answer body'),
        bodyView(b64bytes(a.response_body_base64)));
      if (a.edited) inner.append(el('h2', null, 'Body sent (edited)'), bodyView(b64bytes(a.sent_body_base64)));
    });
    det.append(inner);
    kids.push(det);
  });
  if (atts.length > 1) kids.push(el('div', 'actions', diffBtn));
  box.replaceChildren(...kids);
}

function answerText(a) {
  const hs = (a.response_headers || []).map((h) => h.name + ': ' + h.value).join('\n');
  return (a.error ? 'error: ' + a.error : 'HTTP ' + a.status) + '\n' + hs + '\n\n' + bodyText(b64bytes(a.response_body_base64));
}

// ---- actions ---------------------------------------------------------------

async function replay(id, edit) {
  toast('replaying ' + id + '…');
  try {
    const { body } = await api('/api/requests/' + encodeURIComponent(id) + '/replay', { method: 'POST', body: JSON.stringify(edit || {}) });
    const parts = body.attempts.map((a) => (a.error ? a.url + ' → ' + a.error : a.url + ' → ' + a.status + ' in ' + a.latency_ms.toFixed(1) + ' ms'));
    toast((body.edited ? 'replayed (edited): ' : 'replayed: ') + parts.join(', ') + (body.notes.length ? ' — ' + body.notes.join('; ') : ''), !body.ok);
    if (st.selId === id) loadDetail(id, false);
  } catch (e) {
    toast(e.message, true);
  }
}

function dialog(title, body, buttons) {
  $('dialogtitle').textContent = title;
  $('dialogbody').replaceChildren(body);
  $('dialogmenu').replaceChildren(...buttons);
  const d = $('dialog');
  if (!d.open) d.showModal();
  return d;
}

function editReplay(d) {
  const bytes = b64bytes(d.body_base64);
  const text = utf8(bytes);
  if (text == null) { toast('the body is binary: edit it with `hookscope replay --edit`', true); return; }
  let initial = text;
  try { initial = pretty(parseJSON(text)); } catch { /* not JSON: edit as text */ }
  const ta = el('textarea');
  ta.value = initial;
  ta.spellcheck = false;
  const note = el('p', st.info.can_resign ? 'muted' : 'warn', st.info.can_resign ?
    'Sent re-signed with the current secret, compact if the capture was.' :
    'No signing secret is configured: the edited body keeps the captured signature, which will not verify.');
  const box = el('div', null, note, ta);
  const send = button('Send re-signed', () => {
    $('dialog').close();
    replay(d.id, { body: ta.value, resign: !!st.info.can_resign });
  }, 'primary');
  dialog('Edit & replay ' + d.id, box, [button('Cancel', () => $('dialog').close()), send]);
  ta.focus();
}

async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    toast('copied ' + what);
  } catch {
    const ta = el('textarea');
    ta.value = text;
    ta.readOnly = true;
    dialog('Copy ' + what, ta, [button('Close', () => $('dialog').close())]);
    ta.select();
  }
}

async function copyCurl(id) {
  try {
    const { body } = await api('/api/requests/' + encodeURIComponent(id) + '/curl');
    copy(body, 'a curl command for ' + id);
  } catch (e) {
    toast(e.message, true);
  }
}

function markForDiff(id) {
  st.mark = st.mark === id ? null : id;
  toast(st.mark ? 'marked ' + id + ': select another request and press d to diff their bodies' : 'unmarked');
  draw();
  if (st.detail) drawDetail(st.detail);
}

async function diffRequests(a, b) {
  try {
    const [x, y] = await Promise.all([a, b].map((id) => api('/api/requests/' + encodeURIComponent(id))));
    showDiff('Bodies: ' + a + ' → ' + b, bodyText(b64bytes(x.body.body_base64)), bodyText(b64bytes(y.body.body_base64)));
  } catch (e) {
    toast(e.message, true);
  }
}

function showDiff(title, a, b) {
  const { box, changes } = diffView(a, b);
  const head = el('p', 'muted', changes ? changes + ' changed lines' : 'identical');
  dialog(title, el('div', null, head, box), [button('Close', () => $('dialog').close())]);
}

// ---- live events -------------------------------------------------------------

function live() {
  const es = new EventSource('/api/events');
  const on = (type, fn) => es.addEventListener(type, (ev) => fn(JSON.parse(ev.data)));
  es.addEventListener('open', () => {
    $('live').textContent = 'live';
    $('live').className = 'pill ok';
    if (st.rows.length && !st.moreNewer) loadNewer(); // catch up after a reconnect
  });
  es.addEventListener('error', () => {
    $('live').textContent = 'reconnecting…';
    $('live').className = 'pill bad';
  });
  on('request', () => {
    if (st.moreNewer) { st.unseen++; draw(); return; }
    loadNewer();
  });
  on('forward', (f) => {
    const r = st.rows.find((x) => x.id === f.id);
    if (r) { r.forward_status = f.error ? 0 : f.status; r.forward_error = f.error || undefined; draw(); }
    if (st.selId === f.id) loadDetail(f.id, false);
  });
  on('store_error', (e) => toast('NOT STORED: ' + e.method + ' ' + e.path + ': ' + e.error, true));
  on('dropped', (e) => {
    toast(e.count + ' live events were lost (the page fell behind); reloaded from the store', true);
    if (!st.moreNewer) loadNewer();
  });
  on('health', (h) => {
    const p = $('handler');
    p.hidden = h.state === 'none';
    p.textContent = h.state === 'up' ? 'handler up' : 'handler down';
    p.className = 'pill ' + (h.state === 'up' ? 'ok' : 'bad');
    p.title = h.error || (st.info.forward_to || []).join(', ');
  });
  on('team', (t) => {
    const p = $('team');
    p.hidden = false;
    const state = { connected: 'team ●', unreachable: 'team unreachable', error: 'team error' }[t.state] || 'team connecting';
    const more = [];
    if (t.pending) more.push(t.pending + ' waiting to publish');
    if (t.behind) more.push(t.behind + ' behind');
    p.textContent = [state].concat(more).join(' · ');
    p.className = 'pill ' + (t.state === 'connected' ? 'ok' : t.state === 'connecting' ? '' : 'bad');
    p.title = visibleText(t.summary);
  });
  on('tunnel', (t) => {
    const p = $('tunnel');
    p.hidden = false;
    p.textContent = 'tunnel ' + t.state;
    p.className = 'pill ' + (t.state === 'online' ? 'ok' : 'bad');
    p.title = t.error || t.url || '';
    if (t.url) $('public').textContent = t.url;
  });
}

// ---- keys and wiring -----------------------------------------------------------

function applyFilter() {
  st.filter = $('filter').value.trim();
  st.selId = null;
  st.sel = -1;
  loadHead();
}

document.addEventListener('keydown', (ev) => {
  const t = ev.target;
  if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement) {
    if (t.id === 'filter' && ev.key === 'Enter') { applyFilter(); t.blur(); ev.preventDefault(); }
    if (ev.key === 'Escape') t.blur();
    return;
  }
  if ($('dialog').open || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const d = st.detail;
  switch (ev.key) {
    case 'j': case 'ArrowDown': move(1); break;
    case 'k': case 'ArrowUp': move(-1); break;
    case 'Enter': if (st.sel >= 0) select(st.sel, true); break;
    case '/': $('filter').focus(); $('filter').select(); break;
    case 'r': if (d) replay(d.id); break;
    case 'e': if (d) editReplay(d); break;
    case 'c': if (d) copyCurl(d.id); break;
    case 'y': if (d) copy(d.id, 'id ' + d.id); break;
    case 'd': if (d) { if (st.mark && st.mark !== d.id) diffRequests(st.mark, d.id); else markForDiff(d.id); } break;
    case 'g': case 'Home': loadHead(); break;
    default: return;
  }
  ev.preventDefault();
});

async function start() {
  $('viewport').addEventListener('scroll', draw, { passive: true });
  window.addEventListener('resize', draw);
  $('spacer').addEventListener('click', (ev) => {
    const r = ev.target.closest('.row');
    if (r) select(Number(r.dataset.i), false);
  });
  $('filter').addEventListener('search', () => { if ($('filter').value === '' && st.filter) applyFilter(); });
  $('newer').addEventListener('click', () => loadHead());
  $('dialogclose').addEventListener('click', () => $('dialog').close());
  try {
    st.info = (await api('/api/info')).body;
    $('capture').textContent = st.info.local_url;
    if (st.info.public_url) $('public').textContent = st.info.public_url;
    document.title = 'hookscope · ' + st.info.local_url.replace(/^https?:\/\//, '');
  } catch (e) {
    toast(e.message, true);
  }
  live();
  await loadHead();
}

start();
