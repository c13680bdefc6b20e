package io.mcprouter.http;

import static akka.http.javadsl.server.Directives.complete;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.mcprouter.jsonrpc.JsonRpcError;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The server keys of the configuration, checked before anything else looks at a request for a key:
 * an unknown key is 404 naming it on every method, with or without a session header, so a client
 * (mcp-remote tries another transport on a 4xx) learns the real problem instead of a header rule.
 */
public final class KnownKeys {

  /** Read on every request: a reload adds and removes keys. */
  private final Supplier<Set<String>> keys;

  public KnownKeys(Set<String> keys) {
    Set<String> fixed = Set.copyOf(keys);
    this.keys = () -> fixed;
  }

  public KnownKeys(Supplier<Set<String>> keys) {
    this.keys = keys;
  }

  public boolean contains(String key) {
    return keys.get().contains(key);
  }

  public Route check(String key, Supplier<Route> inner) {
    return contains(key)
        ? inner.get()
        : complete(
            ErrorHandling.jsonRpcError(
                StatusCodes.NOT_FOUND,
                new JsonRpcError(JsonRpcError.UNKNOWN_SERVER, "unknown server key '" + key + "'")));
  }
}
