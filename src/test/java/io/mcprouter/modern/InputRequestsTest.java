package io.mcprouter.modern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InputRequestsTest {

  private static JsonNode json(String text) throws Exception {
    return JsonRpcCodec.MAPPER.readTree(text);
  }

  private static JsonRpcMessage.Request ask(int id, String method, String params) throws Exception {
    return new JsonRpcMessage.Request(json(Integer.toString(id)), method, json(params));
  }

  @Test
  void theChildsRequestsBecomeInputRequestsNamedByItsHintOrByTheRouter() throws Exception {
    InputRequests asks = new InputRequests();
    assertEquals(
        "user_name",
        asks.add(
            ask(
                7,
                "elicitation/create",
                "{\"message\":\"name?\",\"_meta\":{\"mcprouter/inputKey\":\"user_name\"}}")));
    assertEquals(
        "input-1",
        asks.add(ask(8, "roots/list", "{\"_meta\":{\"mcprouter/inputKey\":\"bad key!\"}}")));
    ObjectNode result = asks.result("state");
    assertEquals("input_required", result.path("resultType").asText());
    assertEquals("state", result.path("requestState").asText());
    JsonNode named = result.path("inputRequests").path("user_name");
    assertEquals("elicitation/create", named.path("method").asText());
    assertEquals("name?", named.path("params").path("message").asText());
    assertFalse(named.path("params").has("_meta"), "the hint stays between child and router");
    assertEquals(
        "roots/list", result.path("inputRequests").path("input-1").path("method").asText());
  }

  @Test
  void answersAreCheckedAndBecomeTheChildsResponsesAndWhatIsMissingStaysAsked() throws Exception {
    InputRequests asks = new InputRequests();
    asks.add(ask(7, "elicitation/create", "{\"_meta\":{\"mcprouter/inputKey\":\"a\"}}"));
    asks.add(ask(8, "sampling/createMessage", "{\"_meta\":{\"mcprouter/inputKey\":\"b\"}}"));
    assertInstanceOf(InputRequests.Invalid.class, asks.answer(json("5")));
    assertInstanceOf(InputRequests.Invalid.class, asks.answer(null));
    assertInstanceOf(
        InputRequests.Invalid.class, asks.answer(json("{\"a\":{\"action\":\"maybe\"}}")));
    assertInstanceOf(InputRequests.Invalid.class, asks.answer(json("{\"b\":42}")));

    InputRequests.Answered first =
        assertInstanceOf(
            InputRequests.Answered.class,
            asks.answer(json("{\"a\":{\"action\":\"accept\",\"content\":{}},\"extra\":{}}")));
    assertEquals(1, first.toChild().size());
    assertEquals(json("7"), first.toChild().get(0).id());
    assertEquals("accept", first.toChild().get(0).result().path("action").asText());
    assertFalse(asks.isEmpty(), "b is still asked");
    List<String> stillAsked = new ArrayList<>();
    asks.result("s").path("inputRequests").fieldNames().forEachRemaining(stillAsked::add);
    assertEquals(List.of("b"), stillAsked);

    InputRequests.Answered second =
        assertInstanceOf(
            InputRequests.Answered.class,
            asks.answer(
                json(
                    "{\"b\":{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"hi\"}}}")));
    assertEquals(json("8"), second.toChild().get(0).id());
    assertTrue(asks.isEmpty());
  }
}
