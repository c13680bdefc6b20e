package io.mcprouter.config;

import com.moandjiezana.toml.Toml;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code .env.toml} into a {@link RouterConfig}; every problem is a {@link ConfigException}
 * naming the key.
 */
public final class TomlConfigLoader {

  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
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
          "inherit_env");
  private static final Set<String> LISTEN_FIELDS = Set.of("host", "port");
  private static final Set<String> API_FIELDS = Set.of("host", "port", "proxy_url");

  private TomlConfigLoader() {}

  public static RouterConfig load(Path file) {
    if (!Files.isReadable(file)) {
      throw new ConfigException("cannot read config file " + file);
    }
    String text;
    Toml toml;
    try {
      text = Files.readString(file);
      toml = new Toml().read(text);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
    } catch (RuntimeException e) {
      throw new ConfigException("invalid TOML in " + file + ": " + oneLine(e));
    }
    RouterConfig config = fromMap(file, toml.toMap(), text);
    boolean secretInFile = !config.accessKeys().isEmpty() || toml.getString("admin.token") != null;
    return withWarnings(config, StartupChecks.readableByOthers(file, secretInFile));
  }

  private static RouterConfig withWarnings(RouterConfig c, Optional<String> warning) {
    return warning.isEmpty()
        ? c
        : new RouterConfig(
            c.source(),
            c.proxyServer(),
            c.apiServer(),
            c.servers(),
            c.adminToken(),
            c.proxyUrl(),
            c.accessKeys(),
            List.of(warning.get()));
  }

  static RouterConfig fromMap(Path source, Map<String, Object> root, String text) {
    String where = source.toString();
    RouterConfig.Listen proxy =
        listen(where, "proxy_server", root.get("proxy_server"), RouterConfig.DEFAULT_PROXY_PORT);
    Map<String, Object> apiTable =
        new LinkedHashMap<>(table(where, "api_server", root.get("api_server")));
    for (String field : apiTable.keySet()) {
      if (!API_FIELDS.contains(field)) {
        throw new ConfigException(
            where + ": unknown field 'api_server." + field + "' (expected host, port, proxy_url)");
      }
    }
    Object proxyUrlValue = apiTable.remove("proxy_url");
    RouterConfig.Listen api = listen(where, "api_server", apiTable, RouterConfig.DEFAULT_API_PORT);
    String proxyUrl =
        proxyUrlValue == null
            ? RouterConfig.defaultProxyUrl(proxy)
            : nonEmptyString(where, "api_server.proxy_url", proxyUrlValue).replaceAll("/+$", "");
    Map<String, Object> admin = table(where, "admin", root.get("admin"));
    for (String field : admin.keySet()) {
      if (!field.equals("token")) {
        throw new ConfigException(where + ": unknown field 'admin." + field + "' (expected token)");
      }
    }
    Optional<String> adminToken =
        Optional.ofNullable(System.getenv(RouterConfig.ADMIN_TOKEN_ENV))
            .filter(token -> !token.isBlank())
            .or(
                () ->
                    admin.get("token") == null
                        ? Optional.empty()
                        : Optional.of(nonEmptyString(where, "admin.token", admin.get("token"))));

    Map<String, ServerSpec> servers = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e :
        inFileOrder(table(where, "mcp_server_commands", root.get("mcp_server_commands")), text)) {
      String key = checkKey(where, "mcp_server_commands", e.getKey());
      String command = nonEmptyString(where, "mcp_server_commands." + key, e.getValue());
      servers.put(key, ServerSpec.ofCommand(key, command));
    }
    for (Map.Entry<String, Object> e :
        inFileOrder(table(where, "mcp_servers", root.get("mcp_servers")), text)) {
      String key = checkKey(where, "mcp_servers", e.getKey());
      if (servers.containsKey(key)) {
        throw new ConfigException(
            where
                + ": server key '"
                + key
                + "' is defined in both [mcp_server_commands] and [mcp_servers]");
      }
      servers.put(key, serverSpec(where, key, e.getValue()));
    }
    List<AccessKey> accessKeys =
        AccessKeysLoader.load(where, root.get("access_keys"), servers.keySet(), adminToken);
    return new RouterConfig(
        source, proxy, api, servers, adminToken, proxyUrl, accessKeys, List.of());
  }

  private static ServerSpec serverSpec(String where, String key, Object value) {
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
                + " session_idle_timeout, detached_timeout, interactive, roots, expose_stderr, inherit_env)");
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
        .withInheritEnv(inheritEnv);
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

  private static boolean bool(String where, String name, Object value, boolean otherwise) {
    if (value == null) {
      return otherwise;
    }
    if (!(value instanceof Boolean b)) {
      throw new ConfigException(where + ": '" + name + "' must be true or false");
    }
    return b;
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

  /** toml4j forgets the order of keys; operators expect listings in the order they wrote. */
  private static List<Map.Entry<String, Object>> inFileOrder(
      Map<String, Object> table, String text) {
    List<Map.Entry<String, Object>> entries = new ArrayList<>(table.entrySet());
    entries.sort(Comparator.comparingInt(e -> positionOf(e.getKey(), text)));
    return entries;
  }

  private static int positionOf(String key, String text) {
    String bare = key.replace("\"", "");
    Matcher m =
        Pattern.compile(
                "(?m)^\\s*(?:\\[\\s*mcp_servers\\s*\\.\\s*)?\"?"
                    + Pattern.quote(bare)
                    + "\"?\\s*[=\\].]")
            .matcher(text);
    return m.find() ? m.start() : Integer.MAX_VALUE;
  }

  private static RouterConfig.Listen listen(
      String where, String name, Object value, int defaultPort) {
    Map<String, Object> fields = table(where, name, value);
    for (String field : fields.keySet()) {
      if (!LISTEN_FIELDS.contains(field)) {
        throw new ConfigException(
            where + ": unknown field '" + name + "." + field + "' (expected host, port)");
      }
    }
    String host =
        fields.get("host") == null
            ? RouterConfig.DEFAULT_HOST
            : nonEmptyString(where, name + ".host", fields.get("host"));
    int port = defaultPort;
    Object portValue = fields.get("port");
    if (portValue != null) {
      if (!(portValue instanceof Long p) || p < 0 || p > 65535) {
        throw new ConfigException(
            where + ": '" + name + ".port' must be an integer from 0 to 65535");
      }
      port = p.intValue();
    }
    return new RouterConfig.Listen(host, port);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> table(String where, String name, Object value) {
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof Map)) {
      throw new ConfigException(where + ": '" + name + "' must be a table");
    }
    return (Map<String, Object>) value;
  }

  private static String checkKey(String where, String table, String key) {
    String bare =
        key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"")
            ? key.substring(1, key.length() - 1)
            : key;
    if (!KEY.matcher(bare).matches()) {
      throw new ConfigException(
          where
              + ": invalid server key '"
              + bare
              + "' in ["
              + table
              + "]: keys are 1 to 64 characters of A-Z a-z 0-9 _ . -");
    }
    // a key is a path segment (/sse/<key>): "." and ".." are normalised away by clients and proxies
    if (bare.chars().allMatch(c -> c == '.')) {
      throw new ConfigException(
          where
              + ": invalid server key '"
              + bare
              + "' in ["
              + table
              + "]: a key of dots only is a relative path segment, not a name");
    }
    return bare;
  }

  private static String nonEmptyString(String where, String name, Object value) {
    if (!(value instanceof String s) || s.isBlank()) {
      throw new ConfigException(where + ": '" + name + "' must be a non-empty string");
    }
    return s;
  }

  private static String oneLine(RuntimeException e) {
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
