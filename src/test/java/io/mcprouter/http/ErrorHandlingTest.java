package io.mcprouter.http;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.entity;
import static akka.http.javadsl.server.Directives.failWith;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.Directives.withSizeLimit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Route;
import akka.http.javadsl.unmarshalling.Unmarshaller;
import akka.http.scaladsl.model.EntityStreamSizeException;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcError;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.Option;

/**
 * Every rejection and exception leaves as JSON: a JSON-RPC error on the MCP ports, the envelope on
 * the REST API. The same routes are bound twice, once per style, on loopback.
 */
class ErrorHandlingTest {

  private static final long LIMIT = 64;

  private static ActorTestKit testKit;
  private static ServerBinding jsonRpc;
  private static ServerBinding envelope;
  private static final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static Route routes() {
    return concat(
        path("ok", () -> complete("ok")),
        path("timeout", () -> failWith(new TimeoutException("no answer"))),
        path(
            "wrapped-timeout",
            () -> failWith(new CompletionException(new TimeoutException("no answer")))),
        path("too-large", () -> failWith(new EntityStreamSizeException(LIMIT, Option.empty()))),
        path("boom", () -> failWith(new IllegalStateException("detail the client must not see"))),
        path(
            "upload",
            () ->
                post(
                    () ->
                        withSizeLimit(
                            LIMIT,
                            () ->
                                entity(
                                    Unmarshaller.entityToString(),
                                    body -> complete("read " + body.length()))))));
  }

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create("ErrorHandlingTest");
    jsonRpc = bind(ErrorHandling.Style.JSON_RPC);
    envelope = bind(ErrorHandling.Style.API_ENVELOPE);
  }

  private static ServerBinding bind(ErrorHandling.Style style) throws Exception {
    return Http.get(testKit.system())
        .newServerAt("127.0.0.1", 0)
        .bind(ErrorHandling.wrap(routes(), style))
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    jsonRpc.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    envelope.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    testKit.shutdownTestKit();
  }

  private record Answer(int status, String contentType, JsonNode body) {}

  private static Answer call(ServerBinding binding, String method, String path, String body)
      throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + path);
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build();
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    String type = response.headers().firstValue("Content-Type").orElse("");
    return new Answer(
        response.statusCode(),
        type,
        type.startsWith("application/json") ? JsonRpcCodec.MAPPER.readTree(response.body()) : null);
  }

  private static Answer get(ServerBinding binding, String path) throws Exception {
    return call(binding, "GET", path, null);
  }

  /** A JSON-RPC error response with a null id: the error object. */
  private static JsonNode jsonRpcError(Answer answer, int status) {
    assertEquals(status, answer.status(), () -> "status of " + answer);
    assertTrue(answer.contentType().startsWith("application/json"), () -> "JSON: " + answer);
    assertEquals("2.0", answer.body().path("jsonrpc").asText(), answer.body().toString());
    assertTrue(answer.body().get("id").isNull(), answer.body().toString());
    return answer.body().get("error");
  }

  /** The REST envelope of an error: code -1, a message, no data. */
  private static String envelopeError(Answer answer, int status) {
    assertEquals(status, answer.status(), () -> "status of " + answer);
    assertTrue(answer.contentType().startsWith("application/json"), () -> "JSON: " + answer);
    assertEquals(ApiResult.ERROR, answer.body().path("code").asInt(0), answer.body().toString());
    assertTrue(answer.body().get("data").isNull(), answer.body().toString());
    assertFalse(answer.body().has("jsonrpc"), answer.body().toString());
    return answer.body().path("message").asText();
  }

  @Test
  void aRouteThatIsNotThereIsAJsonRpcMethodNotFound() throws Exception {
    JsonNode error = jsonRpcError(get(jsonRpc, "/nowhere"), 404);

    assertEquals(JsonRpcError.METHOD_NOT_FOUND, error.path("code").asInt());
    assertFalse(error.path("message").asText().isEmpty());
  }

  @Test
  void aRouteThatIsNotThereIsAnEnvelopeErrorOnTheApi() throws Exception {
    assertFalse(envelopeError(get(envelope, "/nowhere"), 404).isEmpty());
  }

  @Test
  void anotherRejectionIsAnInvalidRequestWithItsStatus() throws Exception {
    JsonNode error = jsonRpcError(call(jsonRpc, "GET", "/upload", null), 405);

    assertEquals(JsonRpcError.INVALID_REQUEST, error.path("code").asInt());
    assertTrue(error.path("message").asText().contains("POST"), error.toString());
    assertTrue(envelopeError(call(envelope, "GET", "/upload", null), 405).contains("POST"));
  }

  @Test
  void aTimeoutIsA504() throws Exception {
    assertEquals(
        JsonRpcError.TIMEOUT, jsonRpcError(get(jsonRpc, "/timeout"), 504).path("code").asInt());
    assertEquals(
        JsonRpcError.TIMEOUT,
        jsonRpcError(get(jsonRpc, "/wrapped-timeout"), 504).path("code").asInt(),
        "a future's failure arrives wrapped");
    assertFalse(envelopeError(get(envelope, "/timeout"), 504).isEmpty());
  }

  @Test
  void anEntityStreamSizeExceptionIsA413NamingTheLimit() throws Exception {
    JsonNode error = jsonRpcError(get(jsonRpc, "/too-large"), 413);

    assertEquals(JsonRpcError.INVALID_REQUEST, error.path("code").asInt());
    assertEquals("request body is larger than " + LIMIT + " bytes", error.path("message").asText());
    assertEquals(
        "request body is larger than " + LIMIT + " bytes",
        envelopeError(get(envelope, "/too-large"), 413));
  }

  @Test
  void aBodyOverItsLimitIsA413NamingTheLimit() throws Exception {
    assertEquals(
        200,
        call(jsonRpc, "POST", "/upload", "small").status(),
        "the route itself reads a small body");

    JsonNode error =
        jsonRpcError(call(jsonRpc, "POST", "/upload", "x".repeat((int) LIMIT * 4)), 413);

    assertEquals("request body is larger than " + LIMIT + " bytes", error.path("message").asText());
  }

  @Test
  void anUnexpectedExceptionIsA500ThatSaysNoMore() throws Exception {
    JsonNode error = jsonRpcError(get(jsonRpc, "/boom"), 500);

    assertEquals(JsonRpcError.INTERNAL_ERROR, error.path("code").asInt());
    assertEquals("internal router error", error.path("message").asText());
    assertEquals("internal router error", envelopeError(get(envelope, "/boom"), 500));
  }

  @Test
  void aRouteThatAnswersIsLeftAlone() throws Exception {
    Answer answer = get(jsonRpc, "/ok");

    assertEquals(200, answer.status());
    assertFalse(answer.contentType().startsWith("application/json"), answer.toString());
  }
}
