#!/bin/sh
# bench-fix-vs-yq.sh: what a user would script instead of `fix --write` is a
# loop of mikefarah yq v4, one `yq -i` per file. This times both over 20
# copies of the corpus's legacy flows (../shared/corpus/dep_*.yml, never
# copied into the repository) and prints files/s and the ratio (goal: >= 50).
# yq is installed into a temporary GOBIN from the Go module proxy and removed
# afterwards. The files are made under $TMPDIR (or /tmp): the file system's
# cost of creating and renaming files is part of both figures, and differs
# widely between file systems (TMPDIR=/dev/shm measures on tmpfs).
# Usage: [FIX_ARGS="--rules runner-to-task-runner"] [TMPDIR=DIR] .ci/bench-fix-vs-yq.sh [CORPUS_DIR] [COPIES]
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-$repo/../shared/corpus}
copies=${2:-20}
ls "$corpus"/dep_*.yml >/dev/null 2>&1 || { echo "no dep_*.yml in $corpus" >&2; exit 2; }
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
echo "installing yq v4 and building kestra-migrator into $work/bin" >&2
GOBIN="$work/bin" GOFLAGS=-mod=mod go install github.com/mikefarah/yq/v4@latest
(cd "$repo" && go build -o "$work/bin/kestra-migrator" ./cmd/kestra-migrator)
"$work/bin/yq" --version >&2
i=1
while [ "$i" -le "$copies" ]; do
	mkdir -p "$work/yq/$i" "$work/fix/$i"
	cp "$corpus"/dep_*.yml "$work/yq/$i/"
	cp "$corpus"/dep_*.yml "$work/fix/$i/"
	chmod u+w "$work/yq/$i"/*.yml "$work/fix/$i"/*.yml # the shared corpus is read-only
	i=$((i + 1))
done
files=$(find "$work/fix" -name '*.yml' | wc -l | tr -d ' ')
sync # neither run pays for the copies' write-back

now() { date +%s.%N; }
# timed CMD...: runs CMD, sets $took (wall seconds) and $cpu (user + system
# CPU seconds of CMD and its children, with GNU time; "n/a" without it)
timed() {
	code=0
	start=$(now)
	if /usr/bin/time -f '%U + %S' -o "$work/cpu" true 2>/dev/null; then
		/usr/bin/time -f '%U + %S' -o "$work/cpu" "$@" || code=$?
		cpu=$(tail -n 1 "$work/cpu" | bc)
	else
		"$@" || code=$?
		cpu=n/a
	fi
	took=$(echo "$(now) - $start" | bc)
	return 0
}
timed sh -c 'for f in "$1"/yq/*/*.yml; do "$2" -i ".id = .id" "$f" || exit 1; done' _ "$work" "$work/bin/yq"
[ "$code" -eq 0 ] || { echo "the yq loop exited $code" >&2; exit 1; }
yq_s=$took yq_cpu=$cpu
sync # fix's durability step must not pay for flushing what the yq loop wrote

# the same files with --check: the rewrite alone, nothing written
timed env XDG_CONFIG_HOME="$work/cfg" "$work/bin/kestra-migrator" fix --check --log-level error -o json --output "$work/check.json" ${FIX_ARGS:-} "$work/fix" 2>"$work/check.err"
[ "$code" -eq 0 ] || [ "$code" -eq 3 ] || { echo "fix --check exited $code" >&2; exit 1; }
check_s=$took check_cpu=$cpu

timed env XDG_CONFIG_HOME="$work/cfg" "$work/bin/kestra-migrator" fix --write --log-level error -o json --output "$work/report.json" ${FIX_ARGS:-} "$work/fix"
fix_s=$took fix_cpu=$cpu
# 4: some corpus flows are unsupported (left as they are), which is expected
[ "$code" -eq 0 ] || [ "$code" -eq 4 ] || { echo "fix --write exited $code" >&2; exit 1; }
migrated=$(grep -c '"status": "migrated"' "$work/report.json" || true)
leftover=$(find "$work/fix" -name '.*.tmp-*' | wc -l | tr -d ' ')
[ "$leftover" -eq 0 ] || { echo "$leftover temporary files left by fix" >&2; exit 1; }

echo "files: $files ($copies copies of $(ls "$corpus"/dep_*.yml | wc -l | tr -d ' ') legacy flows), $migrated flows migrated by fix"
echo "machine: $(getconf _NPROCESSORS_ONLN) cores, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'), files on $(stat -f -c %T "$work" 2>/dev/null || echo '?') ($work)"
echo "yq -i loop:   ${yq_s}s wall, ${yq_cpu}s CPU, $(echo "scale=0; $files / $yq_s" | bc) files/s"
echo "fix --check:  ${check_s}s wall, ${check_cpu}s CPU, $(echo "scale=0; $files / $check_s" | bc) files/s (the rewrite, nothing written: $(echo "scale=1; $yq_s / $check_s" | bc)x)"
echo "fix --write:  ${fix_s}s wall, ${fix_cpu}s CPU, $(echo "scale=0; $files / $fix_s" | bc) files/s"
if [ "$fix_cpu" != n/a ] && [ "$(echo "$fix_cpu > 0" | bc)" -eq 1 ]; then
	echo "ratio: $(echo "scale=1; $yq_s / $fix_s" | bc)x wall, $(echo "scale=1; $yq_cpu / $fix_cpu" | bc)x CPU"
else
	echo "ratio: $(echo "scale=1; $yq_s / $fix_s" | bc)x wall"
fi
