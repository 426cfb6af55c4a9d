#!/usr/bin/env python3
"""Names the Java tests that failed, from the JUnit XML reports Surefire and Failsafe write.

scripts/test runs Maven with test failures ignored, so that one failing Java test still leaves the
server's jar built for the Python suites; this script then tells which Java tests failed, one line
each, and exits 1 if any did (0 if none, 2 if no report was found at all).
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

REPORT_DIRS = ("surefire-reports", "failsafe-reports")


def failures(root: Path) -> tuple[int, list[str]]:
    """Returns how many report files were read and a line for each failed or broken test case."""
    reports = sorted(p for d in REPORT_DIRS for p in root.glob(f"*/target/{d}/TEST-*.xml"))
    lines = []
    for report in reports:
        try:
            suite = ElementTree.parse(report).getroot()
        except ElementTree.ParseError as e:
            # A JVM that died mid-run can leave a report cut short: that is a failure too.
            lines.append(f"FAILED {report.relative_to(root)}: unreadable report ({e})")
            continue
        for case in suite.iter("testcase"):
            for kind in ("failure", "error"):
                problem = case.find(kind)
                if problem is not None:
                    text = (problem.get("message") or problem.get("type") or "").strip()
                    first = text.splitlines()[0][:300] if text else ""
                    lines.append(f"FAILED {case.get('classname')}#{case.get('name')} ({kind}): {first}")
    return len(reports), lines


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    count, lines = failures(root)
    if count == 0:
        print("no Java test reports found (did the build compile?)")
        return 2
    for line in lines:
        print(line)
    print(f"java test reports: {count} files, {len(lines)} failed tests")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
