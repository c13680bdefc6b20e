package io.mcprouter.modern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Results and errors as a modern client gets them, checked against the schema (Result.resultType,
 * CacheableResult, DiscoverResult, UnsupportedProtocolVersionError), server/utilities/caching.mdx
 * ("Cacheable Results"), server/resources.mdx ("Error Handling"), basic/index.mdx ("Error codes":
 * -32002 MUST NOT be emitted), server/discover.mdx and server/utilities/logging.mdx.
 */
class ModernAnswersTest {

  private static final JsonNode CLIENT_ID = new TextNode("client-1");
  private static final JsonNode CHILD_ID = new IntNode(1001);

  private static ObjectNode json(String text) {
    try {
      return (ObjectNode) JsonRpcCodec.MAPPER.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static ModernRequest request(String method, String params, String logLevel) {
    return new ModernRequest(
        CLIENT_ID,
        method,
        json(params),
        json("{}"),
        Optional.empty(),
        Optional.ofNullable(logLevel));
  }

  private static ModernRequest request(String method) {
    return request(method, "{}", null);
  }

  private static JsonRpcMessage.Response ok(String result) {
    return JsonRpcMessage.success(CHILD_ID, json(result));
  }

  private static JsonRpcMessage.Response error(String error) {
    return new JsonRpcMessage.Response(CHILD_ID, null, json(error));
  }

  // ---- results ----

  @Test
  void aResultGetsResultTypeCompleteAndTheClientsId() {
    JsonRpcMessage.Response answer =
        ModernAnswers.answer(
            request("tools/call", "{\"name\":\"echo\"}", null),
            ok("{\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}"));
    assertEquals(CLIENT_ID, answer.id());
    assertNull(answer.error());
    assertEquals("complete", answer.result().path("resultType").asText());
    assertEquals("hi", answer.result().path("content").path(0).path("text").asText());
  }

  @Test
  void aResultTypeAlreadyThereIsKept() {
    JsonNode result =
        ModernAnswers.complete("tools/call", json("{\"resultType\":\"input_required\"}"));
    assertEquals("input_required", result.path("resultType").asText());
  }

  @Test
  void completeDoesNotMutateTheChildsResult() {
    ObjectNode fromChild = json("{\"tools\":[]}");
    ModernAnswers.complete("tools/list", fromChild);
    assertEquals(json("{\"tools\":[]}"), fromChild);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "tools/list",
        "prompts/list",
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "server/discover"
      })
  void cacheableResultsCarryCachingHints(String method) {
    // caching.mdx: servers MUST include caching hints on these; ttlMs >= 0, cacheScope
    // "public" | "private"
    JsonNode result = ModernAnswers.complete(method, json("{}"));
    assertEquals("complete", result.path("resultType").asText());
    assertTrue(result.path("ttlMs").isIntegralNumber(), () -> method + ": " + result);
    assertTrue(result.path("ttlMs").asLong() >= 0);
    assertTrue(
        List.of("public", "private").contains(result.path("cacheScope").asText()),
        () -> method + ": " + result);
  }

  @ParameterizedTest
  @ValueSource(strings = {"tools/call", "prompts/get", "completion/complete"})
  void otherResultsCarryNoCachingHints(String method) {
    JsonNode result = ModernAnswers.complete(method, json("{}"));
    assertFalse(result.has("ttlMs"), () -> method + ": " + result);
    assertFalse(result.has("cacheScope"), () -> method + ": " + result);
    assertEquals("complete", result.path("resultType").asText());
  }

  @Test
  void cachingHintsTheChildGaveAreKept() {
    JsonNode result =
        ModernAnswers.complete("tools/list", json("{\"ttlMs\":60000,\"cacheScope\":\"public\"}"));
    assertEquals(60000, result.path("ttlMs").asInt());
    assertEquals("public", result.path("cacheScope").asText());
  }

  @Test
  void anInputRequiredResultCarriesNoCachingHints() {
    // caching.mdx: interim results with resultType "input_required" are not cacheable and carry
    // no caching hints
    JsonNode result =
        ModernAnswers.complete("resources/read", json("{\"resultType\":\"input_required\"}"));
    assertFalse(result.has("ttlMs"), () -> result.toString());
    assertFalse(result.has("cacheScope"), () -> result.toString());
  }

  @Test
  void aNonObjectResultIsLeftAlone() {
    JsonNode text = new TextNode("odd");
    assertSame(text, ModernAnswers.complete("tools/list", text));
    assertNull(ModernAnswers.complete("tools/list", null));
  }

  // ---- errors ----

  @Test
  void resourceNotFoundBecomesInvalidParamsNamingTheUri() {
    // resources.mdx "Error Handling": -32602 with data.uri; basic/index: -32002 MUST NOT be
    // emitted by implementations of this version
    JsonRpcMessage.Response answer =
        ModernAnswers.answer(
            request("resources/read", "{\"uri\":\"file:///nonexistent.txt\"}", null),
            error("{\"code\":-32002,\"message\":\"Resource not found\"}"));
    assertEquals(CLIENT_ID, answer.id());
    assertNull(answer.result());
    assertEquals(JsonRpcError.INVALID_PARAMS, answer.error().path("code").asInt());
    assertEquals("Resource not found", answer.error().path("message").asText());
    assertEquals("file:///nonexistent.txt", answer.error().path("data").path("uri").asText());
  }

  @Test
  void resourceNotFoundKeepsTheChildsData() {
    ObjectNode fromChild =
        json("{\"code\":-32002,\"message\":\"nope\",\"data\":{\"uri\":\"file:///x\",\"why\":1}}");
    JsonRpcMessage.Response answer =
        ModernAnswers.answer(
            request("resources/read", "{\"uri\":\"file:///y\"}", null),
            new JsonRpcMessage.Response(CHILD_ID, null, fromChild));
    assertEquals(-32602, answer.error().path("code").asInt());
    assertEquals("file:///x", answer.error().path("data").path("uri").asText());
    assertEquals(1, answer.error().path("data").path("why").asInt());
    // the child's error is not changed in place
    assertEquals(-32002, fromChild.path("code").asInt());
  }

  @Test
  void minus32002IsNeverEmittedWhateverTheMethod() {
    JsonRpcMessage.Response answer =
        ModernAnswers.answer(
            request("tools/call", "{\"name\":\"x\"}", null),
            error("{\"code\":-32002,\"message\":\"gone\"}"));
    assertEquals(-32602, answer.error().path("code").asInt());
    assertFalse(answer.error().path("data").has("uri"));
  }

  @Test
  void otherErrorsAreForwardedUnchangedWithTheClientsId() {
    for (String error :
        List.of(
            "{\"code\":-32602,\"message\":\"Unknown tool: nope\"}",
            "{\"code\":-32603,\"message\":\"boom\",\"data\":{\"trace\":\"t\"}}",
            "{\"code\":-32601,\"message\":\"Method not found\"}",
            "{\"code\":-31999,\"message\":\"custom\"}")) {
      JsonRpcMessage.Response answer =
          ModernAnswers.answer(request("tools/call", "{\"name\":\"x\"}", null), error(error));
      assertEquals(CLIENT_ID, answer.id());
      assertEquals(json(error), answer.error());
    }
  }

  // ---- discover ----

  private static final String INIT =
      "{\"protocolVersion\":\"2025-11-25\","
          + "\"capabilities\":{"
          + "\"tools\":{\"listChanged\":true},"
          + "\"prompts\":{\"listChanged\":false},"
          + "\"resources\":{\"subscribe\":true,\"listChanged\":true,\"extra\":1},"
          + "\"completions\":{},"
          + "\"logging\":{},"
          + "\"experimental\":{\"x\":{}},"
          + "\"tasks\":{\"list\":{}},"
          + "\"somethingElse\":{}},"
          + "\"serverInfo\":{\"name\":\"child\",\"version\":\"3.1\"},"
          + "\"instructions\":\"Use the echo tool.\"}";

  @Test
  void discoverHasTheEraShape() {
    JsonNode result = ModernAnswers.discover(json(INIT), true);
    assertEquals(
        List.of("2026-07-28"),
        JsonRpcCodec.MAPPER.convertValue(result.get("supportedVersions"), List.class));
    assertEquals(
        json("{\"name\":\"child\",\"version\":\"3.1\"}"),
        result.path("_meta").get(ModernProtocol.SERVER_INFO));
    assertFalse(result.has("serverInfo"), "serverInfo goes in _meta");
    assertFalse(result.has("protocolVersion"));
    assertEquals("Use the echo tool.", result.path("instructions").asText());
    assertEquals("complete", result.path("resultType").asText());
    assertTrue(result.has("ttlMs"));
    assertTrue(result.has("cacheScope"));
  }

  @Test
  void discoverWhenListeningAdvertisesWhatTheChildNotifies() {
    JsonNode capabilities = ModernAnswers.discover(json(INIT), true).get("capabilities");
    assertEquals(
        json(
            "{\"tools\":{\"listChanged\":true},"
                + "\"prompts\":{},"
                + "\"resources\":{\"listChanged\":true,\"subscribe\":true},"
                + "\"completions\":{},"
                + "\"logging\":{}}"),
        capabilities);
  }

  @Test
  void discoverWithoutListenAdvertisesNoNotifications() {
    JsonNode capabilities = ModernAnswers.discover(json(INIT), false).get("capabilities");
    assertEquals(
        json("{\"tools\":{},\"prompts\":{},\"resources\":{},\"completions\":{},\"logging\":{}}"),
        capabilities);
  }

  @Test
  void discoverOfABareChildHasNoCapabilitiesAndNoOptionalFields() {
    JsonNode result = ModernAnswers.discover(json("{\"protocolVersion\":\"2025-06-18\"}"), true);
    assertEquals(json("{}"), result.get("capabilities"));
    assertFalse(result.has("instructions"));
    assertFalse(result.path("_meta").has(ModernProtocol.SERVER_INFO));
    assertTrue(result.path("supportedVersions").isArray());
  }

  @Test
  void discoverIgnoresMalformedCapabilityMembers() {
    JsonNode capabilities =
        ModernAnswers.discover(
                json(
                    "{\"capabilities\":{\"tools\":true,\"resources\":{\"subscribe\":\"yes\"},"
                        + "\"logging\":1},\"instructions\":7,\"serverInfo\":\"s\"}"),
                true)
            .get("capabilities");
    assertEquals(json("{\"resources\":{}}"), capabilities);
  }

  // ---- HTTP status ----

  @Test
  void httpStatusFollowsTheTransportRules() {
    assertEquals(404, ModernAnswers.httpStatus(json("{\"code\":-32601}")));
    assertEquals(400, ModernAnswers.httpStatus(json("{\"code\":-32020}")));
    assertEquals(400, ModernAnswers.httpStatus(json("{\"code\":-32021}")));
    assertEquals(400, ModernAnswers.httpStatus(json("{\"code\":-32022}")));
    assertEquals(200, ModernAnswers.httpStatus(json("{\"code\":-32602}")));
    assertEquals(200, ModernAnswers.httpStatus(json("{\"code\":-32603}")));
    assertEquals(200, ModernAnswers.httpStatus(json("{\"code\":-32000}")));
    assertEquals(200, ModernAnswers.httpStatus(json("{}")));
  }

  @Test
  void missingCapabilityErrorsNameTheCapability() {
    // schema MissingRequiredClientCapabilityError: data.requiredCapabilities is a
    // ClientCapabilities object; HTTP 400
    JsonRpcError error = ModernAnswers.missingCapability("elicitation", "elicitation/create");
    assertEquals(-32021, error.code());
    assertEquals(json("{\"elicitation\":{}}"), error.data().get("requiredCapabilities"));
    assertEquals(400, ModernAnswers.httpStatus(error.toJson()));
    JsonRpcError notServed = ModernAnswers.inputNotServed("sampling", "sampling/createMessage");
    assertEquals(-32021, notServed.code());
    assertEquals(json("{\"sampling\":{}}"), notServed.data().get("requiredCapabilities"));
  }

  // ---- logging ----

  private static JsonRpcMessage.Notification log(String level) {
    ObjectNode params = JsonRpcCodec.MAPPER.createObjectNode();
    if (level != null) {
      params.put("level", level);
    }
    params.put("data", "m");
    return new JsonRpcMessage.Notification("notifications/message", params);
  }

  @Test
  void logWantedFollowsTheSeverityOrder() {
    List<String> order =
        List.of("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency");
    for (int wanted = 0; wanted < order.size(); wanted++) {
      ModernRequest request = request("tools/call", "{}", order.get(wanted));
      for (int sent = 0; sent < order.size(); sent++) {
        boolean expected = sent >= wanted;
        String label = "wanted " + order.get(wanted) + ", sent " + order.get(sent);
        assertEquals(expected, ModernAnswers.logWanted(request, log(order.get(sent))), label);
      }
    }
  }

  @Test
  void noLogLevelMeansNoLogs() {
    // logging.mdx: the server MUST NOT emit notifications/message for a request without it
    ModernRequest request = request("tools/call");
    for (String level : List.of("debug", "error", "emergency")) {
      assertFalse(ModernAnswers.logWanted(request, log(level)));
    }
  }

  @Test
  void aLogWithoutAKnownLevelIsNotForwarded() {
    ModernRequest request = request("tools/call", "{}", "debug");
    assertFalse(ModernAnswers.logWanted(request, log(null)));
    assertFalse(ModernAnswers.logWanted(request, log("loud")));
    assertFalse(
        ModernAnswers.logWanted(
            request, new JsonRpcMessage.Notification("notifications/message", null)));
  }
}
