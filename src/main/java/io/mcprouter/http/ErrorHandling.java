package io.mcprouter.http;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.handleExceptions;
import static akka.http.javadsl.server.Directives.handleRejections;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.ExceptionHandler;
import akka.http.javadsl.server.MalformedRequestContentRejection;
import akka.http.javadsl.server.RejectionHandler;
import akka.http.javadsl.server.Route;
import akka.http.scaladsl.model.EntityStreamSizeException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.mcprouter.jsonrpc.JsonRpcError;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where rejections and unexpected exceptions become HTTP responses: always JSON with
 * a JSON-RPC error object, so an MCP client sees what was wrong.
 */
public final class ErrorHandling {

  private static final Logger log = LoggerFactory.getLogger(ErrorHandling.class);

  private ErrorHandling() {}

  /**
   * How a port speaks errors: MCP ports with a JSON-RPC error object, the REST API with its
   * envelope.
   */
  public enum Style {
    JSON_RPC,
    API_ENVELOPE
  }

  public static Route wrap(Route inner, Style style) {
    // built once: the Java DSL calls these suppliers on every request
    ExceptionHandler exceptions = exceptionHandler(style);
    Route withRejections = handleRejections(rejectionHandler(style), () -> inner);
    return handleExceptions(exceptions, () -> withRejections);
  }

  /** A JSON response carrying a JSON-RPC error with a null id. */
  public static HttpResponse jsonRpcError(StatusCode status, JsonRpcError error) {
    return jsonRpcError(status, null, error);
  }

  /**
   * A JSON response carrying a JSON-RPC error for the request with {@code id} (null when unknown).
   */
  public static HttpResponse jsonRpcError(StatusCode status, JsonNode id, JsonRpcError error) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(
            HttpEntities.create(
                ContentTypes.APPLICATION_JSON,
                error.toResponseJson(id == null ? NullNode.getInstance() : id)));
  }

  private static ExceptionHandler exceptionHandler(Style style) {
    return ExceptionHandler.newBuilder()
        .match(
            CompletionException.class,
            e -> completeFor(e.getCause() != null ? e.getCause() : e, style))
        .matchAny(e -> completeFor(e, style))
        .build();
  }

  private static Route completeFor(Throwable e, Style style) {
    return complete(failure(e, style));
  }

  /**
   * The response for a request that failed rather than being answered: 504 for an ask that timed
   * out, 413 for a body over its limit, 500 (logged) for anything else. For routes that render a
   * failed future themselves in a style other than their port's.
   */
  public static HttpResponse failure(Throwable failure, Style style) {
    Throwable e =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (e instanceof TimeoutException) {
      return error(
          style,
          StatusCodes.GATEWAY_TIMEOUT,
          JsonRpcError.TIMEOUT,
          "the router did not get an answer in time");
    }
    if (e instanceof EntityStreamSizeException size) {
      return error(
          style,
          StatusCodes.PAYLOAD_TOO_LARGE,
          JsonRpcError.INVALID_REQUEST,
          "request body is larger than " + size.limit() + " bytes");
    }
    log.error("unexpected error while handling a request", e);
    return error(
        style,
        StatusCodes.INTERNAL_SERVER_ERROR,
        JsonRpcError.INTERNAL_ERROR,
        "internal router error");
  }

  private static RejectionHandler rejectionHandler(Style style) {
    // Akka's text for an unreadable body names its exception and its settings: say what was wrong
    // instead
    RejectionHandler unreadable =
        RejectionHandler.newBuilder()
            .handle(
                MalformedRequestContentRejection.class,
                rejection -> {
                  if (rejection.getCause() instanceof EntityStreamSizeException size) {
                    return complete(
                        error(
                            style,
                            StatusCodes.PAYLOAD_TOO_LARGE,
                            JsonRpcError.INVALID_REQUEST,
                            "request body is larger than " + size.limit() + " bytes"));
                  }
                  log.debug("unreadable request body: {}", rejection.message());
                  return complete(
                      error(
                          style,
                          StatusCodes.BAD_REQUEST,
                          JsonRpcError.INVALID_REQUEST,
                          "request body could not be read"));
                })
            .build();
    return unreadable
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(
            response -> {
              if (response.entity() instanceof HttpEntity.Strict strict
                  && !strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                int code =
                    response.status().intValue() == 404
                        ? JsonRpcError.METHOD_NOT_FOUND
                        : JsonRpcError.INVALID_REQUEST;
                return error(style, response.status(), code, strict.getData().utf8String());
              }
              return response;
            });
  }

  private static HttpResponse error(
      Style style, StatusCode status, int jsonRpcCode, String message) {
    return style == Style.API_ENVELOPE
        ? ApiResult.error(status, message).toResponse()
        : jsonRpcError(status, new JsonRpcError(jsonRpcCode, message));
  }
}
