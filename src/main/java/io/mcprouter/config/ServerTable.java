package io.mcprouter.config;

import static io.mcprouter.config.TomlValues.bool;
import static io.mcprouter.config.TomlValues.nonEmptyString;
import static io.mcprouter.config.TomlValues.table;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code [mcp_servers.<key>]} table read into a {@link ServerSpec}: its fields checked by name
 * and type, durations, roots and the interactive mode parsed.
 */
final class ServerTable {

  private static final Set<String> SERVER_FIELDS =
      Set.of(
          "command",
          "share_process",
          "env",
          "cwd",
          "description",
          "request_timeout",
          "idle_timeout",
          "session_idle_timeout",
          "detached_timeout",
          "interactive",
          "roots",
          "expose_stderr",
          "inherit_env",
          "spare_children",
          "protocol",
          "log_payloads");

  private ServerTable() {}

  /** {@code key} is already checked; {@code where} names the file in every error. */
  static ServerSpec read(String where, String key, Object value) {
    String path = "mcp_servers." + key;
    Map<String, Object> fields = table(where, path, value);
    for (String field : fields.keySet()) {
      if (!SERVER_FIELDS.contains(field)) {
        throw new ConfigException(
            where
                + ": unknown field '"
                + path
                + "."
                + field
                + "' (expected one of command, share_process, env, cwd, description, request_timeout, idle_timeout,"
                + " session_idle_timeout, detached_timeout, interactive, roots, expose_stderr, inherit_env,"
                + " spare_children, protocol, log_payloads)");
      }
    }
    String command = nonEmptyString(where, path + ".command", fields.get("command"));
    boolean share = bool(where, path + ".share_process", fields.get("share_process"), true);
    boolean inheritEnv = bool(where, path + ".inherit_env", fields.get("inherit_env"), true);
    Map<String, String> env = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : table(where, path + ".env", fields.get("env")).entrySet()) {
      if (!(e.getValue() instanceof String s)) {
        throw new ConfigException(
            where + ": '" + path + ".env." + e.getKey() + "' must be a string");
      }
      env.put(e.getKey(), s);
    }
    Optional<String> cwd = Optional.empty();
    if (fields.get("cwd") != null) {
      String dir = nonEmptyString(where, path + ".cwd", fields.get("cwd"));
      if (!Files.isDirectory(Path.of(dir))) {
        throw new ConfigException(where + ": '" + path + ".cwd' is not a directory: " + dir);
      }
      cwd = Optional.of(dir);
    }
    Optional<String> description =
        fields.get("description") == null
            ? Optional.empty()
            : Optional.of(nonEmptyString(where, path + ".description", fields.get("description")));
    return new ServerSpec(
            key,
            command,
            share,
            env,
            cwd,
            description,
            duration(where, path + ".request_timeout", fields.get("request_timeout")),
            duration(where, path + ".idle_timeout", fields.get("idle_timeout")),
            positive(where, path + ".session_idle_timeout", fields.get("session_idle_timeout")),
            positive(where, path + ".detached_timeout", fields.get("detached_timeout")))
        .withIsolation(
            interactive(where, path + ".interactive", fields.get("interactive")),
            roots(where, path + ".roots", fields.get("roots")),
            bool(where, path + ".expose_stderr", fields.get("expose_stderr"), false))
        .withInheritEnv(inheritEnv)
        .withSpareChildren(spareChildren(where, path, share, fields.get("spare_children")))
        .withProtocol(protocol(where, path + ".protocol", fields.get("protocol")))
        .withLogPayloads(bool(where, path + ".log_payloads", fields.get("log_payloads"), false));
  }

  private static ServerSpec.ChildProtocol protocol(String where, String path, Object value) {
    if (value == null) {
      return ServerSpec.ChildProtocol.AUTO;
    }
    return switch (value instanceof String s ? s : "") {
      case "auto" -> ServerSpec.ChildProtocol.AUTO;
      case "legacy" -> ServerSpec.ChildProtocol.LEGACY;
      case "modern" -> ServerSpec.ChildProtocol.MODERN;
      default ->
          throw new ConfigException(
              where + ": '" + path + "' must be \"auto\", \"legacy\" or \"modern\"");
    };
  }

  /** At most this many: each spare is a running process nobody uses yet. */
  static final int MAX_SPARE_CHILDREN = 8;

  private static int spareChildren(String where, String path, boolean share, Object value) {
    if (value == null) {
      return 0;
    }
    if (!(value instanceof Number number)
        || number.doubleValue() != Math.rint(number.doubleValue())
        || number.longValue() < 0
        || number.longValue() > MAX_SPARE_CHILDREN) {
      throw new ConfigException(
          where
              + ": '"
              + path
              + ".spare_children' must be a whole number from 0 to "
              + MAX_SPARE_CHILDREN);
    }
    if (share && number.longValue() > 0) {
      throw new ConfigException(
          where
              + ": '"
              + path
              + ".spare_children' needs share_process = false (a shared key has one child already)");
    }
    return number.intValue();
  }

  private static ServerSpec.Interactive interactive(String where, String name, Object value) {
    if (value == null) {
      return ServerSpec.Interactive.ATTRIBUTE;
    }
    if (value instanceof String s) {
      switch (s) {
        case "attribute" -> {
          return ServerSpec.Interactive.ATTRIBUTE;
        }
        case "serialize" -> {
          return ServerSpec.Interactive.SERIALIZE;
        }
        default -> {}
      }
    }
    throw new ConfigException(where + ": '" + name + "' must be \"attribute\" or \"serialize\"");
  }

  /**
   * MCP roots are file URIs; an absolute path is taken as one. A relative path is refused: relative
   * to what the router's or the child's working directory is would be a guess.
   */
  private static List<String> roots(String where, String name, Object value) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list)) {
      throw new ConfigException(
          where + ": '" + name + "' must be an array of file URIs or absolute paths");
    }
    List<String> uris = new ArrayList<>();
    for (Object entry : list) {
      if (!(entry instanceof String s) || s.isBlank()) {
        throw new ConfigException(
            where + ": '" + name + "' must be an array of file URIs or absolute paths");
      }
      if (s.startsWith("file://")) {
        try {
          URI uri = new URI(s);
          if (uri.getPath() == null || !uri.getPath().startsWith("/")) {
            throw new URISyntaxException(s, "no absolute path");
          }
        } catch (URISyntaxException e) {
          throw new ConfigException(where + ": '" + name + "' has an invalid file URI: " + s);
        }
        uris.add(s);
      } else if (s.startsWith("/")) {
        // toUri() ends a directory that exists with '/', one that does not without: the same root
        // either way
        String uri = Path.of(s).normalize().toUri().toString();
        uris.add(
            uri.endsWith("/") && !uri.equals("file:///")
                ? uri.substring(0, uri.length() - 1)
                : uri);
      } else {
        throw new ConfigException(
            where
                + ": '"
                + name
                + "' entries must be file:// URIs or absolute paths, not '"
                + s
                + "'");
      }
    }
    return uris;
  }

  /**
   * A session timeout of zero would end every session at once: refused rather than taken as
   * "never".
   */
  private static Optional<Duration> positive(String where, String name, Object value) {
    Optional<Duration> d = duration(where, name, value);
    if (d.isPresent() && d.get().isZero()) {
      throw new ConfigException(where + ": '" + name + "' must be more than zero");
    }
    return d;
  }

  /**
   * Whole seconds (an integer or a plain number string), or a string such as "500ms", "90s", "10m",
   * "1h".
   */
  private static Optional<Duration> duration(String where, String name, Object value) {
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof Long seconds && seconds >= 0) {
      return Optional.of(Duration.ofSeconds(seconds));
    }
    if (value instanceof String text) {
      Matcher m = Pattern.compile("\\s*(\\d+)\\s*(ms|s|m|h)?\\s*").matcher(text);
      if (m.matches()) {
        long amount = Long.parseLong(m.group(1));
        return Optional.of(
            switch (m.group(2) == null ? "s" : m.group(2)) {
              case "ms" -> Duration.ofMillis(amount);
              case "s" -> Duration.ofSeconds(amount);
              case "m" -> Duration.ofMinutes(amount);
              default -> Duration.ofHours(amount);
            });
      }
    }
    throw new ConfigException(
        where + ": '" + name + "' must be whole seconds or a duration such as \"90s\" or \"10m\"");
  }
}
