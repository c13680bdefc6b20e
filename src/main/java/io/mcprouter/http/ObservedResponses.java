package io.mcprouter.http;

import static akka.http.javadsl.server.Directives.extractRequest;
import static akka.http.javadsl.server.Directives.mapResponse;
import static akka.http.javadsl.server.Directives.optionalAttribute;

import akka.http.javadsl.model.AttributeKey;
import akka.http.javadsl.model.AttributeKeys;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.server.Route;
import io.mcprouter.observe.AccessLog;
import io.mcprouter.observe.McpMetrics;
import io.mcprouter.observe.Observability;
import java.net.InetAddress;

/**
 * Every response of a port, once it is made: counted by status class, and a 4xx written to the
 * access log with its reason, which the code that refused tags the response with ({@link #REFUSAL};
 * an untagged 4xx gets its status's reason). A refusal tagged with a setting also counts in {@code
 * mcprouter_refusals_total}.
 */
public final class ObservedResponses {

  /** Why a request was refused, and the setting or check that refused it (may be empty). */
  public record Refusal(String reason, String setting) {}

  public static final AttributeKey<Refusal> REFUSAL = AttributeKey.create("refusal", Refusal.class);

  private ObservedResponses() {}

  /** {@code response} tagged with why it refuses. */
  public static HttpResponse refused(HttpResponse response, String reason, String setting) {
    return response.addAttribute(REFUSAL, new Refusal(reason, setting));
  }

  public static Route wrap(String port, Observability observability, Route inner) {
    McpMetrics metrics = observability.metrics();
    AccessLog access = observability.accessLog();
    return optionalAttribute(
        AttributeKeys.remoteAddress,
        remote ->
            extractRequest(
                request ->
                    mapResponse(
                        response -> {
                          int status = response.status().intValue();
                          if (metrics != null) {
                            metrics.httpResponse(port, status);
                          }
                          if (status >= 400 && status < 500) {
                            Refusal refusal =
                                response
                                    .getAttribute(REFUSAL)
                                    .orElseGet(() -> new Refusal(byStatus(status), ""));
                            if (metrics != null && !refusal.setting().isEmpty()) {
                              metrics.refused(refusal.setting());
                            }
                            access.refused(
                                status,
                                refusal.reason(),
                                request.method().name(),
                                route(request.getUri().path()),
                                remote
                                    .flatMap(r -> r.getAddress())
                                    .map(InetAddress::getHostAddress)
                                    .orElse(""));
                          }
                          return response;
                        },
                        () -> inner)));
  }

  /** The path's first segment only: with access keys the next one may be a secret. */
  static String route(String path) {
    int start = path.startsWith("/") ? 1 : 0;
    int end = path.indexOf('/', start);
    String first = end < 0 ? path.substring(start) : path.substring(start, end);
    return first.length() > 32 ? first.substring(0, 32) : first;
  }

  private static String byStatus(int status) {
    return switch (status) {
      case 400 -> "bad request";
      case 401 -> "no credential";
      case 403 -> "forbidden";
      case 404 -> "unknown key, session or path";
      case 405 -> "method not allowed";
      case 406 -> "not acceptable";
      case 413 -> "body too large";
      case 415 -> "not JSON";
      case 429 -> "too many requests";
      default -> "http " + status;
    };
  }
}
