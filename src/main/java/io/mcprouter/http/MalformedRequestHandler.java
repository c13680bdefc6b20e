package io.mcprouter.http;

import akka.event.LoggingAdapter;
import akka.http.ParsingErrorHandler;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.scaladsl.model.ErrorInfo;
import akka.http.scaladsl.model.StatusCode;
import akka.http.scaladsl.settings.ServerSettings;
import io.mcprouter.jsonrpc.JsonRpcError;

/**
 * Answers requests too malformed to reach a route (garbage bytes, unknown methods, oversized
 * headers) with a JSON-RPC error. A request the client got wrong is a 4xx: Akka's 501 for an
 * unknown method would tell monitoring the router failed. Configured as
 * akka.http.server.parsing.error-handler.
 */
public final class MalformedRequestHandler extends ParsingErrorHandler {

  @Override
  public HttpResponse handle(
      StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    akka.http.javadsl.model.StatusCode clientError =
        status.intValue() >= 500 ? StatusCodes.BAD_REQUEST : status;
    return ErrorHandling.jsonRpcError(
        clientError,
        new JsonRpcError(
            JsonRpcError.INVALID_REQUEST, "malformed HTTP request: " + info.summary()));
  }
}
