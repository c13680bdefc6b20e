package io.mcprouter.http;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.extractRequest;

import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.mcprouter.jsonrpc.JsonRpcError;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

/**
 * DNS-rebinding protection, required by the MCP spec for local servers: a browser page on a foreign
 * origin must not reach the router. {@code Origin} must be absent, a loopback origin, or allow-listed;
 * when the router listens on loopback, {@code Host} must name a loopback host (or be allow-listed).
 */
public final class OriginGuard {

  private static final Set<String> LOOPBACK_HOSTS = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

  private final boolean listensOnLoopback;
  private final Set<String> allowedOrigins;
  private final Set<String> allowedHosts;

  public OriginGuard(String listenHost, List<String> allowedOrigins, List<String> allowedHosts) {
    this.listensOnLoopback = LOOPBACK_HOSTS.contains(listenHost.toLowerCase(Locale.ROOT))
        || listenHost.startsWith("127.");
    this.allowedOrigins = Set.copyOf(allowedOrigins.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList());
    this.allowedHosts = Set.copyOf(allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList());
  }

  public Route check(Supplier<Route> inner) {
    return extractRequest(request -> {
      String refusal = refusal(request);
      return refusal == null ? inner.get()
          : complete(ErrorHandling.jsonRpcError(StatusCodes.FORBIDDEN, new JsonRpcError(JsonRpcError.INVALID_REQUEST, refusal)));
    });
  }

  private String refusal(HttpRequest request) {
    var origin = request.getHeader("Origin").map(h -> h.value().trim().toLowerCase(Locale.ROOT));
    if (origin.isPresent() && !origin.get().equals("null") && !allowedOrigins.contains(origin.get())
        && !isLoopbackName(hostOfOrigin(origin.get()))) {
      return "Origin '" + origin.get() + "' is not allowed (mcprouter.http.allowed-origins)";
    }
    if (listensOnLoopback) {
      String host = request.getHeader("Host").map(h -> h.value().trim().toLowerCase(Locale.ROOT)).orElse("");
      if (!host.isEmpty() && !allowedHosts.contains(host) && !isLoopbackName(stripPort(host))) {
        return "Host '" + host + "' is not allowed for a router listening on loopback (mcprouter.http.allowed-hosts)";
      }
    }
    return null;
  }

  private static String hostOfOrigin(String origin) {
    try {
      String host = URI.create(origin).getHost();
      return host == null ? "" : host;
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  private static String stripPort(String host) {
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end < 0 ? host : host.substring(0, end + 1);
    }
    int colon = host.lastIndexOf(':');
    return colon < 0 ? host : host.substring(0, colon);
  }

  private static boolean isLoopbackName(String host) {
    return LOOPBACK_HOSTS.contains(host) || host.startsWith("127.");
  }
}
