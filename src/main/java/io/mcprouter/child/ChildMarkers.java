package io.mcprouter.child;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Environment entries every child is started with, so that its descendants can be found by what
 * they inherited even after they left its process group ({@code setsid}) and its tree (double
 * fork): {@code MCPROUTER_RUN} names this router process, {@code MCPROUTER_INSTANCE} one launch of
 * one child. Random labels, not secrets: they only tell the router's processes apart from everyone
 * else's. A descendant that clears or replaces its environment drops them and is not found this
 * way.
 */
public final class ChildMarkers {

  static final String RUN_VARIABLE = "MCPROUTER_RUN";
  static final String INSTANCE_VARIABLE = "MCPROUTER_INSTANCE";
  private static final SecureRandom RANDOM = new SecureRandom();

  /** One per JVM: the watchdog that outlives the JVM sweeps by it. */
  static final String RUN = randomId();

  private ChildMarkers() {}

  public static String newInstance() {
    return randomId();
  }

  /** The NUL-free {@code NAME=value} entry as it appears in /proc/PID/environ. */
  static byte[] entry(String variable, String value) {
    return (variable + "=" + value).getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Whether {@code environ} (NUL-separated entries, as in /proc/PID/environ) holds {@code entry}
   * exactly.
   */
  static boolean holds(byte[] environ, byte[] entry) {
    int last = environ.length - entry.length;
    for (int start = 0; start <= last; start++) {
      if ((start == 0 || environ[start - 1] == 0)
          && (start == last || environ[start + entry.length] == 0)
          && regionEquals(environ, start, entry)) {
        return true;
      }
    }
    return false;
  }

  private static boolean regionEquals(byte[] bytes, int start, byte[] entry) {
    for (int i = 0; i < entry.length; i++) {
      if (bytes[start + i] != entry[i]) {
        return false;
      }
    }
    return true;
  }

  private static String randomId() {
    byte[] bytes = new byte[12];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
