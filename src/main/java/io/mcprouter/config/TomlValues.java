package io.mcprouter.config;

import java.util.Map;

/** The typed values of a TOML table, each refused with a {@link ConfigException} naming it. */
final class TomlValues {

  private TomlValues() {}

  @SuppressWarnings("unchecked")
  static Map<String, Object> table(String where, String name, Object value) {
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof Map)) {
      throw new ConfigException(where + ": '" + name + "' must be a table");
    }
    return (Map<String, Object>) value;
  }

  static String nonEmptyString(String where, String name, Object value) {
    if (!(value instanceof String s) || s.isBlank()) {
      throw new ConfigException(where + ": '" + name + "' must be a non-empty string");
    }
    return s;
  }

  static boolean bool(String where, String name, Object value, boolean otherwise) {
    if (value == null) {
      return otherwise;
    }
    if (!(value instanceof Boolean b)) {
      throw new ConfigException(where + ": '" + name + "' must be true or false");
    }
    return b;
  }
}
