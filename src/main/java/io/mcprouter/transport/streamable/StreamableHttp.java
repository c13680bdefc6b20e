package io.mcprouter.transport.streamable;

import static akka.http.javadsl.server.Directives.complete;

import akka.NotUsed;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.CacheControl;
import akka.http.javadsl.model.headers.CacheDirectives;
import akka.http.javadsl.server.Route;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import io.mcprouter.http.ErrorHandling;
import io.mcprouter.jsonrpc.JsonRpcError;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The small HTTP pieces the {@code /mcp/{key}} routes share: headers, Accept, SSE, errors. */
final class StreamableHttp {

  private StreamableHttp() {}

  /** The header's trimmed value; empty when it is absent or blank. */
  static Optional<String> header(HttpRequest request, String name) {
    return request
        .getHeader(name)
        .map(HttpHeader::value)
        .map(String::trim)
        .filter(v -> !v.isEmpty());
  }

  /**
   * No Accept header means anything; otherwise the type, its family wildcard or a full wildcard
   * must be listed.
   */
  static boolean accepts(HttpRequest request, String mediaType) {
    Optional<String> accept = header(request, "Accept");
    if (accept.isEmpty()) {
      return true;
    }
    String family = mediaType.substring(0, mediaType.indexOf('/')) + "/*";
    for (String part : accept.get().split(",")) {
      String type = part.split(";")[0].trim().toLowerCase(Locale.ROOT);
      if (type.equals(mediaType) || type.equals(family) || type.equals("*/*")) {
        return true;
      }
    }
    return false;
  }

  /** A {@code text/event-stream} response, never cached. */
  static HttpResponse sse(Source<ByteString, NotUsed> events, List<HttpHeader> headers) {
    List<HttpHeader> all = new ArrayList<>(headers);
    all.add(CacheControl.create(CacheDirectives.NO_CACHE));
    return HttpResponse.create()
        .withHeaders(all)
        .withEntity(HttpEntities.create(ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM), events));
  }

  static Route sessionNotFound(String sessionId) {
    return error(
        StatusCodes.NOT_FOUND,
        JsonRpcError.SESSION_NOT_FOUND,
        "unknown or ended session: initialize a new one");
  }

  static Route error(StatusCode status, int code, String message) {
    return complete(ErrorHandling.jsonRpcError(status, new JsonRpcError(code, message)));
  }
}
