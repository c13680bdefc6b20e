package io.mcprouter.jsonrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.util.ByteString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonRpcCodecTest {

  private static JsonRpcMessage ok(String json) {
    JsonRpcCodec.Parsed parsed = JsonRpcCodec.parse(json);
    return assertInstanceOf(
            JsonRpcCodec.Ok.class, parsed, () -> "expected Ok for " + json + " but got " + parsed)
        .message();
  }

  private static JsonRpcCodec.Failure failure(JsonRpcCodec.Parsed parsed) {
    return assertInstanceOf(
        JsonRpcCodec.Failure.class, parsed, () -> "expected a Failure but got " + parsed);
  }

  private static JsonNode json(String text) throws Exception {
    return JsonRpcCodec.MAPPER.readTree(text);
  }

  @Test
  void messageWithIdAndMethodIsARequest() throws Exception {
    JsonRpcMessage.Request r =
        assertInstanceOf(
            JsonRpcMessage.Request.class,
            ok(
                "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}"));
    assertEquals(IntNode.valueOf(7), r.id());
    assertEquals("tools/call", r.method());
    assertEquals(json("{\"name\":\"x\"}"), r.params());
  }

  @Test
  void requestWithoutParamsHasNullParams() {
    JsonRpcMessage.Request r =
        assertInstanceOf(
            JsonRpcMessage.Request.class,
            ok("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"}"));
    assertNull(r.params());
  }

  @Test
  void messageWithMethodButNoIdIsANotification() throws Exception {
    JsonRpcMessage.Notification n =
        assertInstanceOf(
            JsonRpcMessage.Notification.class,
            ok(
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}"));
    assertEquals("notifications/progress", n.method());
    assertEquals(json("{\"progress\":1}"), n.params());
  }

  @Test
  void messageWithResultIsASuccessResponse() throws Exception {
    JsonRpcMessage.Response r =
        assertInstanceOf(
            JsonRpcMessage.Response.class,
            ok("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"tools\":[]}}"));
    assertEquals(IntNode.valueOf(3), r.id());
    assertEquals(json("{\"tools\":[]}"), r.result());
    assertFalse(r.isError());
  }

  @Test
  void messageWithErrorIsAnErrorResponse() {
    JsonRpcMessage.Response r =
        assertInstanceOf(
            JsonRpcMessage.Response.class,
            ok(
                "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"error\":{\"code\":-32601,\"message\":\"nope\"}}"));
    assertTrue(r.isError());
    assertNull(r.result());
    assertEquals(-32601, r.error().get("code").asInt());
  }

  @Test
  void errorResponseWithNullIdIsAccepted() {
    JsonRpcMessage.Response r =
        assertInstanceOf(
            JsonRpcMessage.Response.class,
            ok(
                "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"bad\"}}"));
    assertTrue(r.id().isNull());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "1",
        "\"1\"",
        "0",
        "-5",
        "9223372036854775807",
        "-9223372036854775808",
        "123456789012345678901234",
        "\"\"",
        "\"a\\\"b\\nc\"",
        "\"\u00e9\u65e5\""
      })
  void requestIdRoundTripsExactly(String idLiteral) {
    String line = "{\"jsonrpc\":\"2.0\",\"id\":" + idLiteral + ",\"method\":\"m\"}";
    JsonRpcMessage message = ok(line);
    assertEquals(line, JsonRpcCodec.encode(message));
  }

  @Test
  void numericAndStringIdsStayDistinct() {
    JsonNode numeric =
        ((JsonRpcMessage.Request) ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}")).id();
    JsonNode text =
        ((JsonRpcMessage.Request) ok("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"method\":\"m\"}")).id();
    assertTrue(numeric.isIntegralNumber());
    assertEquals(TextNode.valueOf("1"), text);
    assertFalse(numeric.equals(text));
  }

  @Test
  void largeLongIdKeepsEveryDigit() {
    JsonNode id =
        ((JsonRpcMessage.Response)
                ok("{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"result\":{}}"))
            .id();
    assertEquals(9007199254740993L, id.longValue());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{", "not json", "{\"jsonrpc\":\"2.0\",}", "{\"jsonrpc\":\"2.0\",\"method\":\"m\"} x",
        "{\"jsonrpc\":\"2.0\",\"method\":\"m\"} {}", "{\"jsonrpc\":\"2.0\",\"method\":\"m\"}}", "",
            "   \n "
      })
  void malformedJsonIsAParseError(String text) {
    JsonRpcCodec.Failure f = failure(JsonRpcCodec.parse(text));
    assertEquals(JsonRpcError.PARSE_ERROR, f.error().code());
    assertTrue(f.error().message().startsWith("Parse error"), f.error().message());
    assertNull(f.id());
  }

  @Test
  void emptyBodyIsAParseErrorSayingSo() {
    JsonRpcCodec.Failure f = failure(JsonRpcCodec.parse(new byte[0]));
    assertEquals(new JsonRpcError(JsonRpcError.PARSE_ERROR, "Parse error: empty body"), f.error());
  }

  @Test
  void invalidUtf8IsAParseError() {
    byte[] prefix = "{\"jsonrpc\":\"2.0\",\"method\":\"".getBytes(StandardCharsets.UTF_8);
    byte[] bytes = new byte[prefix.length + 4];
    System.arraycopy(prefix, 0, bytes, 0, prefix.length);
    bytes[prefix.length] = (byte) 0xC3; // a lead byte followed by an ASCII byte is not UTF-8
    bytes[prefix.length + 1] = (byte) 0x28;
    bytes[prefix.length + 2] = '"';
    bytes[prefix.length + 3] = '}';
    assertEquals(JsonRpcError.PARSE_ERROR, failure(JsonRpcCodec.parse(bytes)).error().code());
    assertEquals(
        JsonRpcError.PARSE_ERROR,
        failure(JsonRpcCodec.parse(ByteString.fromArray(new byte[] {'"', (byte) 0xFF, '"'})))
            .error()
            .code());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[]",
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}]",
        "\"just a string\"",
        "42",
        "true",
        "null",
        "{\"id\":1,\"method\":\"m\"}",
        "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"m\"}",
        "{\"jsonrpc\":2.0,\"id\":1,\"method\":\"m\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"m\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1.0,\"method\":\"m\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"m\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"m\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"m\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}",
        "{\"jsonrpc\":\"2.0\",\"method\":null}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":\"text\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{\"code\":1,\"message\":\"m\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1}",
        "{\"jsonrpc\":\"2.0\",\"result\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"boom\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"message\":\"no code\"}}"
      })
  void structurallyWrongMessageIsAnInvalidRequest(String text) {
    JsonRpcCodec.Failure f = failure(JsonRpcCodec.parse(text));
    assertEquals(JsonRpcError.INVALID_REQUEST, f.error().code());
    assertTrue(f.error().message().startsWith("Invalid Request: "), f.error().message());
  }

  @Test
  void batchIsRejectedWithAnExplanation() {
    JsonRpcCodec.Failure f =
        failure(JsonRpcCodec.parse("[{\"jsonrpc\":\"2.0\",\"method\":\"m\"}]"));
    assertTrue(f.error().message().contains("batches are not supported"), f.error().message());
  }

  @Test
  void invalidRequestKeepsAReadableIdForCorrelation() {
    assertEquals(
        IntNode.valueOf(7), failure(JsonRpcCodec.parse("{\"id\":7,\"method\":\"m\"}")).id());
    assertEquals(
        TextNode.valueOf("q"),
        failure(JsonRpcCodec.parse("{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"method\":\"\"}")).id());
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.5", "{}", "true", "[1]"})
  void unreadableIdIsNotReportedForCorrelation(String idLiteral) {
    assertNull(
        failure(
                JsonRpcCodec.parse(
                    "{\"jsonrpc\":\"2.0\",\"id\":" + idLiteral + ",\"method\":\"m\"}"))
            .id());
  }

  @Test
  void encodeWritesCompactJsonWithoutAnyNewlineEvenWhenStringsContainOne() throws Exception {
    ObjectNode params = JsonNodeFactory.instance.objectNode().put("text", "line one\nline two\r\n");
    JsonRpcMessage request = new JsonRpcMessage.Request(IntNode.valueOf(1), "m", params);
    String encoded = JsonRpcCodec.encode(request);
    assertEquals(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"text\":\"line one\\nline two\\r\\n\"}}",
        encoded);
    assertEquals(json(encoded), json(JsonRpcCodec.encode(ok(encoded))));
  }

  @Test
  void encodeLineIsOneLineEndingInASingleNewline() {
    ObjectNode result = JsonNodeFactory.instance.objectNode().put("text", "a\nb\n\n");
    ByteString line =
        JsonRpcCodec.encodeLine(JsonRpcMessage.success(TextNode.valueOf("r\n1"), result));
    String text = line.utf8String();
    assertEquals(
        "{\"jsonrpc\":\"2.0\",\"id\":\"r\\n1\",\"result\":{\"text\":\"a\\nb\\n\\n\"}}\n", text);
    assertEquals(text.length() - 1, text.indexOf('\n'));
  }

  @Test
  void encodeOmitsIdForNotificationsAndAbsentParams() {
    assertEquals(
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
        JsonRpcCodec.encode(new JsonRpcMessage.Notification("notifications/initialized", null)));
    assertEquals(
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}",
        JsonRpcCodec.encode(new JsonRpcMessage.Request(IntNode.valueOf(2), "ping", null)));
  }

  @Test
  void encodeWritesErrorResponsesWithErrorAndNoResult() {
    JsonRpcMessage failure =
        JsonRpcMessage.failure(
            IntNode.valueOf(4), new JsonRpcError(JsonRpcError.METHOD_NOT_FOUND, "no such method"));
    assertEquals(
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":-32601,\"message\":\"no such method\"}}",
        JsonRpcCodec.encode(failure));
    assertEquals(
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"bad\"}}",
        new JsonRpcError(JsonRpcError.PARSE_ERROR, "bad").toResponseJson(null));
  }

  // The limits below are the defaults (reference.conf): today's parser accepted all of these, and
  // the
  // deep one then overflowed the stack when re-encoded.

  private static String nested(int depth) {
    return "[".repeat(depth) + "]".repeat(depth);
  }

  private static String request(String argument) {
    return "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"a\":"
        + argument
        + "}}";
  }

  @Test
  void aDocumentNestedPastTheDepthLimitIsAParseErrorNamingTheSettingWithItsId() {
    JsonRpcCodec.Failure f = failure(JsonRpcCodec.parse(request(nested(10_000))));
    assertEquals(JsonRpcError.PARSE_ERROR, f.error().code());
    assertTrue(
        f.error().message().contains("JSON nesting deeper than 256 levels"), f.error().message());
    assertEquals(IntNode.valueOf(9), f.id());
  }

  @Test
  void nestingJustAtTheDepthLimitParses() {
    // the object of the message and of params are two levels; 254 arrays make 256
    ok(request(nested(254)));
    failure(JsonRpcCodec.parse(request(nested(255))));
  }

  @Test
  void aNumberLongerThanTheLimitIsAParseErrorNamingTheSetting() {
    JsonRpcCodec.Failure f = failure(JsonRpcCodec.parse(request("9".repeat(1_000_000))));
    assertEquals(JsonRpcError.PARSE_ERROR, f.error().code());
    assertTrue(
        f.error()
            .message()
            .contains("a number of 1000000 characters, longer than the limit of 1000"),
        f.error().message());
    assertEquals(IntNode.valueOf(9), f.id());
  }

  @Test
  void aFractionOrExponentPastTheLengthLimitIsRefusedToo() {
    failure(JsonRpcCodec.parse(request("0." + "1".repeat(2000))));
    failure(JsonRpcCodec.parse(request("1e" + "9".repeat(2000))));
  }

  @Test
  void aNumberJustAtTheLengthLimitParses() {
    JsonRpcMessage.Request r = (JsonRpcMessage.Request) ok(request("9".repeat(1000)));
    assertEquals(1000, r.params().get("a").asText().length());
    failure(JsonRpcCodec.parse(request("9".repeat(1001))));
  }

  @Test
  void anExponentBombStaysADoubleAndIsNeverExpanded() {
    // 1e999999999 as a BigDecimal turned into a BigInteger would be a billion digits; as a double
    // it is infinite
    JsonRpcMessage.Request r = (JsonRpcMessage.Request) ok(request("1e999999999"));
    assertTrue(r.params().get("a").isDouble(), r.params().toString());
    assertEquals(Double.POSITIVE_INFINITY, r.params().get("a").doubleValue());
  }

  @Test
  void anIdOfAMillionDigitsIsRefusedWithoutAnId() {
    JsonRpcCodec.Failure f =
        failure(
            JsonRpcCodec.parse(
                "{\"jsonrpc\":\"2.0\",\"id\":" + "7".repeat(1_000_000) + ",\"method\":\"ping\"}"));
    assertEquals(JsonRpcError.PARSE_ERROR, f.error().code());
    assertNull(f.id());
  }
}
