package main

// The web inspector in a real browser (Debian's chromium, driven over the
// DevTools protocol by chromedp) against the built binary: live rows, the
// detail, replay to a real handler, diffs, and captured markup that never
// runs.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
)

const webSecret = "whsec_browser"

// browser starts a headless chromium with a fresh profile and collects
// every console message, exception and browser log entry of its tab.
type browser struct {
	t    testing.TB
	ctx  context.Context
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func newBrowser(t testing.TB) *browser {
	t.Helper()
	exe := "/usr/bin/chromium"
	if _, err := os.Stat(exe); err != nil {
		p, err := exec.LookPath("chromium")
		if err != nil {
			t.Skip("chromium not installed (apt-get install chromium): the browser test needs a real browser")
		}
		exe = p
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Headless, chromedp.NoFirstRun, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("window-size", "1400,900"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // starts the browser and its tab
		t.Fatalf("starting chromium: %v", err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.msgs = append(b.msgs, m)
			b.mu.Unlock()
		}
	}()
	return b
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v\nconsole: %v", err, b.console())
	}
}

func (b *browser) eval(js string) bool {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// wait polls js (on animation frames) until it is truthy, for at most 15 s.
func (b *browser) wait(what, js string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		toast, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById('toast').textContent`))
		b.t.Fatalf("waiting for %s: %v\ntoast: %s\nconsole: %v", what, err, toast, b.console())
	}
}

func (b *browser) console() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.msgs {
		out = append(out, string(m.Type)+": "+m.String())
	}
	return out
}

// errors are console errors and uncaught exceptions.
func (b *browser) errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.msgs {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			out = append(out, m.String())
		}
	}
	return out
}

// recordingHandler is the developer's handler: it answers 200 and keeps
// each body with whether its signature verified.
type recordingHandler struct {
	mu     sync.Mutex
	bodies []string
	valid  []bool
}

func (h *recordingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, string(b))
	h.valid = append(h.valid, r.Header.Get("X-VideoNest-Signature") == sign(b, webSecret))
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"n":%d}`, len(b))
}

func (h *recordingHandler) count(sub string) (n int, valid bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	valid = true
	for i, b := range h.bodies {
		if strings.Contains(b, sub) {
			n++
			valid = valid && h.valid[i]
		}
	}
	return n, valid
}

// postSigned posts body with its signature; the answer is not the point.
func postSigned(t testing.TB, url string, body []byte, sig string) {
	t.Helper()
	post(t, url, body, map[string]string{"X-VideoNest-Signature": sig})
}

// sendRaw writes one request as bytes, so its path can hold what an HTTP
// client would escape.
func sendRaw(t testing.TB, hostport, reqLine string, headers []string, body string) {
	t.Helper()
	c, err := net.Dial("tcp", hostport)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := reqLine + "\r\nHost: " + hostport + "\r\n" + strings.Join(headers, "\r\n") +
		fmt.Sprintf("\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len(body)) + body
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	io.Copy(io.Discard, c)
}

const pwn = `<img src=x onerror=window.__pwned=1>`
const pwnScript = `<script>window.__pwned=1</script>`

func TestWebInspectorInABrowser(t *testing.T) {
	b := newBrowser(t)
	h := &recordingHandler{}
	hs := httptest.NewServer(h)
	defer hs.Close()
	e := newEnv(t)
	// A request the team relay brought, already in the store.
	const publisher = "hookscope-3f9a0c12d4e5"
	relayed := &inspect.Record{ReceivedAt: time.Now().Add(-time.Minute), Method: "POST", Path: "/webhooks", Proto: "HTTP/1.1",
		RemoteAddr: "team relay", Body: []byte(`{"event":"video.processed"}`), Size: 27, Event: "video.processed",
		Signature: signature.Verdict{Status: signature.Missing, SecretIndex: -1}, Relay: publisher}
	if err := os.MkdirAll(filepath.Dir(e.db), 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(e.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(context.Background(), relayed); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// A team relay whose NATS is not there: the page says so.
	p := e.start([]string{"forward", "--to", hs.URL, "--secret", webSecret, "--web", "127.0.0.1:0",
		"--publish", "nats://alice:s3cret@127.0.0.1:1"})
	webURL, _ := p.Ready["web_url"].(string)
	if !strings.HasPrefix(webURL, "http://127.0.0.1:") || strings.Contains(webURL, p.URL) {
		t.Fatalf("web_url %q (capture %s)", webURL, p.URL)
	}

	// The capture port never serves the inspector: /api there is a webhook.
	resp, err := http.Get(p.URL + "/api/requests")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if m := p.next("request"); m["path"] != "/api/requests" || m["method"] != "GET" {
		t.Fatalf("GET /api/requests on the capture port was not captured: %v", m)
	}

	b.do(chromedp.Navigate(webURL))
	b.wait("the live stream", `document.querySelector('#live.ok') !== null`)
	b.wait("the team relay's state", `(() => { const p = document.getElementById('team');
		return !p.hidden && /^team (unreachable|connecting)/.test(p.textContent) && p.title.includes('NATS'); })()`)
	if b.eval(`document.getElementById('top').textContent.includes('s3cret') || document.getElementById('team').title.includes('s3cret')`) {
		t.Error("the NATS password is on the page")
	}
	relayedRow := fmt.Sprintf(`#spacer .row[data-id="%s"]`, relayed.ID)
	b.wait("the relayed row, marked", fmt.Sprintf(`document.querySelector('%s .team')?.textContent === 'team '`, relayedRow))
	b.do(chromedp.Click(chromedp.CSS(relayedRow)))
	b.wait("the relayed request's origin", fmt.Sprintf(`document.querySelector('#detail .facts')?.textContent.includes('the team relay: captured by %s')`, publisher))

	// A webhook appears without a reload.
	body1 := []byte(`{"event":"video.processed","timestamp":"2026-03-30T10:15:00Z","data":{"id":"vid_live1","title":"My Video","status":"ready","duration":142}}`)
	postSigned(t, p.URL+"/hooks/live-1", body1, sign(body1, webSecret))
	id1 := p.next("request")["id"].(string)
	b.wait("the live row", fmt.Sprintf(`document.querySelector('#spacer .row[data-id="%s"]') !== null`, id1))

	// A click shows payload and verdict.
	b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#spacer .row[data-id="%s"]`, id1))))
	b.wait("the detail", fmt.Sprintf(`document.querySelector('#detail .title .id')?.textContent === '%s'`, id1))
	if !b.eval(`document.querySelector('#detail .facts .v-valid')?.textContent === '✓ valid'`) ||
		!b.eval(`document.querySelector('#detail .tree')?.textContent.includes('"vid_live1"')`) {
		t.Fatal("the detail lacks the verdict or the payload tree")
	}
	// Collapsible: the data object folds.
	if !b.eval(`(() => { const d = document.querySelector('#detail .tree details details'); d.querySelector('summary').click(); return !d.open; })()`) {
		t.Error("a JSON node did not fold")
	}

	// Replay reaches the handler (the live forward was the first copy).
	b.do(chromedp.Click(chromedp.CSS(`#detail .actions button.primary`)))
	waitCount(t, h, "vid_live1", 2)
	b.wait("the replay's attempt in the detail", `document.querySelectorAll('#detail .attempt').length === 2`)
	b.wait("the replay toast", `document.getElementById('toast').textContent.startsWith('replayed')`)

	// Edit & replay, re-signed: the handler verifies the edited body.
	// (A button: CDP types a key's character after its keydown, into the
	// textarea that keydown just focused, which a person's e never does.)
	b.eval(`(() => { [...document.querySelectorAll('#detail .actions button')].find(x => x.textContent === 'Edit & replay').click(); return true; })()`)
	b.wait("the edit dialog", `document.getElementById('dialog').open && document.querySelector('#dialog textarea') !== null`)
	b.eval(`(() => { const ta = document.querySelector('#dialog textarea'); ta.value = ta.value.replace('"ready"', '"failed"'); return true; })()`)
	b.do(chromedp.Click(chromedp.CSS(`#dialogmenu button.primary`)))
	b.wait("the edited replay's toast", `document.getElementById('toast').textContent.startsWith('replayed (edited)')`)
	waitCount(t, h, `"status":"failed"`, 1)
	if _, valid := h.count(`"status":"failed"`); !valid {
		t.Error("the edited replay's signature did not verify at the handler")
	}

	// A diff of two attempts' answers (forward, replay: same length, same answer).
	b.wait("three attempts", `document.querySelectorAll('#detail .attempt').length === 3`)
	b.eval(`(() => { const cs = document.querySelectorAll('#detail .attempt input[type=checkbox]'); cs[0].click(); cs[2].click(); return true; })()`)
	b.eval(`(() => { [...document.querySelectorAll('#detail .actions button')].find(x => x.textContent.startsWith('Diff the two')).click(); return true; })()`)
	b.wait("the answers' diff", `document.getElementById('dialog').open && document.querySelectorAll('#dialog .diff > div').length > 0`)
	b.do(chromedp.Click(chromedp.CSS(`#dialogclose`)))

	// Hostile markup in body, headers, path and event.
	hostile := fmt.Sprintf(`{"event":%q,"html":%q,"script":%q,"data":{"id":"vid_evil"}}`, pwn, pwn, pwnScript)
	addr := strings.TrimPrefix(p.URL, "http://")
	sendRaw(t, addr, "POST /hooks/"+strings.ReplaceAll(pwnScript, " ", "")+"?q=<img/src=x/onerror=window.__pwned=1> HTTP/1.1",
		[]string{"Content-Type: application/json", "X-VideoNest-Signature: 00", "X-Evil: " + pwn, "X-Script: " + pwnScript}, hostile)
	idEvil := p.next("request")["id"].(string)
	b.wait("the hostile row", fmt.Sprintf(`document.querySelector('#spacer .row[data-id="%s"]') !== null`, idEvil))

	// Keyboard: k moves up to the newest (the hostile one), enter shows it.
	b.do(chromedp.KeyEvent("k"), chromedp.KeyEvent("\r"))
	b.wait("the hostile detail", fmt.Sprintf(`document.querySelector('#detail .title .id')?.textContent === '%s'`, idEvil))
	for _, tab := range []string{"tree", "pretty", "text", "hex"} {
		b.eval(fmt.Sprintf(`(() => { document.querySelector('#detail .tabs button[data-view=%s]').click(); return true; })()`, tab))
	}
	if !b.eval(`document.getElementById('detail').textContent.includes('<img src=x onerror=window.__pwned=1>')`) {
		t.Error("the hostile header is not shown as text")
	}
	if !b.eval(`document.querySelector('#detail .facts .v-invalid')?.textContent === '✗ invalid'`) {
		t.Error("the forged signature is not shown invalid")
	}
	b.do(chromedp.Sleep(300 * time.Millisecond)) // give any injected handler its chance to run (onerror fires asynchronously)
	if !b.eval(`window.__pwned === undefined && document.querySelectorAll('img, iframe, object, embed, script:not([src])').length === 0`) {
		t.Fatal("captured markup ran or was inserted as elements")
	}

	// A diff of two requests' bodies: mark one, d on the other.
	b.do(chromedp.KeyEvent("d"), chromedp.KeyEvent("j"))
	b.wait("the first request again", fmt.Sprintf(`document.querySelector('#detail .title .id')?.textContent === '%s'`, id1))
	b.do(chromedp.KeyEvent("d"))
	b.wait("the bodies' diff", `document.getElementById('dialog').open && document.querySelectorAll('#dialog .diff .add').length > 0 && document.querySelectorAll('#dialog .diff .del').length > 0`)
	b.do(chromedp.Click(chromedp.CSS(`#dialogclose`)))

	// The TUI's filter syntax.
	b.do(chromedp.KeyEvent("/"))
	if !b.eval(`document.activeElement === document.getElementById('filter')`) {
		t.Fatal("/ did not open the filter")
	}
	b.eval(`(document.getElementById('filter').value = '') === ''`) // the CDP artifact again: / typed itself
	b.do(chromedp.SendKeys(chromedp.CSS(`#filter`), "sig:invalid\r"))
	b.wait("the filtered list", fmt.Sprintf(`(() => { const rs = document.querySelectorAll('#spacer .row'); return rs.length === 1 && rs[0].dataset.id === '%s'; })()`, idEvil))

	if !b.eval(`window.__pwned === undefined`) {
		t.Fatal("window.__pwned was set")
	}
	if errs := b.errors(); len(errs) > 0 {
		t.Fatalf("console errors: %q", errs)
	}
}

// The page holds a window of rows over the store: scrolling to the oldest of
// 2 500 and back to the newest pages by cursor both ways, with never more
// than 1 000 rows in memory or more than a screenful in the DOM.
func TestWebInspectorScrollsThroughTheStore(t *testing.T) {
	b := newBrowser(t)
	e := newEnv(t)
	if err := os.MkdirAll(filepath.Dir(e.db), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "run", "./bench/seed", "-db", e.db, "-n", "2500", "-workers", "4").CombinedOutput(); err != nil {
		t.Fatalf("seeding: %v\n%s", err, out)
	}
	p := e.start([]string{"listen", "--web", "127.0.0.1:0"})
	b.do(chromedp.Navigate(p.Ready["web_url"].(string)))
	b.wait("the first page", `document.querySelectorAll('#spacer .row').length > 0 && !window.__hookscope.loading`)
	newest := b.evalString(`window.__hookscope.rows[0].id`)
	if !b.eval(`document.getElementById('counts').textContent === '2,500 stored'`) {
		t.Errorf("count: %q", b.evalString(`document.getElementById('counts').textContent`))
	}
	for i := 0; b.eval(`window.__hookscope.moreOlder`); i++ {
		if i > 40 {
			t.Fatal("never reached the oldest row")
		}
		b.eval(`(() => { const v = document.getElementById('viewport'); v.scrollTop = v.scrollHeight; return true; })()`)
		b.wait("an older page", `!window.__hookscope.loading`)
		if !b.eval(`window.__hookscope.rows.length <= 1000 && document.querySelectorAll('#spacer .row').length < 120`) {
			t.Fatal("the window grew past 1 000 rows or the DOM past a screenful")
		}
	}
	if !b.eval(`window.__hookscope.moreNewer`) {
		t.Fatal("at the oldest row the page forgot that newer rows exist")
	}
	for i := 0; b.eval(`window.__hookscope.moreNewer`); i++ {
		if i > 40 {
			t.Fatal("never came back to the newest row")
		}
		b.eval(`(() => { document.getElementById('viewport').scrollTop = 0; return true; })()`)
		b.wait("a newer page", `!window.__hookscope.loading`)
	}
	b.eval(`(() => { document.getElementById('viewport').scrollTop = 0; return true; })()`)
	if got := b.evalString(`window.__hookscope.rows[0].id`); got != newest {
		t.Fatalf("back at the top the first row is %s, want %s", got, newest)
	}
	if errs := b.errors(); len(errs) > 0 {
		t.Fatalf("console errors: %q", errs)
	}
}

func (b *browser) evalString(js string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

func waitCount(t testing.TB, h *recordingHandler, sub string, want int) {
	t.Helper()
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if n, _ := h.count(sub); n >= want {
			return
		}
	}
	n, _ := h.count(sub)
	h.mu.Lock()
	defer h.mu.Unlock()
	t.Fatalf("the handler got %d bodies with %s, want %d; all: %q", n, sub, want, h.bodies)
}

// BenchmarkWebInspector measures, in a real browser against the built
// binary, a webhook's arrival to its row, first paint with 100 000 stored,
// and the page's JS heap after 10 000 arrivals, and logs them (one pass,
// whatever b.N): go test -run '^$' -bench WebInspector -benchtime 1x .
func BenchmarkWebInspector(t *testing.B) {
	b := newBrowser(t)
	e := newEnv(t)
	if err := os.MkdirAll(filepath.Dir(e.db), 0o755); err != nil {
		t.Fatal(err)
	}
	seed := exec.Command("go", "run", "./bench/seed", "-db", e.db, "-n", "100000", "-workers", "8")
	if out, err := seed.CombinedOutput(); err != nil {
		t.Fatalf("seeding: %v\n%s", err, out)
	}
	p := e.start([]string{"listen", "--secret", webSecret, "--web", "127.0.0.1:0"})
	webURL := p.Ready["web_url"].(string)

	b.do(chromedp.Navigate(webURL))
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	firstRow, err := chromedp.Run(ctx, chromedp.Poll[float64](`document.querySelector('#spacer .row') !== null && performance.now()`))
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	fcp, _ := chromedp.Run(b.ctx, chromedp.Evaluate[float64](`(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: 0}).startTime`))
	t.Logf("100 000 stored: first contentful paint %.0f ms, first row %.0f ms after navigation", fcp, firstRow)
	b.wait("the live stream", `document.querySelector('#live.ok') !== null`)

	// When each row first appears, by the page's clock (the same machine's):
	// no polling interval in the number.
	b.eval(`(() => { window.__seen = {}; new MutationObserver(() => {
		for (const r of document.querySelectorAll('#spacer .row')) {
			const m = /\/lat\/(\d+)/.exec(r.textContent);
			if (m && !(m[1] in window.__seen)) window.__seen[m[1]] = performance.timeOrigin + performance.now();
		}
	}).observe(document.getElementById('spacer'), {childList: true}); return true; })()`)
	var lat []time.Duration
	for i := range 30 {
		body := fmt.Appendf(nil, `{"event":"video.processed","data":{"id":"vid_lat%d"}}`, i)
		sent := float64(time.Now().UnixMicro()) / 1000
		postSigned(t, p.URL+fmt.Sprintf("/lat/%d", i), body, sign(body, webSecret))
		b.wait("row", fmt.Sprintf(`window.__seen['%d'] !== undefined`, i))
		at, _ := chromedp.Run(b.ctx, chromedp.Evaluate[float64](fmt.Sprintf(`window.__seen['%d']`, i)))
		lat = append(lat, time.Duration((at-sent)*float64(time.Millisecond)))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("arrival to row (30 webhooks, one at a time, from before the POST to the row in the DOM): median %v, p90 %v, max %v",
		lat[15].Round(time.Millisecond), lat[27].Round(time.Millisecond), lat[29].Round(time.Millisecond))

	// 10 000 arrivals, 8 senders at once.
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				body := fmt.Appendf(nil, `{"event":"video.processed","data":{"id":"vid_burst%d"}}`, i)
				postSigned(t, p.URL+fmt.Sprintf("/burst/%d", i), body, sign(body, webSecret))
			}
		}()
	}
	start := time.Now()
	for i := range 10000 {
		next <- i
	}
	close(next)
	wg.Wait()
	sent := time.Since(start)
	b.wait("the burst's last row", `[...document.querySelectorAll('#spacer .row')].some(r => r.textContent.includes('/burst/'))`)
	ctx, cancel = context.WithTimeout(b.ctx, 60*time.Second)
	_, err = chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`(() => { const s = window.__hookscope; return !s.loading && s.rows.length === 1000 && s.rows.filter(r => r.path.startsWith('/burst/')).length === 1000; })()`,
		chromedp.WithPollingTimeout(50*time.Second)))
	cancel()
	if err != nil {
		t.Fatalf("the page did not settle after the burst: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	heap, err := chromedp.Call(b.ctx, runtime.GetHeapUsage, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	nodes, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.getElementsByTagName('*').length`))
	t.Logf("after 10 000 arrivals (sent in %v): JS heap %.1f MiB used of %.1f MiB, %d DOM elements",
		sent.Round(time.Millisecond), heap.UsedSize/(1<<20), heap.TotalSize/(1<<20), nodes)
	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
