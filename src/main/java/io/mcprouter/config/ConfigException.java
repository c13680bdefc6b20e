package io.mcprouter.config;

/**
 * The router configuration cannot be used; the message names the file and the offending key or
 * line.
 */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
