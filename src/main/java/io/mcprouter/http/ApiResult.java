package io.mcprouter.http;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcCodec;

/**
 * A REST API answer: the original mcprouter envelope {@code {"code", "message", "data"}} (0 ok, -1
 * error, -2 authorization) that existing callers parse, plus a meaningful HTTP status.
 */
public record ApiResult(StatusCode status, int code, String message, JsonNode data) {

  public static final int OK = 0;
  public static final int ERROR = -1;
  public static final int AUTH = -2;

  public static ApiResult ok(String message, JsonNode data) {
    return new ApiResult(StatusCodes.OK, OK, message, data);
  }

  public static ApiResult error(StatusCode status, String message) {
    return new ApiResult(status, ERROR, message, NullNode.getInstance());
  }

  public static ApiResult auth(StatusCode status, String message) {
    return new ApiResult(status, AUTH, message, NullNode.getInstance());
  }

  public ObjectNode envelope() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("code", code);
    node.put("message", message);
    node.set("data", data == null ? NullNode.getInstance() : data);
    return node;
  }

  public HttpResponse toResponse() {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(
              HttpEntities.create(
                  ContentTypes.APPLICATION_JSON,
                  JsonRpcCodec.MAPPER.writeValueAsString(envelope())));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a Jackson tree always serializes", e);
    }
  }

  /**
   * Reads an envelope back (from the proxy's /admin endpoints), keeping the proxy's HTTP status.
   */
  public static ApiResult fromEnvelope(StatusCode status, JsonNode envelope) {
    return new ApiResult(
        status,
        envelope.path("code").asInt(ERROR),
        envelope.path("message").asText(""),
        envelope.has("data") ? envelope.get("data") : NullNode.getInstance());
  }
}
