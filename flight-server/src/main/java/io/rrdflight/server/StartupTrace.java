package io.rrdflight.server;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * With {@code -Drrdflight.trace.startup=true}: one stderr line per start-up step, with the JVM's uptime and
 * the CPU time of the thread that runs the step, to see where a start goes on a shared machine (wall
 * time there says little; scripts/bench/README.md, "Start-up"). Off, a step costs one static read.
 */
public final class StartupTrace {
  private static final boolean ON = Boolean.getBoolean("rrdflight.trace.startup");

  private StartupTrace() {}

  public static void step(String name) {
    if (ON) {
      // Only now: the management beans load ~100 classes a normal start does not need.
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      System.err.printf("startup: %-28s uptime %4d ms  thread CPU %4d ms  (%s)%n", name,
          ManagementFactory.getRuntimeMXBean().getUptime(), threads.getCurrentThreadCpuTime() / 1_000_000,
          Thread.currentThread().getName());
    }
  }
}
