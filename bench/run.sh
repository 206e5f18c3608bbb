#!/usr/bin/env bash
# bench/run.sh: hookscope's load benchmarks, measured against net/http
# baselines on this machine (127.0.0.1 only).
#
#   bash bench/run.sh              # full table, about 4 minutes (bounded to 8)
#   bash bench/run.sh --quick      # about a minute: 1 round of 3 s runs
#   bash bench/run.sh --profile    # CPU profiles of capture (and capture+forward)
#                                  # in-process under load; pprof top 25
#   bash bench/run.sh --ref HEAD   # measure a commit (git archive), not the
#                                  # working tree others may be editing
#
# Extra flags go to bench/driver: --rounds N, --duration 5s, --runs 20,
# --rows 100000, --budget 8m. The table is also written to
# bench/out/latest.txt, profiles to bench/out/*.pprof (git-ignored).
#
# Needs Go and wrk; installs wrk with apt-get when it is missing.
set -euo pipefail

self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$self")/.."

quick=0
profile=0
ref=""
pass=()
while (($#)); do
	case "$1" in
	--quick) quick=1 ;;
	--profile) profile=1 ;;
	--ref)
		(($# >= 2)) || { echo "bench: --ref needs a commit" >&2; exit 2; }
		ref=$2
		shift
		;;
	--rounds | --duration | --runs | --rows | --budget)
		(($# >= 2)) || { echo "bench: $1 needs a value" >&2; exit 2; }
		pass+=("-${1#--}" "$2")
		shift
		;;
	-h | --help)
		sed -n '2,16p' "$self" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "bench: unknown argument $1 (try --help)" >&2
		exit 2
		;;
	esac
	shift
done

limit=480
((quick)) && limit=120

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookscope-bench.XXXXXX")
driver_pid=""
cleanup() {
	if [[ -n "$driver_pid" ]] && kill -0 "$driver_pid" 2>/dev/null; then
		kill -TERM "$driver_pid" 2>/dev/null || true
		# The driver stops its servers within a few seconds; its children
		# also die with it (PR_SET_PDEATHSIG).
		for _ in $(seq 1 50); do
			kill -0 "$driver_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$driver_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! command -v wrk >/dev/null; then
	echo "bench: wrk is missing; installing it from Debian (apt-get install wrk)" >&2
	sudo=""
	[[ $(id -u) -eq 0 ]] || sudo="sudo"
	if ! command -v apt-get >/dev/null; then
		echo "bench: no apt-get here; install wrk (https://github.com/wg/wrk) and run again" >&2
		exit 1
	fi
	$sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null
fi

src=.
if [[ -n "$ref" ]]; then
	# A clean export of the commit (read-only for the repository), with
	# this bench/ copied in.
	commit=$(git rev-parse --short "$ref^{commit}") || { echo "bench: --ref $ref is not a commit" >&2; exit 2; }
	src="$tmp/src"
	mkdir -p "$src"
	git archive --format=tar "$commit" | tar -x -C "$src"
	rm -rf "$src/bench"
	mkdir -p "$src/bench"
	cp -r bench/bare bench/proxy bench/seed bench/capprof bench/driver bench/relay bench/internal bench/webhook.lua "$src/bench/"
	commit="$commit (clean export)"
else
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [[ -n "$(git status --porcelain 2>/dev/null | head -1)" ]]; then
		commit="$commit + uncommitted changes in the working tree (the binary includes them; --ref HEAD measures the commit alone)"
	fi
fi

echo "bench: building hookscope and the bench programs" >&2
(
	cd "$src"
	go build -o "$tmp/hookscope" .
	for p in bare proxy seed capprof driver; do
		go build -o "$tmp/$p" "./bench/$p"
	done
)

remaining=$((limit - SECONDS))
if ((remaining < 30)); then
	echo "bench: building took too long to leave time for measuring" >&2
	exit 1
fi
args=(-bin "$tmp" -tmp "$tmp" -lua bench/webhook.lua -out bench/out -commit "$commit" -budget "${remaining}s")
((quick)) && args+=(-quick)
((profile)) && args+=(-profile)

"$tmp/driver" "${args[@]}" ${pass[@]+"${pass[@]}"} &
driver_pid=$!
wait "$driver_pid"

# The team relay, in rounds of its own: capture → NATS JetStream → a
# subscriber's commit, with 1 and 4 subscribers, against local capture in
# the same run (bench/relay says how it measures).
if ((SECONDS < limit - 60)); then
	echo "bench: the team relay (bench/relay)" >&2
	n=20000
	((quick)) && n=4000
	(cd "$src" && go run ./bench/relay -n "$n") | tee -a bench/out/latest.txt
fi
