package io.mcprouter.http;

import static akka.http.javadsl.server.Directives.path;

import akka.http.javadsl.model.HttpMethod;
import akka.http.javadsl.model.HttpMethods;
import akka.http.javadsl.server.Directives;
import akka.http.javadsl.server.Route;
import java.util.function.Supplier;

/**
 * One REST or operations endpoint: its method and path, as {@code openapi.json} names it. Routes
 * are built from these constants (never from a path literal) so that the test that compares the
 * served endpoints with the document sees every one of them.
 *
 * @param prefix the first path segment ({@code v1}, {@code admin}), matched by the caller's {@code
 *     pathPrefix}; empty for a top-level path such as {@code /healthz}
 * @param name the last path segment
 */
public record Endpoint(HttpMethod method, String prefix, String name) {

  public static final String V1 = "v1";
  public static final String ADMIN = "admin";
  public static final String TOP = "";

  public static Endpoint get(String prefix, String name) {
    return new Endpoint(HttpMethods.GET, prefix, name);
  }

  public static Endpoint post(String prefix, String name) {
    return new Endpoint(HttpMethods.POST, prefix, name);
  }

  /** The path as the document writes it: {@code /v1/list-tools}, {@code /healthz}. */
  public String fullPath() {
    return "/" + (prefix.isEmpty() ? "" : prefix + "/") + name;
  }

  /** Serves {@code handler} at this endpoint's last segment, inside its prefix. */
  public Route route(Supplier<Route> handler) {
    // qualified: the record's own method() accessor hides the directive
    return path(name, () -> Directives.method(method, handler));
  }

  @Override
  public String toString() {
    return method.name() + " " + fullPath();
  }
}
