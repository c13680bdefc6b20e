package io.mcprouter.modern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What a 2025-era child is sent for a modern request (basic/index.mdx "_meta": the reserved keys;
 * only the era's own {@code io.modelcontextprotocol/*} per-request fields are the router's to
 * consume) and the initialize synthesized for it.
 */
class ModernRequestTest {

  private static final JsonNode ID = new IntNode(9);

  private static ObjectNode json(String text) {
    try {
      return (ObjectNode) JsonRpcCodec.MAPPER.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static ModernRequest request(ObjectNode params, Optional<JsonNode> clientInfo) {
    JsonNode declared = params.path("_meta").path(ModernProtocol.CLIENT_CAPABILITIES);
    ObjectNode caps = declared.isObject() ? (ObjectNode) declared : json("{}");
    return new ModernRequest(ID, "tools/call", params, caps, clientInfo, Optional.empty());
  }

  private static final String FULL =
      "{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"},\"_meta\":{"
          + "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
          + "\"io.modelcontextprotocol/clientCapabilities\":{\"sampling\":{}},"
          + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"c\",\"version\":\"2\"},"
          + "\"io.modelcontextprotocol/logLevel\":\"info\","
          + "\"progressToken\":\"p-1\","
          + "\"traceparent\":\"00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01\","
          + "\"com.example/tag\":\"x\"}}";

  @Test
  void toChildStripsOnlyTheEraKeys() {
    ModernRequest request = request(json(FULL), Optional.empty());
    JsonRpcMessage.Request child = request.toChild();
    assertEquals(ID, child.id());
    assertEquals("tools/call", child.method());
    JsonNode meta = child.params().get("_meta");
    assertEquals(
        json(
            "{\"progressToken\":\"p-1\","
                + "\"traceparent\":\"00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01\","
                + "\"com.example/tag\":\"x\"}"),
        meta);
    assertEquals("echo", child.params().path("name").asText());
    assertEquals("hi", child.params().path("arguments").path("text").asText());
  }

  @Test
  void toChildDropsAMetaItEmptied() {
    ObjectNode params =
        json(
            "{\"name\":\"echo\",\"_meta\":{"
                + "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                + "\"io.modelcontextprotocol/clientCapabilities\":{}}}");
    JsonRpcMessage.Request child = request(params, Optional.empty()).toChild();
    assertFalse(child.params().has("_meta"), () -> "params: " + child.params());
    assertEquals(json("{\"name\":\"echo\"}"), child.params());
  }

  @Test
  void toChildDoesNotMutateTheRequest() {
    ObjectNode params = json(FULL);
    ObjectNode before = params.deepCopy();
    ModernRequest request = request(params, Optional.empty());
    request.toChild();
    assertEquals(before, request.params());
    assertTrue(request.params().path("_meta").has(ModernProtocol.PROTOCOL_VERSION));
  }

  @Test
  void progressTokenIsReadFromMeta() {
    assertEquals(
        Optional.of("p-1"),
        request(json(FULL), Optional.empty()).progressToken().map(JsonNode::asText));
    assertTrue(request(json("{\"_meta\":{}}"), Optional.empty()).progressToken().isEmpty());
  }

  @Test
  void declaresSeesOnlyObjectCapabilities() {
    ModernRequest request =
        new ModernRequest(
            ID,
            "tools/call",
            json("{}"),
            json("{\"sampling\":{},\"elicitation\":true}"),
            Optional.empty(),
            Optional.empty());
    assertTrue(request.declares("sampling"));
    assertFalse(request.declares("elicitation"));
    assertFalse(request.declares("roots"));
  }

  @Test
  void initializeParamsCarryTheClientInfo() {
    ObjectNode info = json("{\"name\":\"ExampleClient\",\"version\":\"1.0.0\"}");
    ObjectNode init = request(json(FULL), Optional.of(info)).initializeParams("2025-11-25");
    assertEquals("2025-11-25", init.path("protocolVersion").asText());
    assertEquals(info, init.get("clientInfo"));
    assertTrue(init.path("capabilities").isObject());
  }

  @Test
  void initializeParamsDefaultTheClientInfo() {
    for (Optional<JsonNode> info :
        List.<Optional<JsonNode>>of(
            Optional.empty(), Optional.of(JsonRpcCodec.MAPPER.getNodeFactory().textNode("c")))) {
      ObjectNode init = request(json(FULL), info).initializeParams("2025-06-18");
      JsonNode clientInfo = init.get("clientInfo");
      assertTrue(clientInfo.isObject());
      assertFalse(clientInfo.path("name").asText().isEmpty());
      assertTrue(clientInfo.path("version").isTextual());
    }
  }

  @Test
  void initializeParamsDoNotShareTheClientsTrees() {
    ObjectNode info = json("{\"name\":\"c\",\"version\":\"1\"}");
    ModernRequest request = request(json(FULL), Optional.of(info));
    ObjectNode init = request.initializeParams("2025-11-25");
    ((ObjectNode) init.get("clientInfo")).put("name", "changed");
    assertEquals("c", info.path("name").asText());
  }

  @Test
  void initializeParamsDeclareSamplingAndElicitationButNotRoots() {
    // the router is the child's client and answers its mid-request asks itself; roots are asked
    // outside any request, so no modern request can answer them
    ObjectNode params =
        json(
            "{\"_meta\":{\"io.modelcontextprotocol/clientCapabilities\":"
                + "{\"sampling\":{\"tools\":{}},\"roots\":{}}}}");
    ObjectNode capabilities = request(params, Optional.empty()).initializeParams("2025-11-25");
    JsonNode declared = capabilities.path("capabilities");
    assertEquals(json("{\"tools\":{}}"), declared.get("sampling"));
    assertTrue(declared.path("elicitation").isObject());
    assertFalse(declared.has("roots"));
  }
}
