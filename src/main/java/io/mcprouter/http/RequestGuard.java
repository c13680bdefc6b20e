package io.mcprouter.http;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.extractRequest;

import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaType;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.mcprouter.jsonrpc.JsonRpcError;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every request on a port passes before any route sees it, so that no path (today's or one
 * added later) can forget it: the {@link OriginGuard}, then a JSON content type for any request
 * that carries a body. A browser sends {@code text/plain}, form and multipart bodies cross-site
 * without asking the server first (no CORS preflight); requiring JSON makes such a request fail
 * here, before it could stop a server or reach a session. A request without a body (the README's
 * {@code /v1/list-tools} curl) may declare anything or nothing.
 */
public final class RequestGuard {

  private static final Logger log = LoggerFactory.getLogger(RequestGuard.class);

  private final OriginGuard origins;
  private final ErrorHandling.Style portStyle;

  public RequestGuard(OriginGuard origins, ErrorHandling.Style portStyle) {
    this.origins = origins;
    this.portStyle = portStyle;
  }

  static String firstSegment(String path) {
    int next = path.indexOf('/', 1);
    return next < 0 ? path : path.substring(0, next) + "/...";
  }

  public Route wrap(Route inner) {
    return extractRequest(
        request -> {
          Optional<OriginGuard.Refusal> refused = origins.refusal(request);
          if (refused.isPresent()) {
            // the first segment only: with access keys the next one may be a secret (/mcp/<secret>)
            log.warn(
                "request refused path={} reason={}",
                firstSegment(request.getUri().path()),
                refused.get().log());
            boolean host = refused.get().log().contains("allowed-hosts");
            return complete(
                ObservedResponses.refused(
                    error(request, StatusCodes.FORBIDDEN, refused.get().client(), true),
                    host ? "Host not allowed" : "Origin not allowed",
                    host ? "mcprouter.http.allowed-hosts" : "mcprouter.http.allowed-origins"));
          }
          Optional<String> badType = badContentType(request.entity());
          if (badType.isPresent()) {
            return complete(
                error(request, StatusCodes.UNSUPPORTED_MEDIA_TYPE, badType.get(), false));
          }
          return inner;
        });
  }

  /** Why a body's type is refused; empty when there is no body or it is JSON. */
  static Optional<String> badContentType(HttpEntity entity) {
    if (entity.isKnownEmpty()) {
      return Optional.empty();
    }
    MediaType type = entity.getContentType().mediaType();
    if (isJson(type)) {
      return Optional.empty();
    }
    // Akka reports a missing Content-Type as application/octet-stream
    return Optional.of(
        type.equals(MediaTypes.APPLICATION_OCTET_STREAM)
            ? "a request body must be sent with Content-Type: application/json (it had none, or application/octet-stream)"
            : "a request body must be sent with Content-Type: application/json, not " + type);
  }

  /**
   * {@code application/json} (any parameters, such as charset) or a structured {@code
   * application/*+json} type.
   */
  static boolean isJson(MediaType type) {
    return type.mainType().equals("application")
        && (type.subType().equals("json") || type.subType().endsWith("+json"));
  }

  /**
   * /v1 and /admin speak the API envelope on whichever port they are; the rest of a port its own
   * style.
   */
  private HttpResponse error(
      HttpRequest request, StatusCode status, String message, boolean authorization) {
    String path = request.getUri().path();
    boolean api =
        portStyle == ErrorHandling.Style.API_ENVELOPE
            || underPath(path, "/v1")
            || underPath(path, "/admin");
    if (api) {
      return (authorization ? ApiResult.auth(status, message) : ApiResult.error(status, message))
          .toResponse();
    }
    return ErrorHandling.jsonRpcError(
        status, new JsonRpcError(JsonRpcError.INVALID_REQUEST, message));
  }

  private static boolean underPath(String path, String prefix) {
    return path.equals(prefix) || path.startsWith(prefix + "/");
  }
}
