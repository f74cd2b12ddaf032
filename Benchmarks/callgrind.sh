#!/bin/sh
# Instructions per operation of the gateway's hot paths, counted by valgrind (callgrind): exact and
# repeatable on a loaded or virtual machine without hardware counters. Each path runs COUNT and
# 2×COUNT times; the difference divided by COUNT is one operation, start-up and set-up cancelled out.
#   Benchmarks/callgrind.sh [COUNT]        (from the repository root; builds the harness in release)
set -eu
cd "$(dirname "$0")"
COUNT=${1:-200000}
swift build -c release --product CallgrindHarness >&2
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# Valgrind 3.19 cannot read the DWARF 5 that Swift 6 writes; the symbol table is enough for counting.
BIN=$OUT/CallgrindHarness
objcopy --strip-debug .build/release/CallgrindHarness "$BIN"
instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$OUT/cg" "$BIN" "$1" "$2" >/dev/null 2>"$OUT/log"
    sed -n 's/^==[0-9]*== Collected : //p' "$OUT/log"
}
printf '%-16s %14s\n' path instructions/op
for path in sgtin96 sgtin96-hex uri-baseline directory-hit directory-miss directory-gtin dictionary-hit dictionary-gtin; do
    n=$COUNT
    [ "$path" = uri-baseline ] && n=$((COUNT / 100))
    one=$(instructions "$path" "$n")
    two=$(instructions "$path" $((n * 2)))
    echo "$path $one $two $n" | awk '{ printf "%-16s %14.1f\n", $1, ($3 - $2) / $4 }'
done
