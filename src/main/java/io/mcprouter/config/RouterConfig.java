package io.mcprouter.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Everything read from the user's {@code .env.toml}. */
public record RouterConfig(
    Path source,
    Listen proxyServer,
    Listen apiServer,
    Map<String, ServerSpec> servers,
    Optional<String> adminToken,
    String proxyUrl,
    List<AccessKey> accessKeys,
    List<String> loadWarnings) {

  public static final int DEFAULT_PROXY_PORT = 8025;
  public static final int DEFAULT_API_PORT = 8027;
  public static final String DEFAULT_HOST = "127.0.0.1";

  /** A host and port to bind an HTTP server to. */
  public record Listen(String host, int port) {}

  /** The admin token comes from {@code [admin] token} or, when set, this environment variable. */
  public static final String ADMIN_TOKEN_ENV = "MCPROUTER_ADMIN_TOKEN";

  public RouterConfig(
      Path source,
      Listen proxyServer,
      Listen apiServer,
      Map<String, ServerSpec> servers,
      Optional<String> adminToken,
      String proxyUrl) {
    this(source, proxyServer, apiServer, servers, adminToken, proxyUrl, List.of(), List.of());
  }

  public RouterConfig(
      Path source, Listen proxyServer, Listen apiServer, Map<String, ServerSpec> servers) {
    this(source, proxyServer, apiServer, servers, Optional.empty(), defaultProxyUrl(proxyServer));
  }

  public static String defaultProxyUrl(Listen proxy) {
    String host =
        proxy.host().equals("0.0.0.0") || proxy.host().equals("::") ? "127.0.0.1" : proxy.host();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + proxy.port();
  }

  @Override
  public String toString() {
    // never print the admin token
    return "RouterConfig[source="
        + source
        + ", servers="
        + servers.keySet()
        + ", access_keys="
        + accessKeys.size()
        + "]";
  }

  public RouterConfig {
    // keeps the file's order, which is what an operator expects in listings
    servers = Collections.unmodifiableMap(new LinkedHashMap<>(servers));
    accessKeys = List.copyOf(accessKeys);
    loadWarnings = List.copyOf(loadWarnings);
  }

  /** The same configuration with these access keys: what tests and embedders use. */
  public RouterConfig withAccessKeys(List<AccessKey> keys) {
    return new RouterConfig(
        source, proxyServer, apiServer, servers, adminToken, proxyUrl, keys, loadWarnings);
  }

  /**
   * With any access key configured, every MCP and REST request needs a credential (a server key is
   * only a name).
   */
  public boolean accessKeysConfigured() {
    return !accessKeys.isEmpty();
  }

  public Optional<ServerSpec> server(String key) {
    return Optional.ofNullable(servers.get(key));
  }
}
