package io.mcprouter.http;

import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;

import akka.http.javadsl.server.Route;
import java.util.Optional;
import java.util.function.Function;

/**
 * The {@code Authorization: Bearer} token of a request, read the same way by the REST API, /admin
 * and the MCP paths; what the token authorizes is {@code access.Credentials}' question, not this
 * one's.
 */
public final class BearerToken {

  private BearerToken() {}

  /** The bearer token of the request, if it has one. */
  public static Route bearer(Function<Optional<String>, Route> inner) {
    return optionalHeaderValueByName(
        "Authorization",
        header ->
            inner.apply(
                header
                    .filter(value -> value.regionMatches(true, 0, "Bearer ", 0, 7))
                    .map(value -> value.substring(7).trim())
                    .filter(token -> !token.isEmpty())));
  }
}
