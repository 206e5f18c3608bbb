#!/usr/bin/env bash
# bench/soak.sh: a long capture run that shows memory, CPU and the store's
# files staying bounded. Not part of CI; about a minute per million requests.
#
#   bash bench/soak.sh              # 1 000 000 requests (16 connections)
#   bash bench/soak.sh 200000       # fewer
#
# Every 5 s it prints: requests so far, the listen process's resident memory
# (VmRSS) and CPU time, and the sizes of the database file and its WAL.
# Needs Go and wrk (bench/run.sh installs wrk). 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

total=${1:-1000000}
command -v wrk >/dev/null || { echo "soak: wrk is missing (bash bench/run.sh installs it)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookscope-soak.XXXXXX")
pid=""
cleanup() {
	[[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/hookscope" .
"$tmp/hookscope" listen --no-tui --tunnel none --host 127.0.0.1 --port 0 --json \
	--db "$tmp/soak.db" --secret k >>"$tmp/out.jsonl" 2>"$tmp/err" &
pid=$!
addr=""
for _ in $(seq 1 100); do
	addr=$(head -1 "$tmp/out.jsonl" 2>/dev/null | sed -n 's/.*"local_url":"\(http:[^"]*\)".*/\1/p')
	[[ -n "$addr" ]] && break
	sleep 0.1
done
[[ -n "$addr" ]] || { echo "soak: listen did not start:" >&2; cat "$tmp/err" >&2; exit 1; }

# The printer's output would grow without bound and is not what is measured.
: >"$tmp/out.jsonl"
tck=$(getconf CLK_TCK)
sample() {
	local n rss cpu db wal
	n=$(wc -l <"$tmp/out.jsonl")
	rss=$(awk '/VmRSS/{printf "%.1f MiB", $2/1024}' "/proc/$pid/status")
	cpu=$(awk -v t="$tck" '{printf "%.1f s", ($14+$15)/t}' "/proc/$pid/stat")
	db=$(du -m "$tmp/soak.db" | cut -f1)
	wal=$(du -m "$tmp/soak.db-wal" 2>/dev/null | cut -f1)
	printf '%-9s %12s %12s %10s %10s %10s\n' "$1" "$n" "$rss" "$cpu" "${db} MiB" "${wal:-0} MiB"
}

printf '%-9s %12s %12s %10s %10s %10s\n' elapsed requests rss cpu db wal
start=$SECONDS
sample 0s
# wrk has no request count: run in 30 s slices until the total is reached.
while (($(wc -l <"$tmp/out.jsonl") < total)); do
	wrk -t1 -c16 -d30s -s bench/webhook.lua "$addr" >/dev/null &
	w=$!
	for _ in 1 2 3 4 5 6; do
		sleep 5
		sample "$((SECONDS - start))s"
		(($(wc -l <"$tmp/out.jsonl") >= total)) && break
	done
	kill "$w" 2>/dev/null || true
	wait "$w" 2>/dev/null || true
done
sleep 1
sample "end"
