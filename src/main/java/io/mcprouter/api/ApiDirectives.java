package io.mcprouter.api;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.entity;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;
import static akka.http.javadsl.server.Directives.withSizeLimit;
import static io.mcprouter.http.BearerToken.bearer;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import akka.http.javadsl.unmarshalling.Unmarshaller;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.mcprouter.access.Credentials;
import io.mcprouter.http.ApiResult;
import io.mcprouter.http.ErrorHandling;
import io.mcprouter.jsonrpc.JsonLimits;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import java.io.IOException;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The parsing half of every REST route: bearer token, X-Client-Info, a JSON object body, the
 * envelope.
 */
public final class ApiDirectives {

  private ApiDirectives() {}

  /** A caller authorized by {@code credentials}, else 401 with the auth envelope. */
  public static Route caller(Credentials credentials, Function<Credentials.Caller, Route> inner) {
    return bearer(
        token -> {
          boolean access = credentials.accessKeysConfigured();
          if (token.isEmpty()) {
            return complete(
                ApiResult.auth(
                        StatusCodes.UNAUTHORIZED,
                        access
                            ? "missing 'Authorization: Bearer <access key>' header"
                            : "missing 'Authorization: Bearer <server key>' header")
                    .toResponse());
          }
          return credentials
              .identify(token.get())
              .map(inner)
              .orElseGet(
                  () ->
                      complete(
                          ApiResult.auth(
                                  StatusCodes.UNAUTHORIZED,
                                  access
                                      ? "invalid access key or admin token"
                                      : "invalid server key or admin token")
                              .toResponse()));
        });
  }

  /** The optional {@code X-Client-Info} header must be a JSON object when present. */
  public static Route clientInfo(JsonLimits limits, Route inner) {
    return optionalHeaderValueByName(
        "X-Client-Info",
        header -> {
          if (header.isPresent() && !parsesToObject(header.get(), limits)) {
            return complete(
                ApiResult.error(
                        StatusCodes.BAD_REQUEST,
                        "X-Client-Info must be a JSON object such as {\"name\": \"app\", \"version\": \"1.0.0\"}")
                    .toResponse());
          }
          return inner;
        });
  }

  /**
   * The body as a JSON object; an empty body is {} (the original README's list-tools sends none). A
   * body over a JSON limit is a 400 naming the limit and its setting.
   */
  public static Route jsonObjectBody(
      long maxBytes, JsonLimits limits, Function<JsonNode, Route> inner) {
    return withSizeLimit(
        maxBytes,
        () ->
            entity(
                Unmarshaller.entityToString(),
                text -> {
                  if (text.isBlank()) {
                    return inner.apply(JsonNodeFactory.instance.objectNode());
                  }
                  JsonNode body;
                  try {
                    body = limits.mapper().readTree(text);
                  } catch (IOException e) {
                    StreamConstraintsException overLimit = JsonRpcCodec.overLimit(e);
                    return complete(
                        ApiResult.error(
                                StatusCodes.BAD_REQUEST,
                                overLimit != null
                                    ? "request body refused: " + limits.describe(overLimit)
                                    : "request body is not valid JSON")
                            .toResponse());
                  }
                  if (!body.isObject()) {
                    return complete(
                        ApiResult.error(
                                StatusCodes.BAD_REQUEST, "request body must be a JSON object")
                            .toResponse());
                  }
                  return inner.apply(body);
                }));
  }

  /**
   * Completes with the result's envelope; a failed stage becomes a 504 or 500 envelope, on
   * whichever port (the proxy's speaks JSON-RPC errors, but /v1 and /admin answer in the envelope
   * there too).
   */
  public static Route render(CompletionStage<ApiResult> result) {
    return onSuccess(
        result.handle(
            (r, failure) ->
                failure == null
                    ? r.toResponse()
                    : ErrorHandling.failure(failure, ErrorHandling.Style.API_ENVELOPE)),
        response -> complete(response));
  }

  public static Route render(ApiResult result) {
    return complete(result.toResponse());
  }

  /** Both the caller and the body, for the common POST shape. */
  public static Route callerAndBody(
      Credentials credentials,
      long maxBytes,
      JsonLimits limits,
      BiFunction<Credentials.Caller, JsonNode, Route> inner) {
    return caller(
        credentials,
        caller ->
            clientInfo(
                limits, jsonObjectBody(maxBytes, limits, body -> inner.apply(caller, body))));
  }

  private static boolean parsesToObject(String text, JsonLimits limits) {
    try {
      return limits.mapper().readTree(text).isObject();
    } catch (IOException e) {
      return false;
    }
  }
}
