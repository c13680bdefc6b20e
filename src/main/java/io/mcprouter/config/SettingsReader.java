package io.mcprouter.config;

import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Typed reads of the HOCON settings under one prefix, each checked for range; every failure is a
 * one-line {@link ConfigException} naming the full setting and where its value came from.
 */
final class SettingsReader {

  private final Config root;
  private final String prefix;

  SettingsReader(Config root, String prefix) {
    this.root = root;
    this.prefix = prefix;
  }

  Duration positiveDuration(String path) {
    Duration value = read(path, () -> root.getDuration(prefix + path));
    return check(path, value, !value.isNegative() && !value.isZero(), "a positive duration");
  }

  Duration nonNegativeDuration(String path) {
    Duration value = read(path, () -> root.getDuration(prefix + path));
    return check(path, value, !value.isNegative(), "a duration of 0 or more");
  }

  long positiveBytes(String path) {
    long value = read(path, () -> root.getBytes(prefix + path));
    return check(path, value, value > 0, "a positive size");
  }

  /**
   * A size ({@code 256MiB}) or a share of the JVM's maximum heap ({@code 25%}, of {@code
   * Runtime.maxMemory()}, which {@code -Xmx} sets); the description names the setting and what it
   * came to, for the log lines of what it refuses.
   */
  SizeSetting sizeOrHeapShare(String path, long maxHeap) {
    String text = read(path, () -> root.getString(prefix + path)).trim();
    if (text.endsWith("%")) {
      double percent;
      try {
        percent = Double.parseDouble(text.substring(0, text.length() - 1).trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(
            "invalid setting "
                + prefix
                + path
                + " = "
                + text
                + ": must be a size (e.g. 256MiB) or a share of the heap (e.g. 25%)"
                + origin(path));
      }
      check(
          path,
          text,
          percent > 0 && percent <= 100,
          "a share of the heap above 0% and at most 100%");
      long bytes = Math.max(1, (long) (maxHeap * percent / 100));
      return new SizeSetting(
          bytes,
          prefix + path + " = " + text + " of the " + maxHeap + "-byte heap, " + bytes + " bytes");
    }
    long bytes = positiveBytes(path);
    return new SizeSetting(bytes, prefix + path + " = " + text);
  }

  /** A size in bytes, and the setting it came from as text for messages. */
  record SizeSetting(long bytes, String description) {}

  int positiveInt(String path) {
    int value = read(path, () -> root.getInt(prefix + path));
    return check(path, value, value > 0, "a positive number");
  }

  int nonNegativeInt(String path) {
    int value = read(path, () -> root.getInt(prefix + path));
    return check(path, value, value >= 0, "0 or more");
  }

  boolean bool(String path) {
    return read(path, () -> root.getBoolean(prefix + path));
  }

  double fraction(String path) {
    double value = read(path, () -> root.getDouble(prefix + path));
    return check(path, value, value >= 0 && value <= 1, "a number from 0 to 1");
  }

  /** A secret: empty, or at least {@code minBytes} long. Its error never quotes it. */
  String secret(String path, int minBytes) {
    String value = read(path, () -> root.getString(prefix + path));
    if (!value.isEmpty() && value.getBytes(StandardCharsets.UTF_8).length < minBytes) {
      throw new ConfigException(
          "invalid setting "
              + prefix
              + path
              + ": must be empty or at least "
              + minBytes
              + " bytes"
              + origin(path));
    }
    return value;
  }

  List<String> stringList(String path) {
    return read(path, () -> List.copyOf(root.getStringList(prefix + path)));
  }

  private <T> T check(String path, T value, boolean ok, String expected) {
    if (!ok) {
      throw new ConfigException(
          "invalid setting "
              + prefix
              + path
              + " = "
              + value
              + ": must be "
              + expected
              + origin(path));
    }
    return value;
  }

  private String origin(String path) {
    var origin = root.getValue(prefix + path).origin();
    return origin.lineNumber() > 0 ? " (" + origin.description() + ")" : "";
  }

  private <T> T read(String path, Supplier<T> getter) {
    try {
      return getter.get();
    } catch (com.typesafe.config.ConfigException.Missing e) {
      throw new ConfigException("missing setting " + prefix + path);
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(
          "invalid setting " + prefix + path + ": " + RouterConfigFiles.oneLine(e.getMessage()));
    }
  }
}
