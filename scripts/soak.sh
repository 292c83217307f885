#!/usr/bin/env bash
# The soak test (tests/components/nuki/test_soak.py) with ten seeds while other
# work keeps every core busy: duplicate or missing ring events and commands
# carried out twice show up under load, not on an idle machine.
#   scripts/soak.sh                       ten seeds, .venv's Python
#   PYTHON=.venv-ha2026/bin/python scripts/soak.sh
#   SEEDS="1 2 3" scripts/soak.sh         other seeds
# Each run prints the test's SOAK figures; a table of seed, rings, nuki_events,
# commands carried out and seconds follows. Exit status 1 when any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-.venv/bin/python}"
seeds="${SEEDS:-20250611 1 2 3 4 5 6 7 8 9}"
burners="${BURNERS:-$(nproc 2>/dev/null || echo 2)}"
logs="$(mktemp -d "${TMPDIR:-/tmp}/nuki-soak.XXXXXX")"

pids=()
stop_burners() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}
trap stop_burners EXIT
trap 'exit 130' INT TERM

# Other work on the machine: one busy loop per core.
for _ in $(seq "$burners"); do
    "$python" -c 'while True: pass' &
    pids+=("$!")
done
echo "soak: $burners CPU burners (pids ${pids[*]}), logs in $logs"

failed=0
results=()
for seed in $seeds; do
    log="$logs/seed-$seed.log"
    start=$(date +%s)
    status=passed
    if ! NUKI_SOAK_SEED="$seed" "$python" -m pytest tests/components/nuki/test_soak.py \
        -q -s -p no:randomly -p no:cacheprovider >"$log" 2>&1; then
        status=FAILED
        failed=1
    fi
    took=$(($(date +%s) - start))
    figures="$(grep -o "^SOAK .*" "$log" | tail -n 1 || true)"
    line="$("$python" - "$seed" "$status" "$took" "$figures" <<'EOF'
import ast
import sys

seed, status, took, figures = sys.argv[1:]
if figures.startswith("SOAK "):
    report = ast.literal_eval(figures[5:])
    rings, events = report["rings"], report["nuki_events"]
    print(
        f"seed {seed:>9}  {status:6}  rings {rings:4}  nuki_events {events:4}  "
        f"diff {events - rings:+d}  commands ok {report['command_outcomes'].get('ok', 0):3}  "
        f"carried out {report['commands_carried_out']:3}  test {report['seconds']:5}s  "
        f"run {took}s"
    )
else:
    print(f"seed {seed:>9}  {status:6}  (no figures: failed before the end)  run {took}s")
EOF
)"
    echo "$line"
    results+=("$line")
    if [ "$status" = FAILED ]; then
        grep -E "^(E |FAILED)" "$log" | head -n 20 || true
    fi
done

stop_burners
echo
echo "soak: $(echo "$seeds" | wc -w) runs under load with $python"
printf '%s\n' "${results[@]}"
if [ "$failed" -ne 0 ]; then
    echo "soak: FAILED (logs in $logs)"
    exit 1
fi
echo "soak: all passed"
