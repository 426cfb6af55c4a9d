#!/usr/bin/env bash
# Builds the rrd module and runs RrdBenchmark. Arguments go to the benchmark:
#   rrd/src/bench/run.sh [--runs N] [--warmups N] [--scan FILE]... [--footer FILE]...
# Defaults: fixtures/large/large.rrd (scripts/gen-fixtures --large). See README.md beside this script.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
mvn -q -o -pl rrd compile
mvn -q -o -pl rrd dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$root/rrd/target/bench-classpath.txt"
cp="rrd/target/classes:$(cat rrd/target/bench-classpath.txt)"
mkdir -p rrd/target/bench-classes
javac -nowarn -d rrd/target/bench-classes -cp "$cp" rrd/src/bench/java/io/rrdflight/rrd/bench/*.java
exec java --add-opens=java.base/java.nio=ALL-UNNAMED -Xmx2g -cp "rrd/target/bench-classes:$cp" io.rrdflight.rrd.bench.RrdBenchmark "$@"
