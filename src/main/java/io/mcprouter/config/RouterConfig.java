package io.mcprouter.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Everything read from the user's {@code .env.toml}. */
public record RouterConfig(
    Path source, Listen proxyServer, Listen apiServer, Map<String, ServerSpec> servers) {

  public static final int DEFAULT_PROXY_PORT = 8025;
  public static final int DEFAULT_API_PORT = 8027;
  public static final String DEFAULT_HOST = "127.0.0.1";

  /** A host and port to bind an HTTP server to. */
  public record Listen(String host, int port) {}

  public RouterConfig {
    // keeps the file's order, which is what an operator expects in listings
    servers = Collections.unmodifiableMap(new LinkedHashMap<>(servers));
  }

  public Optional<ServerSpec> server(String key) {
    return Optional.ofNullable(servers.get(key));
  }
}
