package io.mcprouter.trace;

/**
 * The W3C Trace Context formats as the router accepts them from a client: a {@code traceparent} of
 * version 00's exact shape (55 characters, lower-case hex, neither id all zeros) and a bounded
 * {@code tracestate} of printable ASCII. Anything else is ignored rather than repaired: a client
 * chooses these strings, and they go on into spans and to the child.
 */
final class W3cTraceContext {

  static final int TRACEPARENT_LENGTH = 55;

  /** W3C allows 32 list members of up to 256 characters each; 512 covers real use. */
  static final int MAX_TRACESTATE_LENGTH = 512;

  private W3cTraceContext() {}

  static boolean validTraceparent(String value) {
    if (value == null || value.length() != TRACEPARENT_LENGTH) {
      return false;
    }
    if (value.charAt(2) != '-' || value.charAt(35) != '-' || value.charAt(52) != '-') {
      return false;
    }
    // version ff is forbidden; a later version's longer form is not taken (length checked above)
    if (!hex(value, 0, 2) || value.startsWith("ff")) {
      return false;
    }
    return hex(value, 3, 35)
        && hex(value, 36, 52)
        && hex(value, 53, 55)
        && !zeros(value, 3, 35)
        && !zeros(value, 36, 52);
  }

  static boolean validTracestate(String value) {
    if (value == null || value.isEmpty() || value.length() > MAX_TRACESTATE_LENGTH) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  private static boolean hex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static boolean zeros(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (s.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }
}
