package io.mcprouter.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With tracing off the child's request is as the client sent it: no trace context is added. */
class TracingOffTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TRACEPARENT =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @Test
  void theChildGetsTheClientsMetaUnchanged() throws Exception {
    try (TestRouter router =
        TestRouter.start(
            TestRouter.servers(TestRouter.fake("shared", true), TestRouter.fake("own", false)),
            Tracing.OFF)) {
      McpHttp mcp = new McpHttp(router.proxyPort());
      for (String key : new String[] {"shared", "own"}) {
        String session = mcp.openSession(key);
        // a header and no _meta: nothing reaches the child
        HttpResponse<String> bare =
            mcp.send(
                mcp.post(
                        key,
                        session,
                        SseTestClient.request(
                            2, "tools/call", SseTestClient.toolCall("meta", Map.of())))
                    .setHeader("Accept", "application/json")
                    .header("traceparent", TRACEPARENT));
        assertEquals("null", McpHttp.text(bare), key);
        // the client's own _meta, trace context included, passes as sent
        JsonNode params = SseTestClient.toolCall("meta", Map.of());
        ((ObjectNode) params).putObject("_meta").put("traceparent", TRACEPARENT).put("x", 1);
        HttpResponse<String> withMeta =
            mcp.send(
                mcp.post(key, session, SseTestClient.request(3, "tools/call", params))
                    .setHeader("Accept", "application/json"));
        assertEquals(params.get("_meta"), JSON.readTree(McpHttp.text(withMeta)), key);
      }
    }
  }
}
