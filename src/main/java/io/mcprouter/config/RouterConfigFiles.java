package io.mcprouter.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the HOCON settings come from, highest first: system properties, the operator's file ({@code
 * ./application.conf}, or {@code -Dconfig.file} / {@code -Dconfig.resource}), the Akka tuning
 * bundled as {@value #AKKA_TUNING}, and every {@code reference.conf} (mcprouter's defaults among
 * them).
 */
public final class RouterConfigFiles {

  /**
   * Akka settings mcprouter overrides; not in reference.conf, whose merge order depends on the
   * classpath.
   */
  public static final String AKKA_TUNING = "akka-tuning.conf";

  private RouterConfigFiles() {}

  /**
   * The settings with {@code operator} as the override layer; a malformed file throws
   * ConfigException.
   */
  public static Config load(Config operator) {
    ConfigFactory.invalidateCaches();
    return ConfigFactory.load(
        operator.withFallback(ConfigFactory.parseResourcesAnySyntax(AKKA_TUNING)));
  }

  /**
   * The operator's file: the one named by -Dconfig.file or -Dconfig.resource, else
   * ./application.conf if present.
   */
  public static Config operatorFile(Path workingDirectory) {
    String file = System.getProperty("config.file");
    if (file != null) {
      return parseOrFail(Path.of(file));
    }
    String resource = System.getProperty("config.resource");
    if (resource != null) {
      return ConfigFactory.parseResources(resource);
    }
    Path local = workingDirectory.resolve("application.conf");
    return Files.isRegularFile(local) ? parseOrFail(local) : ConfigFactory.empty();
  }

  private static Config parseOrFail(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new ConfigException("settings file " + path + " does not exist");
    }
    try {
      return ConfigFactory.parseFile(path.toFile());
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException("cannot read " + path + ": " + oneLine(e.getMessage()));
    }
  }

  static String oneLine(String message) {
    String text = String.valueOf(message);
    int newline = text.indexOf('\n');
    return newline < 0 ? text : text.substring(0, newline);
  }
}
