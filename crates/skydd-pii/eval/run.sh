#!/usr/bin/env bash
# Skydd's recognizers and Presidio on the same corpus, in one run: the quality of each per kind
# and the throughput of each on one core. The tables BENCHMARKS.md ("PII in free text") shows.
#
#   crates/skydd-pii/eval/run.sh
#
# 1. installs eval/requirements.txt into eval/.venv (made with `python3 -m venv` if missing);
# 2. `cargo bench -p skydd-pii --bench scan` (a release build of this crate only) generates the
#    50 MB corpus, prints Skydd's tables and writes the corpus and Skydd's findings as JSON lines;
# 3. eval/presidio.py checks that it scores Skydd's findings as evaluation.rs does, chooses
#    Presidio's configuration on a sample of the tuning split, runs it on a sample of the test
#    split, and prints Skydd and Presidio side by side, with both throughputs.
#
# Output goes to target/skydd-pii-eval/ (SKYDD_PII_EVAL_OUT to change). PRESIDIO_TUNING_KB and
# PRESIDIO_TEST_KB set the samples (400 and 2000 KB). About 5 minutes on two shared cores.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${SKYDD_PII_EVAL_OUT:-$root/target/skydd-pii-eval}"
venv="$here/.venv"
mkdir -p "$out"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

cd "$root"
SKYDD_PII_CORPUS_OUT="$out/corpus.jsonl" SKYDD_PII_FINDINGS_OUT="$out/findings.jsonl" \
    cargo bench -p skydd-pii --bench scan | tee "$out/bench.txt"

echo
echo "## Skydd and Presidio on the same documents"
echo
"$venv/bin/python" "$here/presidio.py" \
    --corpus "$out/corpus.jsonl" \
    --skydd-findings "$out/findings.jsonl" \
    --bench-output "$out/bench.txt" \
    --work "$out" \
    --tuning-kb "${PRESIDIO_TUNING_KB:-400}" \
    --test-kb "${PRESIDIO_TEST_KB:-2000}" \
    --json "$out/results.json" | tee "$out/presidio.txt"
