package io.mcprouter.config;

import static io.mcprouter.config.TomlValues.nonEmptyString;
import static io.mcprouter.config.TomlValues.table;

import com.moandjiezana.toml.Toml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Reads {@code .env.toml} into a {@link RouterConfig}: the listen tables, the admin token, the
 * server keys (each {@code [mcp_servers.<key>]} table read by {@link ServerTable}) in file order,
 * the access keys ({@link AccessKeysLoader}). Every problem is a {@link ConfigException} naming the
 * key.
 */
public final class TomlConfigLoader {

  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
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
      servers.put(key, ServerTable.read(where, key, e.getValue()));
    }
    List<AccessKey> accessKeys =
        AccessKeysLoader.load(where, root.get("access_keys"), servers.keySet(), adminToken);
    return new RouterConfig(
        source, proxy, api, servers, adminToken, proxyUrl, accessKeys, List.of());
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

  private static String oneLine(RuntimeException e) {
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
