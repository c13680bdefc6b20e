package io.mcprouter.logging;

/**
 * Client-chosen text in a log line: one line, bounded, so a client cannot forge or flood log lines.
 */
public final class LogText {

  private static final int MAX = 64;

  private LogText() {}

  public static String safe(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX + 3));
    for (int i = 0; i < text.length() && out.length() < MAX; i++) {
      char c = text.charAt(i);
      out.append(Character.isISOControl(c) ? '?' : c);
    }
    return text.length() > MAX ? out + "..." : out.toString();
  }
}
