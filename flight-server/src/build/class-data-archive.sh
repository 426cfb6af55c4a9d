#!/usr/bin/env bash
# Writes rrdflight's class-data-sharing archive (AppCDS): the classes the server loads while it starts,
# already parsed and verified, which the JVM maps instead of reading them from the jar again.
# Run by `mvn package` right after the runnable jar is built (flight-server/pom.xml):
#
#   class-data-archive.sh JAR ARCHIVE [DATASET_DIR...]
#
# The training is one real start: `rrdflight server` on a fresh data dir, registering the .rrd files of
# each DATASET_DIR that exists (the fixtures: files with and without the 0.28+ footer, so both ways of
# registering are archived too), stopped by --exit-when-ready right after its ready line; the JVM lists
# the classes it loaded as it exits. Then a second JVM dumps a static archive of those classes (the JDK's
# and ours in one file). Static, not the dynamic archive of -XX:ArchiveClassesAtExit: Java 17 keeps
# pre-Java 6 class files (picocli's ~150 classes, which every start parses) out of a dynamic archive
# but stores them in a static one: a restart's CPU at the banner 0.88 -> 0.76 s, main thread 0.35 ->
# 0.30 s (same jar, 7 interleaved restarts each, load ~9; scripts/bench/README.md, "Start-up").
# An archive fits only the jar it was made from and the JVM that made it: scripts/rrdflight uses it only
# when it is newer than the jar, and the JVM ignores one that does not match. A failed training leaves
# no archive and does not fail the build (the server starts without one, only slower).
set -euo pipefail

jar="$1"
archive="$2"
shift 2

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
args=(server --port 0 --data-dir "$work/data" --exit-when-ready --train-calls)
n=0
for dataset in "$@"; do
  if [[ -d "$dataset" ]]; then
    n=$((n + 1))
    args+=(--dataset "training$n=$dataset")
  fi
done

rm -f "$archive"
# cds logging off in the training: nothing to say there. The dump lists every class it leaves out (a few
# of picocli's, generated proxies) as a warning: in the log, shown only when the dump fails.
if java -XX:DumpLoadedClassList="$work/classes.txt" -Xlog:cds=off \
    --add-opens=java.base/java.nio=ALL-UNNAMED -jar "$jar" "${args[@]}" >"$work/log" 2>&1 \
    && java -Xshare:dump -XX:SharedClassListFile="$work/classes.txt" -XX:SharedArchiveFile="$work/rrdflight.jsa" \
      --add-opens=java.base/java.nio=ALL-UNNAMED -cp "$jar" >>"$work/log" 2>&1 \
    && [[ -s "$work/rrdflight.jsa" ]]; then
  mv "$work/rrdflight.jsa" "$archive"
  echo "class-data archive: $archive ($(du -h "$archive" | cut -f1))"
else
  echo "warning: no class-data archive written; rrdflight starts without it. The training and dump said:" >&2
  cat "$work/log" >&2
fi
