package io.mcprouter.jsonrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.typesafe.config.ConfigFactory;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.config.RouterSettings;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Limits given per router: each parse obeys the limits it was given, whatever else the JVM runs.
 */
class JsonLimitsTest {

  private static final JsonLimits SMALL = new JsonLimits(4, 5, 10);

  private static JsonRpcCodec.Failure failure(String json, JsonLimits limits) {
    JsonRpcCodec.Parsed parsed = JsonRpcCodec.parse(json.getBytes(StandardCharsets.UTF_8), limits);
    return assertInstanceOf(
        JsonRpcCodec.Failure.class, parsed, () -> "expected a Failure but got " + parsed);
  }

  private static void ok(String json, JsonLimits limits) {
    JsonRpcCodec.Parsed parsed = JsonRpcCodec.parse(json.getBytes(StandardCharsets.UTF_8), limits);
    assertInstanceOf(JsonRpcCodec.Ok.class, parsed, () -> "expected Ok but got " + parsed);
  }

  @Test
  void theDefaultsAreTheOnesReferenceConfGives() {
    RouterSettings settings =
        RouterSettings.fromConfig(RouterConfigFiles.load(ConfigFactory.empty()));
    assertEquals(JsonLimits.DEFAULT, settings.json());
    assertEquals(new JsonLimits(256, 1000, 16 * 1024 * 1024), settings.json());
  }

  @Test
  void settingsOverrideEachLimit() {
    RouterSettings settings =
        RouterSettings.fromConfig(
            ConfigFactory.parseString(
                    "mcprouter.json { max-nesting-depth = 8, max-number-length = 20, max-string-length = 1KiB }")
                .withFallback(RouterConfigFiles.load(ConfigFactory.empty())));
    assertEquals(new JsonLimits(8, 20, 1024), settings.json());
  }

  @Test
  void depthAtAndOverTheLimit() {
    ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":[[]]}}", SMALL);
    JsonRpcCodec.Failure f =
        failure("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":[[[]]]}}", SMALL);
    assertEquals("Parse error: JSON nesting deeper than 4 levels", f.error().message());
    assertEquals(IntNode.valueOf(1), f.id());
    assertNull(f.overLimit().responseId(), "a request is not an answer to anything");
  }

  @Test
  void numberLengthAtAndOverTheLimit() {
    ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":12345}}", SMALL);
    JsonRpcCodec.Failure f =
        failure("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":123456}}", SMALL);
    assertEquals(
        "Parse error: a number of 6 characters, longer than the limit of 5", f.error().message());
  }

  @Test
  void stringLengthAtAndOverTheLimit() {
    JsonLimits limits = new JsonLimits(4, 5, 2000);
    ok(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":\""
            + "s".repeat(2000)
            + "\"}}",
        limits);
    JsonRpcCodec.Failure f =
        failure(
            "{\"jsonrpc\":\"2.0\",\"id\":\"r\",\"method\":\"m\",\"params\":{\"a\":\""
                + "s".repeat(2001)
                + "\"}}",
            limits);
    assertTrue(
        f.error().message().contains("a string longer than the limit of 2000 characters"),
        f.error().message());
    assertEquals(TextNode.valueOf("r"), f.id());
  }

  @Test
  void aRefusedResponseCarriesTheIdItAnswers() {
    JsonRpcCodec.Failure f =
        failure("{\"jsonrpc\":\"2.0\",\"id\":77,\"result\":{\"a\":[[[[[]]]]]}}", SMALL);
    assertEquals(IntNode.valueOf(77), f.overLimit().responseId());
    f =
        failure(
            "{\"id\":\"x\",\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":\"m\",\"data\":[[[[[]]]]]}}",
            SMALL);
    assertEquals(TextNode.valueOf("x"), f.overLimit().responseId());
  }

  @Test
  void aRefusedDocumentWhoseIdComesAfterTheFailurePointHasNoId() {
    JsonRpcCodec.Failure f =
        failure("{\"jsonrpc\":\"2.0\",\"result\":{\"a\":[[[[[]]]]]},\"id\":77}", SMALL);
    assertNull(f.id());
    assertNull(f.overLimit().responseId());
  }

  @Test
  void aRefusedRequestFromAServerIsNotTakenForAResponse() {
    // "id" and "result"-like content, but a method: answering it would fail somebody else's request
    JsonRpcCodec.Failure f =
        failure(
            "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"sampling/createMessage\","
                + "\"result\":1,\"params\":{\"a\":[[[[[]]]]]}}",
            SMALL);
    assertNull(f.overLimit().responseId());
  }

  @Test
  void badJsonIsNotALimitFailure() {
    assertNull(failure("{\"jsonrpc\":", SMALL).overLimit());
  }

  @Test
  void routersWithDifferentLimitsInOneJvmEachGetTheirOwn() {
    JsonLimits strict = new JsonLimits(3, 1000, 1000);
    JsonLimits lax = new JsonLimits(64, 1000, 1000);
    String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":[[]]}}";
    failure(body, strict);
    ok(body, lax);
    failure(body, strict); // building the lax mapper changed nothing for the strict one
    assertSame(
        strict.mapper(), new JsonLimits(3, 1000, 1000).mapper(), "equal limits share one mapper");
    assertNotSame(strict.mapper(), lax.mapper());
  }
}
