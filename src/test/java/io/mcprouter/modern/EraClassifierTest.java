package io.mcprouter.modern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Era classification and the 2026-07-28 request validation, each rule checked against the
 * specification text: basic/index.mdx ("Per-request protocol fields"), basic/transports/
 * streamable-http.mdx ("Protocol Version Header", "Standard Request Headers", "Value Encoding",
 * "Server Validation", "Backward Compatibility"), server/utilities/logging.mdx ("Error Handling")
 * and the changelog (removed methods).
 */
class EraClassifierTest {

  private static final String V = "2026-07-28";
  private static final JsonNode ID = new TextNode("req-7");

  // ---- helpers ----

  private static ObjectNode json(String text) {
    try {
      return (ObjectNode) JsonRpcCodec.MAPPER.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** A valid modern _meta for version {@code version}. */
  private static ObjectNode meta(String version) {
    ObjectNode meta = JsonRpcCodec.MAPPER.createObjectNode();
    meta.put(ModernProtocol.PROTOCOL_VERSION, version);
    meta.putObject(ModernProtocol.CLIENT_CAPABILITIES);
    meta.putObject(ModernProtocol.CLIENT_INFO).put("name", "test-client").put("version", "1.0");
    return meta;
  }

  private static ObjectNode paramsWith(ObjectNode meta) {
    ObjectNode params = JsonRpcCodec.MAPPER.createObjectNode();
    params.set("_meta", meta);
    return params;
  }

  private static JsonRpcMessage.Request request(String method, ObjectNode params) {
    return new JsonRpcMessage.Request(ID, method, params);
  }

  private static EraClassifier.Headers modernHeaders(String method) {
    return new EraClassifier.Headers(Optional.of(V), Optional.of(method), Optional.empty(), false);
  }

  private static EraClassifier.Headers headers(
      String version, String method, String name, boolean session) {
    return new EraClassifier.Headers(
        Optional.ofNullable(version),
        Optional.ofNullable(method),
        Optional.ofNullable(name),
        session);
  }

  private static EraClassifier.Refused refused(EraClassifier.Era era, int status, int code) {
    EraClassifier.Refused refused =
        assertInstanceOf(EraClassifier.Refused.class, era, () -> "expected a refusal: " + era);
    assertEquals(status, refused.httpStatus(), () -> "status of " + refused);
    assertEquals(code, refused.error().code(), () -> "code of " + refused);
    return refused;
  }

  private static ModernRequest modern(EraClassifier.Era era) {
    return assertInstanceOf(EraClassifier.Modern.class, era, () -> "expected modern: " + era)
        .request();
  }

  private static String b64(String value) {
    return "=?base64?"
        + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8))
        + "?=";
  }

  // ---- era ----

  @Test
  void aStatelessVersionHeaderMakesTheRequestModern() {
    ModernRequest request =
        modern(
            EraClassifier.classify(
                modernHeaders("tools/list"), request("tools/list", paramsWith(meta(V)))));
    assertEquals("tools/list", request.method());
    assertEquals(ID, request.id());
    assertTrue(request.capabilities().isEmpty());
    assertEquals("test-client", request.clientInfo().orElseThrow().path("name").asText());
  }

  @Test
  void modernMetaWithoutAnyHeaderIsHandledAsModernAndRefusedForTheMissingHeader() {
    // basic/index: a request carrying modern _meta is served statelessly; streamable-http
    // "Server Validation": a missing MCP-Protocol-Version is a HeaderMismatch (400, -32020)
    EraClassifier.Era era =
        EraClassifier.classify(
            headers(null, "tools/list", null, false), request("tools/list", paramsWith(meta(V))));
    EraClassifier.Refused refused = refused(era, 400, JsonRpcError.HEADER_MISMATCH);
    assertEquals(ID, refused.id());
  }

  @Test
  void aLegacyVersionHeaderWithoutModernMetaStaysLegacy() {
    ObjectNode params = json("{\"name\":\"echo\",\"arguments\":{}}");
    assertSame(
        EraClassifier.Legacy.INSTANCE,
        EraClassifier.classify(
            headers("2025-11-25", null, null, false), request("tools/call", params)));
    assertSame(
        EraClassifier.Legacy.INSTANCE,
        EraClassifier.classify(
            headers("2025-06-18", null, null, true), request("tools/list", null)));
  }

  @Test
  void noHeaderNoMetaIsLegacy() {
    // an initialize from a 2025 client carries neither
    ObjectNode params =
        json("{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{}}");
    assertSame(
        EraClassifier.Legacy.INSTANCE,
        EraClassifier.classify(headers(null, null, null, false), request("initialize", params)));
  }

  @Test
  void aSessionRequestWithOnlyAProgressTokenInMetaIsLegacy() {
    ObjectNode params = json("{\"name\":\"slow\",\"_meta\":{\"progressToken\":5}}");
    assertSame(
        EraClassifier.Legacy.INSTANCE,
        EraClassifier.classify(
            headers("2025-11-25", null, null, true), request("tools/call", params)));
  }

  @Test
  void aSessionRequestWhoseMetaHappensToCarryAProtocolVersionStaysLegacy() {
    // a 2025 session's request is decided by its session, not by a stray key in _meta
    assertSame(
        EraClassifier.Legacy.INSTANCE,
        EraClassifier.classify(
            headers("2025-11-25", "tools/list", null, true),
            request("tools/list", paramsWith(meta(V)))));
  }

  @Test
  void aStatelessHeaderIgnoresASessionHeader() {
    // streamable-http "Earlier Streamable HTTP Revisions": an Mcp-Session-Id is ignored
    modern(
        EraClassifier.classify(
            headers(V, "tools/list", null, true), request("tools/list", paramsWith(meta(V)))));
  }

  @Test
  void aModernNotificationIsAcceptedWithoutEffect() {
    JsonRpcMessage.Notification notification =
        new JsonRpcMessage.Notification("notifications/cancelled", paramsWith(meta(V)));
    assertEquals(
        new EraClassifier.ModernNotification(notification),
        EraClassifier.classify(modernHeaders("notifications/cancelled"), notification));
    JsonRpcMessage.Notification other =
        new JsonRpcMessage.Notification("notifications/whatever", paramsWith(meta(V)));
    assertEquals(
        new EraClassifier.ModernNotification(other),
        EraClassifier.classify(headers(null, null, null, false), other));
  }

  @Test
  void aResponseFromAModernClientIsRefusedWith400() {
    // streamable-http "Sending Messages": the client MUST NOT send JSON-RPC responses
    JsonRpcMessage.Response response =
        new JsonRpcMessage.Response(new IntNode(3), json("{}"), null);
    EraClassifier.Refused refused =
        refused(
            EraClassifier.classify(modernHeaders("tools/list"), response),
            400,
            JsonRpcError.INVALID_REQUEST);
    assertTrue(refused.id().isNull());
  }

  // ---- required _meta fields: -32602, 400 ----

  @Test
  void missingMetaIsInvalidParams() {
    refused(
        EraClassifier.classify(
            modernHeaders("tools/list"), request("tools/list", json("{\"cursor\":\"c\"}"))),
        400,
        JsonRpcError.INVALID_PARAMS);
    refused(
        EraClassifier.classify(modernHeaders("tools/list"), request("tools/list", null)),
        400,
        JsonRpcError.INVALID_PARAMS);
  }

  @Test
  void missingProtocolVersionInMetaIsInvalidParams() {
    ObjectNode meta = meta(V);
    meta.remove(ModernProtocol.PROTOCOL_VERSION);
    EraClassifier.Refused refused =
        refused(
            EraClassifier.classify(
                modernHeaders("tools/list"), request("tools/list", paramsWith(meta))),
            400,
            JsonRpcError.INVALID_PARAMS);
    assertTrue(refused.error().message().contains(ModernProtocol.PROTOCOL_VERSION));
  }

  @Test
  void missingClientCapabilitiesIsInvalidParams() {
    ObjectNode meta = meta(V);
    meta.remove(ModernProtocol.CLIENT_CAPABILITIES);
    EraClassifier.Refused refused =
        refused(
            EraClassifier.classify(
                modernHeaders("tools/list"), request("tools/list", paramsWith(meta))),
            400,
            JsonRpcError.INVALID_PARAMS);
    assertTrue(refused.error().message().contains(ModernProtocol.CLIENT_CAPABILITIES));
  }

  @Test
  void clientInfoIsOptional() {
    ObjectNode meta = meta(V);
    meta.remove(ModernProtocol.CLIENT_INFO);
    ModernRequest request =
        modern(
            EraClassifier.classify(
                modernHeaders("tools/list"), request("tools/list", paramsWith(meta))));
    assertTrue(request.clientInfo().isEmpty());
  }

  @Test
  void nonObjectCapabilitiesAreInvalidParams() {
    ObjectNode meta = meta(V);
    meta.put(ModernProtocol.CLIENT_CAPABILITIES, "all");
    refused(
        EraClassifier.classify(
            modernHeaders("tools/list"), request("tools/list", paramsWith(meta))),
        400,
        JsonRpcError.INVALID_PARAMS);
  }

  // ---- versions ----

  @Test
  void headerAndMetaVersionsThatDifferAreAHeaderMismatch() {
    EraClassifier.Refused refused =
        refused(
            EraClassifier.classify(
                modernHeaders("tools/list"), request("tools/list", paramsWith(meta("2025-11-25")))),
            400,
            JsonRpcError.HEADER_MISMATCH);
    assertEquals(ID, refused.id());
  }

  @Test
  void anUnknownVersionIsRefusedListingTheSupportedOnes() {
    // versioning "Protocol Version Negotiation" and schema UnsupportedProtocolVersionError:
    // data.supported (string[]) and data.requested (string), HTTP 400
    EraClassifier.Refused refused =
        refused(
            EraClassifier.classify(
                headers("v999", "tools/list", null, false),
                request("tools/list", paramsWith(meta("v999")))),
            400,
            JsonRpcError.UNSUPPORTED_PROTOCOL_VERSION);
    assertEquals(ID, refused.id());
    JsonNode data = refused.error().data();
    assertNotNull(data);
    assertTrue(data.path("supported").isArray());
    assertEquals(List.of(V), JsonRpcCodec.MAPPER.convertValue(data.get("supported"), List.class));
    assertEquals("v999", data.path("requested").asText());
    assertEquals(-32022, refused.error().code());
  }

  // ---- Mcp-Method ----

  @Test
  void aMissingMethodHeaderIsAHeaderMismatch() {
    refused(
        EraClassifier.classify(
            headers(V, null, null, false), request("tools/list", paramsWith(meta(V)))),
        400,
        JsonRpcError.HEADER_MISMATCH);
  }

  @Test
  void aMethodHeaderThatDiffersFromTheBodyIsAHeaderMismatch() {
    refused(
        EraClassifier.classify(
            modernHeaders("prompts/list"), request("tools/list", paramsWith(meta(V)))),
        400,
        JsonRpcError.HEADER_MISMATCH);
    // header values are case-sensitive (streamable-http "Case Sensitivity")
    refused(
        EraClassifier.classify(
            modernHeaders("Tools/List"), request("tools/list", paramsWith(meta(V)))),
        400,
        JsonRpcError.HEADER_MISMATCH);
  }

  // ---- Mcp-Name ----

  private static EraClassifier.Era named(String method, String member, String body, String name) {
    ObjectNode params = paramsWith(meta(V));
    params.put(member, body);
    return EraClassifier.classify(headers(V, method, name, false), request(method, params));
  }

  @Test
  void mcpNameMustMirrorTheNameOrUri() {
    modern(named("tools/call", "name", "get_weather", "get_weather"));
    modern(named("prompts/get", "name", "greet", "greet"));
    modern(named("resources/read", "uri", "file:///a/b.txt", "file:///a/b.txt"));

    refused(named("tools/call", "name", "get_weather", "delete_all"), 400, -32020);
    refused(named("prompts/get", "name", "greet", "other"), 400, -32020);
    refused(named("resources/read", "uri", "file:///a/b.txt", "file:///etc/passwd"), 400, -32020);
  }

  @Test
  void aMissingMcpNameIsAHeaderMismatch() {
    EraClassifier.Refused refused = refused(named("tools/call", "name", "echo", null), 400, -32020);
    assertEquals(ID, refused.id());
    refused(named("prompts/get", "name", "greet", null), 400, -32020);
    refused(named("resources/read", "uri", "file:///x", null), 400, -32020);
  }

  @Test
  void aBase64SentinelNameIsDecodedBeforeComparing() {
    // streamable-http "Value Encoding": servers MUST decode =?base64?...?= before comparing
    modern(named("tools/call", "name", "Hello, 世界", b64("Hello, 世界")));
    modern(named("resources/read", "uri", "file:///données/é.txt", b64("file:///données/é.txt")));
    modern(named("prompts/get", "name", " padded ", "=?base64?IHBhZGRlZCA=?="));
    // the spec's own example: a literal that looks like the sentinel is itself encoded
    modern(
        named("tools/call", "name", "=?base64?literal?=", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="));

    refused(named("tools/call", "name", "Hello, 世界", b64("Hello, world")), 400, -32020);
    refused(named("resources/read", "uri", "file:///a", b64("file:///b")), 400, -32020);
  }

  @Test
  void theSentinelMarkersAreCaseSensitive() {
    // "These markers are case-sensitive and MUST appear exactly as shown (lowercase)":
    // an upper-case prefix is not the sentinel, so the raw header is compared and mismatches
    String upper = "=?BASE64?" + b64("echo").substring("=?base64?".length());
    refused(named("tools/call", "name", "echo", upper), 400, -32020);
  }

  @Test
  void malformedBase64InTheSentinelIsAMismatch() {
    refused(named("tools/call", "name", "echo", "=?base64?not*base64?="), 400, -32020);
  }

  @Test
  void aMalformedSentinelIsNotComparedAsPlainText() {
    // the client MUST encode a value that matches the sentinel pattern, so an unencoded one
    // is a malformed header (streamable-http "Server Validation": missing/malformed -> -32020),
    // not a plain value that may happen to equal the body
    refused(named("tools/call", "name", "=?base64?x?=", "=?base64?x?="), 400, -32020);
  }

  @Test
  void methodsWithoutANameIgnoreMcpName() {
    modern(
        EraClassifier.classify(
            headers(V, "tools/list", "anything", false),
            request("tools/list", paramsWith(meta(V)))));
  }

  // ---- methods ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "resources/unsubscribe",
        "tasks/list",
        "no/such/method"
      })
  void removedAndUnknownMethodsAre404MethodNotFound(String method) {
    // changelog: initialize, ping, logging/setLevel, resources/(un)subscribe are removed;
    // streamable-http "Protocol Version Header": unknown method -> 404 with -32601
    ObjectNode params = paramsWith(meta(V));
    params.put("uri", "file:///x");
    EraClassifier.Refused refused =
        refused(
            EraClassifier.classify(modernHeaders(method), request(method, params)),
            404,
            JsonRpcError.METHOD_NOT_FOUND);
    assertEquals(ID, refused.id());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "server/discover",
        "subscriptions/listen",
        "tools/list",
        "resources/list",
        "resources/templates/list",
        "prompts/list",
        "completion/complete"
      })
  void theEraMethodsAreServed(String method) {
    assertEquals(
        method,
        modern(EraClassifier.classify(modernHeaders(method), request(method, paramsWith(meta(V)))))
            .method());
  }

  // ---- log level ----

  @ParameterizedTest
  @ValueSource(strings = {"verbose", "DEBUG", "warn", ""})
  void anUnknownLogLevelIsInvalidParams(String level) {
    ObjectNode meta = meta(V);
    meta.put(ModernProtocol.LOG_LEVEL, level);
    EraClassifier.Refused refused =
        refused(
            EraClassifier.classify(
                modernHeaders("tools/list"), request("tools/list", paramsWith(meta))),
            400,
            JsonRpcError.INVALID_PARAMS);
    assertEquals(ID, refused.id());
  }

  @Test
  void aNonStringLogLevelIsInvalidParams() {
    ObjectNode meta = meta(V);
    meta.put(ModernProtocol.LOG_LEVEL, 3);
    refused(
        EraClassifier.classify(
            modernHeaders("tools/list"), request("tools/list", paramsWith(meta))),
        400,
        JsonRpcError.INVALID_PARAMS);
  }

  @Test
  void aKnownLogLevelIsKept() {
    ObjectNode meta = meta(V);
    meta.put(ModernProtocol.LOG_LEVEL, "warning");
    assertEquals(
        Optional.of("warning"),
        modern(
                EraClassifier.classify(
                    modernHeaders("tools/list"), request("tools/list", paramsWith(meta))))
            .logLevel());
  }

  // ---- ids ----

  @Test
  void everyRefusalCarriesTheRequestsId() {
    JsonNode numeric = new IntNode(42);
    ObjectNode noCaps = meta(V);
    noCaps.remove(ModernProtocol.CLIENT_CAPABILITIES);
    List<EraClassifier.Era> eras =
        List.of(
            EraClassifier.classify(
                modernHeaders("tools/list"),
                new JsonRpcMessage.Request(numeric, "tools/list", null)),
            EraClassifier.classify(
                modernHeaders("tools/list"),
                new JsonRpcMessage.Request(numeric, "tools/list", paramsWith(noCaps))),
            EraClassifier.classify(
                headers("v9", "tools/list", null, false),
                new JsonRpcMessage.Request(numeric, "tools/list", paramsWith(meta("v9")))),
            EraClassifier.classify(
                modernHeaders("x"),
                new JsonRpcMessage.Request(numeric, "tools/list", paramsWith(meta(V)))),
            EraClassifier.classify(
                modernHeaders("ping"),
                new JsonRpcMessage.Request(numeric, "ping", paramsWith(meta(V)))),
            EraClassifier.classify(
                modernHeaders("tools/list"),
                new JsonRpcMessage.Request(
                    numeric, "tools/list", JsonRpcCodec.MAPPER.createArrayNode().add(1))));
    for (EraClassifier.Era era : eras) {
      EraClassifier.Refused refused = assertInstanceOf(EraClassifier.Refused.class, era);
      assertEquals(numeric, refused.id(), () -> "id of " + refused);
    }
  }

  @Test
  void theClassifiedRequestKeepsItsParams() {
    ObjectNode params = paramsWith(meta(V));
    params.put("name", "echo");
    params.putObject("arguments").put("text", "hi");
    ModernRequest request =
        modern(
            EraClassifier.classify(
                headers(V, "tools/call", "echo", false), request("tools/call", params)));
    assertEquals("hi", request.params().path("arguments").path("text").asText());
  }
}
