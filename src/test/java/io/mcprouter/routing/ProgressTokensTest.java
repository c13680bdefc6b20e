package io.mcprouter.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProgressTokensTest {

  private final ProgressTokens progress = new ProgressTokens();
  private final RecordingRecipients out = new RecordingRecipients();

  private static JsonNode json(String text) throws Exception {
    return JsonRpcCodec.MAPPER.readTree(text);
  }

  private boolean fromChild(String token) throws Exception {
    return progress.toClient(
        new JsonRpcMessage.Notification(
            "notifications/progress", json("{\"progressToken\":" + token + ",\"progress\":3}")),
        out);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{}",
        "{\"_meta\":{}}",
        "{\"_meta\":{\"progressToken\":null}}",
        "{\"_meta\":[1]}",
        "[1]"
      })
  void noTokenToReplace(String params) throws Exception {
    assertNull(ProgressTokens.clientToken(json(params)));
    assertNull(ProgressTokens.clientToken(null));
  }

  @Test
  void theTokenBecomesTheUpstreamIdInACopy() throws Exception {
    JsonNode params = json("{\"name\":\"t\",\"_meta\":{\"progressToken\":\"mine\",\"other\":1}}");
    assertEquals("mine", ProgressTokens.clientToken(params).asText());

    JsonNode rewritten = ProgressTokens.withUpstreamToken(params, 17);

    assertEquals(
        "{\"name\":\"t\",\"_meta\":{\"progressToken\":17,\"other\":1}}", rewritten.toString());
    assertEquals(
        "mine",
        params.path("_meta").path("progressToken").asText(),
        "the client's message is not mutated");
    assertEquals(
        SessionRouting.idKey(rewritten.path("_meta").path("progressToken")),
        ProgressTokens.key(17));
  }

  @Test
  void progressGoesToTheRequesterUnderItsOwnToken() throws Exception {
    progress.route(ProgressTokens.key(17), "a", json("\"mine\""));

    assertTrue(fromChild("17"));

    assertEquals(1, out.delivered.size());
    assertEquals("a", out.delivered.get(0).sessionId());
    assertEquals(
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"mine\",\"progress\":3}}",
        out.linesTo("a").get(0));
  }

  @Test
  void anUnknownOrForgottenTokenGoesNowhere() throws Exception {
    progress.route(ProgressTokens.key(17), "a", json("\"mine\""));
    assertFalse(fromChild("\"17\""), "the text \"17\" is not the number the child was given");
    assertFalse(fromChild("18"));
    progress.forget(ProgressTokens.key(17));
    assertFalse(fromChild("17"));
    assertFalse(
        progress.toClient(new JsonRpcMessage.Notification("notifications/progress", null), out));
    assertTrue(out.delivered.isEmpty());
  }
}
