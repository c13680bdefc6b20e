package io.mcprouter.access;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.reject;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Route;
import io.mcprouter.config.AccessKey;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.http.BearerToken;
import io.mcprouter.http.ErrorHandling;
import io.mcprouter.http.KnownKeys;
import io.mcprouter.http.ObservedResponses;
import io.mcprouter.jsonrpc.JsonRpcError;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Who may reach which server on the MCP endpoints ({@code /sse}, {@code /messages}, {@code /mcp}).
 * Without access keys the path segment is the server key and nothing more is asked (the original
 * mcprouter). With access keys, a request carries a secret, as {@code Authorization: Bearer} (the
 * segment then names the server) or as the segment itself, {@code /mcp/<secret>} for an access key
 * with one server, {@code /mcp/<secret>/<key>} for one with several. Every request's answer depends
 * only on the credential: a missing or wrong secret is the same 401 whatever the key, and a key
 * that does not exist is the same 404 as one the secret may not use, so keys cannot be enumerated.
 */
public final class McpAccess {

  /**
   * A request allowed to reach {@code serverKey}. {@code owner} names the credential (empty without
   * access keys); a session opened under it accepts only requests with the same owner. {@code
   * pathSecret} is the secret when the client gave it in the path, for URLs handed back to it.
   */
  public record Grant(String serverKey, Optional<String> owner, Optional<String> pathSecret) {}

  private static final HttpResponse NO_CREDENTIAL =
      ErrorHandling.jsonRpcError(
              StatusCodes.UNAUTHORIZED,
              new JsonRpcError(
                  JsonRpcError.INVALID_REQUEST,
                  "an access key is required: send 'Authorization: Bearer <secret>'"
                      + " or put the secret in the path (/mcp/<secret>, /sse/<secret>)"))
          .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"mcprouter\""))
          .addAttribute(
              ObservedResponses.REFUSAL, new ObservedResponses.Refusal("no credential", "auth"));
  private static final HttpResponse NOT_YOURS =
      ErrorHandling.jsonRpcError(
          StatusCodes.NOT_FOUND,
          new JsonRpcError(
              JsonRpcError.UNKNOWN_SERVER,
              "no such server for this access key (an unknown server key, or one this access key may not use)"));

  private final KnownKeys keys;
  private final Optional<Credentials> credentials;

  public McpAccess(RouterConfig config) {
    this(() -> config);
  }

  /** Keys and credentials are read on every request: a reload replaces them. */
  public McpAccess(Supplier<RouterConfig> live) {
    this(new KnownKeys(() -> live.get().servers().keySet()), Optional.of(new Credentials(live)));
  }

  private McpAccess(KnownKeys keys, Optional<Credentials> credentials) {
    this.keys = keys;
    this.credentials = credentials;
  }

  /** The original mcprouter's rule: the path's key is all a request needs. */
  public static McpAccess keysOnly(KnownKeys keys) {
    return new McpAccess(keys, Optional.empty());
  }

  /**
   * Whether requests need a credential, asked per request: a reload may configure the first access
   * key or remove the last.
   */
  public boolean enabled() {
    return credentials.map(Credentials::accessKeysConfigured).orElse(false);
  }

  /**
   * Matches the rest of {@code /<transport>/...}: {@code {key}}, or with access keys also {@code
   * {secret}/{key}}.
   */
  public Route server(String transport, Function<Grant, Route> inner) {
    return concat(
        path(
            segment(),
            first ->
                enabled()
                    ? resolve(transport, first, Optional.empty(), inner)
                    : keys.check(
                        first,
                        () -> inner.apply(new Grant(first, Optional.empty(), Optional.empty())))),
        path(
            segment().slash(segment()),
            (first, key) ->
                enabled() ? resolve(transport, first, Optional.of(key), inner) : reject()));
  }

  /**
   * The owner of a request that names no server ({@code /messages}): a bearer, or the secret in the
   * path. Only with access keys; the caller checks that it owns the session it names.
   */
  public Route owner(Optional<String> pathSecret, Function<String, Route> inner) {
    Credentials credentials = this.credentials.orElseThrow();
    if (pathSecret.isPresent()) {
      return credentials
          .accessKey(pathSecret.get())
          .map(key -> inner.apply(Credentials.Caller.of(key).displayName()))
          .orElseGet(() -> complete(NO_CREDENTIAL));
    }
    return BearerToken.bearer(
        token ->
            token
                .flatMap(credentials::identify)
                .map(caller -> inner.apply(caller.displayName()))
                .orElseGet(() -> complete(NO_CREDENTIAL)));
  }

  private Route resolve(
      String transport, String first, Optional<String> second, Function<Grant, Route> inner) {
    Credentials credentials = this.credentials.orElseThrow();
    Optional<AccessKey> inPath = credentials.accessKey(first);
    if (inPath.isPresent()) {
      Optional<String> server = second.or(() -> inPath.get().soleServer());
      if (server.isEmpty()) {
        return complete(
            ErrorHandling.jsonRpcError(
                StatusCodes.BAD_REQUEST,
                new JsonRpcError(
                    JsonRpcError.INVALID_REQUEST,
                    "this access key may use several servers: name one, /"
                        + transport
                        + "/<secret>/<server key>")));
      }
      return authorized(
          Credentials.Caller.of(inPath.get()), server.get(), Optional.of(first), inner);
    }
    if (second.isPresent()) {
      return complete(NO_CREDENTIAL);
    }
    return BearerToken.bearer(
        token ->
            token
                .flatMap(credentials::identify)
                .map(caller -> authorized(caller, first, Optional.empty(), inner))
                .orElseGet(() -> complete(NO_CREDENTIAL)));
  }

  private Route authorized(
      Credentials.Caller caller,
      String key,
      Optional<String> pathSecret,
      Function<Grant, Route> inner) {
    if (!keys.contains(key) || !caller.mayUse(key)) {
      return complete(NOT_YOURS);
    }
    return inner.apply(new Grant(key, Optional.of(caller.displayName()), pathSecret));
  }

  /** The answer to a request whose credential is missing or wrong, the same on every MCP path. */
  public static HttpResponse noCredential() {
    return NO_CREDENTIAL;
  }
}
