package io.mcprouter.testsupport;

import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** Builds an {@code sh -c} command line that starts {@link FakeMcpServer} with the current JVM. */
public final class FakeServerCommand {

  private FakeServerCommand() {}

  /**
   * Returns {@code exec '<java>' '-XX:TieredStopAtLevel=1' ...
   * 'io.mcprouter.testsupport.FakeMcpServer' <extraArgs>}, every part single-quoted for sh.
   */
  public static String commandLine(String... extraArgs) {
    List<String> parts = new ArrayList<>();
    parts.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    parts.add("-XX:TieredStopAtLevel=1");
    parts.add("-XX:+UseSerialGC");
    parts.add("-Xss512k");
    parts.add("-cp");
    parts.add(System.getProperty("java.class.path"));
    parts.add(FakeMcpServer.class.getName());
    if (extraArgs != null) {
      for (String a : extraArgs) {
        parts.add(a);
      }
    }
    StringBuilder sb = new StringBuilder("exec");
    for (String p : parts) {
      sb.append(' ').append(quote(p));
    }
    return sb.toString();
  }

  /** Single-quotes a word for sh; embedded single quotes become {@code '\''}. */
  static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
