-- webhook.lua: wrk script for bench/run.sh. Every request is a 1 KB signed
-- VideoNest webhook (secret "k") POSTed to /webhooks, as VideoNest posts every
-- event to the one endpoint URL.
--
--   wrk -t1 -c16 -d5s -s bench/webhook.lua http://127.0.0.1:7717 -- POOL.lua
--
-- POOL.lua (written by bench/driver) returns { {body=…, sig=…}, … }: distinct
-- bodies, each signed once in Go, sent round-robin, so stored rows differ the
-- way real deliveries do (distinct body hashes land all over the duplicate
-- index instead of appending to one spot). The requests are formatted once in
-- init: building one per request in Lua cost wrk ~20% of its throughput
-- against the bare baseline, which would flatter hookscope's ratios.
-- Without POOL.lua the one body below is sent; after editing it, regenerate
-- its signature: printf '%s' "$body" | openssl dgst -sha256 -hmac k

local body = [[{"event":"video.processed","timestamp":"2026-03-30T10:15:00Z","data":{"id":"vid_abc123","title":"My Video Title","status":"ready","duration":142,"channel_id":"ch_abc123","description":"Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly one kilobyte. Benchmark payload padded to exactly "}}]]
local signature = "6a8d68d1f00e69d4a02d539d546564abc077cb9add93d4234630ffa4bfe9d0cf"

local requests, n, i = {}, 0, 0

local function format(b, sig)
  return wrk.format("POST", "/webhooks", {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "VideoNest-Webhooks/1.0",
    ["X-VideoNest-Signature"] = sig,
  }, b)
end

function init(args)
  local pool = { { body = body, sig = signature } }
  if args[1] then
    pool = dofile(args[1])
  end
  for _, p in ipairs(pool) do
    n = n + 1
    requests[n] = format(p.body, p.sig)
  end
end

function request()
  i = i % n + 1
  return requests[i]
end

-- One machine-readable line for bench/driver; latency is in microseconds.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d sockerr=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
