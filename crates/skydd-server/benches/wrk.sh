#!/usr/bin/env bash
# Issue 19's own method: `wrk -t2` against the axum JSON hello-world and a Skydd server, both
# started by the `http` bench (release build) in hold mode, in alternating rounds on the same
# two cores, and one table with the ratio. wrk's client costs far less CPU than the `http`
# bench's own (reqwest), so a server gets more of the cores here: absolute rates are higher,
# and a ratio to the hello-world, which is mostly client-bound, is lower.
#
# Usage: crates/skydd-server/benches/wrk.sh [decisions|consents]
# Settings as the `http` bench takes them (SKYDD_BENCH_DATABASE_URL, SKYDD_BENCH_SUBJECTS ...),
# plus SKYDD_BENCH_ROUNDS (3), SKYDD_BENCH_SECONDS (5) and SKYDD_BENCH_CONNECTIONS (64 for
# decisions, 8 for consents). Needs `wrk` (Debian: apt-get install -y wrk).
set -euo pipefail

mode="${1:-decisions}"
case "$mode" in
    decisions) connections="${SKYDD_BENCH_CONNECTIONS:-64}" ;;
    consents) connections="${SKYDD_BENCH_CONNECTIONS:-8}" ;;
    *) echo "wrk.sh: unknown mode '$mode'; use decisions or consents" >&2; exit 2 ;;
esac
rounds="${SKYDD_BENCH_ROUNDS:-3}"
seconds="${SKYDD_BENCH_SECONDS:-5}"
command -v wrk > /dev/null || { echo "wrk.sh: wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'exec 3>&- 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
mkfifo "$work/stdin"
cd "$(dirname "$0")/../../.."
SKYDD_BENCH_MODE="$mode" SKYDD_BENCH_HOLD="$work/servers" \
    cargo bench -q -p skydd-server --bench http < "$work/stdin" > "$work/bench.log" 2>&1 &
# Holding the pipe open keeps the servers up; closing it stops them.
exec 3> "$work/stdin"
for _ in $(seq 1 600); do
    [ -s "$work/servers" ] && break
    sleep 1
done
[ -s "$work/servers" ] || { cat "$work/bench.log" >&2; exit 1; }
# shellcheck disable=SC1091
source "$work/servers"

# The Lua side: connection-local counters walk the subjects as the `http` bench does.
cat > "$work/skydd.lua" <<LUA
local subjects = {}
for id in string.gmatch("$subjects", "[^,]+") do subjects[#subjects + 1] = id end
local mode, token, n = "$mode", "$token", 0
offset = 0 -- a global: setup() gives each thread its own start
function setup(thread) thread:set("offset", math.random(0, #subjects - 1)) end
function request()
    n = n + 1
    local subject = subjects[((offset + n) % #subjects) + 1]
    local headers = { ["Authorization"] = "Bearer " .. token }
    if mode == "decisions" then
        return wrk.format("GET", "/v1/decisions?subject=" .. subject ..
            "&purpose=customer_marketing&category=customer_identity&channel=email", headers)
    end
    headers["Content-Type"] = "application/json"
    local granted = (math.floor((offset + n) / #subjects) % 2 == 0) and "true" or "false"
    return wrk.format("POST", "/v1/consents", headers, '{"subject":"' .. subject ..
        '","purpose":"newsletter","granted":' .. granted .. ',"method":"api"}')
end
LUA
# Both scripts report the same way: one RESULT line (requests, errors, microseconds, p50, p99).
cat > "$work/done.lua" <<'LUA'
function done(summary, latency, requests)
    io.write(string.format("RESULT %d %d %d %.3f %.3f\n", summary.requests,
        summary.errors.status + summary.errors.connect + summary.errors.read +
        summary.errors.write + summary.errors.timeout, summary.duration,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA
cat "$work/done.lua" >> "$work/skydd.lua"
cp "$work/done.lua" "$work/hello.lua"

run() { # url script seconds -> "requests errors microseconds p50 p99"
    wrk -t2 -c"$connections" -d"$3"s -s "$2" "$1" | awk '/^RESULT/ { print $2, $3, $4, $5, $6 }'
}
run "$hello" "$work/hello.lua" 2 > /dev/null
run "$base" "$work/skydd.lua" 2 > /dev/null
ratios=()
for _ in $(seq 1 "$rounds"); do
    run "$hello" "$work/hello.lua" "$seconds" >> "$work/hello.txt"
    run "$base" "$work/skydd.lua" "$seconds" >> "$work/skydd.txt"
    ratios+=("$(paste "$work/hello.txt" "$work/skydd.txt" | tail -1 |
        awk '{ printf "%.3f", ($6 / $8) / ($1 / $3) }')")
done
exec 3>&-
wait

total() { # file -> "requests errors rate p50(max over rounds) p99(max over rounds)"
    awk '{ r += $1; e += $2; t += $3; if ($4 > p50) p50 = $4; if ($5 > p99) p99 = $5 }
         END { printf "%d %d %.0f %.2f %.2f", r, e, r / (t / 1e6), p50, p99 }' "$1"
}
read -r hr he hrate hp50 hp99 <<< "$(total "$work/hello.txt")"
read -r sr se srate sp50 sp99 <<< "$(total "$work/skydd.txt")"
backend=sqlite
[ -n "${SKYDD_BENCH_DATABASE_URL:-}" ] && backend=postgres
endpoint="GET /v1/decisions"
[ "$mode" = consents ] && endpoint="POST /v1/consents"
echo "| endpoint | database | connections | requests | errors | requests/s | p50 (worst round) | p99 (worst round) | ratio to hello-world |"
echo "|---|---|---|---|---|---|---|---|---|"
echo "| axum JSON hello-world | - | $connections | $hr | $he | $hrate | $hp50 ms | $hp99 ms | 1.000 |"
echo "| $endpoint | $backend | $connections | $sr | $se | $srate | $sp50 ms | $sp99 ms | $(awk -v s="$srate" -v h="$hrate" 'BEGIN { printf "%.3f", s / h }') |"
echo "ratio per round: ${ratios[*]}; Skydd's p99 per round (ms): $(awk '{ printf "%s ", $5 }' "$work/skydd.txt")"
echo "$rounds rounds of $seconds s each, alternating; wrk -t2"
