package io.rrdflight.server.cli;

import picocli.CommandLine;

/** Reads the version from the jar manifest, so it is stated once: in the pom. */
final class RrdflightVersion implements CommandLine.IVersionProvider {

  static String version() {
    String v = RrdflightVersion.class.getPackage().getImplementationVersion();
    return v == null ? "development build" : v;
  }

  @Override
  public String[] getVersion() {
    return new String[] {
      "rrdflight " + version(),
      "Rerun catalog protocol: rerun-sdk 0.27.3; Java " + System.getProperty("java.version")
    };
  }
}
