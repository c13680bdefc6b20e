package io.mcprouter.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.ModernHttp;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A call through each transport makes one SERVER span with the MCP attributes, whose parent is the
 * client's context (its {@code traceparent} header, or its {@code _meta.traceparent}), and the
 * child receives the router's span as its parent in {@code params._meta.traceparent}.
 */
class TracingTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT = "00f067aa0ba902b7";
  private static final String TRACEPARENT = "00-" + TRACE + "-" + PARENT + "-01";
  private static final Duration WAIT = Duration.ofSeconds(10);

  private static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private static OpenTelemetrySdk sdk;
  private static TestRouter router;
  private static final HttpClient http = SseTestClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .build();
    router =
        TestRouter.start(
            TestRouter.servers(TestRouter.fake("shared", true), TestRouter.fake("own", false)),
            Tracing.to(sdk));
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
    sdk.close();
  }

  @BeforeEach
  void reset() {
    spans.reset();
  }

  @Test
  void streamable2025SessionFromTheHeader() throws Exception {
    McpHttp mcp = new McpHttp(router.proxyPort());
    String session = mcp.openSession("shared");
    HttpResponse<String> answer =
        mcp.send(
            mcp.post(
                    "shared",
                    session,
                    SseTestClient.request(
                        7, "tools/call", SseTestClient.toolCall("meta", Map.of())))
                .setHeader("Accept", "application/json")
                .header("traceparent", TRACEPARENT)
                .header("tracestate", "vendor=abc"));
    SpanData span = toolSpan();
    assertSpan(span, "streamable_http", "2025", "7");
    assertEquals("2025-06-18", span.getAttributes().get(McpSpans.PROTOCOL));
    JsonNode childMeta = JSON.readTree(McpHttp.text(answer));
    assertChildGot(childMeta, span);
    assertEquals("vendor=abc", childMeta.path("tracestate").asText());
  }

  @Test
  void streamable2026RequestFromItsMeta() throws Exception {
    ModernHttp modern = new ModernHttp(router.proxyPort());
    HttpResponse<String> answer =
        modern.send(
            "shared", ModernHttp.toolCall(8, "meta", Map.of(), Map.of("traceparent", TRACEPARENT)));
    SpanData span = toolSpan();
    assertSpan(span, "streamable_http", "2026-07-28", "8");
    JsonNode childMeta = JSON.readTree(ModernHttp.text(ModernHttp.answer(answer)));
    assertChildGot(childMeta, span);
  }

  @Test
  void metaWinsOverTheHeader() throws Exception {
    String other = "00-" + "1".repeat(32) + "-" + "2".repeat(16) + "-01";
    ModernHttp modern = new ModernHttp(router.proxyPort());
    HttpResponse<String> answer =
        modern
            .client()
            .send(
                modern
                    .post(
                        "shared",
                        ModernHttp.toolCall(
                            9, "meta", Map.of(), Map.of("traceparent", TRACEPARENT)))
                    .header("traceparent", other)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, answer.statusCode(), answer.body());
    assertEquals(TRACE, toolSpan().getTraceId());
  }

  @Test
  void legacySseMessagesPerSessionChild() throws Exception {
    SseTestClient sse = SseTestClient.connect(http, router.proxyPort(), "own");
    sse.initialize(1, null);
    ObjectNode request =
        SseTestClient.request(5, "tools/call", SseTestClient.toolCall("meta", null));
    HttpResponse<String> posted =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + router.proxyPort() + sse.endpoint()))
                .header("Content-Type", "application/json")
                .header("traceparent", TRACEPARENT)
                .POST(HttpRequest.BodyPublishers.ofString(request.toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(202, posted.statusCode(), posted.body());
    JsonNode answer = sse.awaitMessage(m -> m.path("id").asInt() == 5 && m.has("result"), WAIT);
    SpanData span = toolSpan();
    assertSpan(span, "sse", "2025", "5");
    assertChildGot(
        JSON.readTree(answer.path("result").path("content").path(0).path("text").asText()), span);
  }

  @Test
  void restCallTool() throws Exception {
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + router.apiPort() + "/v1/call-tool"))
                .header("Authorization", "Bearer shared")
                .header("Content-Type", "application/json")
                .header("traceparent", TRACEPARENT)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"meta\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, answer.statusCode(), answer.body());
    SpanData span = toolSpan();
    assertEquals("rest", span.getAttributes().get(McpSpans.TRANSPORT));
    assertEquals(TRACE, span.getTraceId());
    assertEquals(PARENT, span.getParentSpanId());
    JsonNode text = JSON.readTree(answer.body()).findValue("text");
    assertChildGot(JSON.readTree(text.asText()), span);
  }

  @Test
  void anInvalidTraceparentIsIgnored() throws Exception {
    McpHttp mcp = new McpHttp(router.proxyPort());
    String session = mcp.openSession("shared");
    String bad = "00-" + TRACE.toUpperCase() + "-" + PARENT + "-01";
    HttpResponse<String> answer =
        mcp.send(
            mcp.post(
                    "shared",
                    session,
                    SseTestClient.request(
                        3, "tools/call", SseTestClient.toolCall("meta", Map.of())))
                .setHeader("Accept", "application/json")
                .header("traceparent", bad));
    SpanData span = toolSpan();
    assertNotEquals(TRACE, span.getTraceId());
    assertFalse(span.getParentSpanContext().isValid(), "a root span");
    JsonNode childMeta = JSON.readTree(McpHttp.text(answer));
    assertEquals(span.getTraceId(), childMeta.path("traceparent").asText().substring(3, 35));
  }

  /** The one span of the tools/call (initialize is no call; tools/list is another span). */
  private static SpanData toolSpan() throws InterruptedException {
    Await.until(
        WAIT,
        () -> "a tools/call span in " + spans.getFinishedSpanItems(),
        () ->
            spans.getFinishedSpanItems().stream()
                .anyMatch(s -> s.getName().equals("tools/call meta")));
    List<SpanData> calls =
        spans.getFinishedSpanItems().stream()
            .filter(s -> s.getName().equals("tools/call meta"))
            .toList();
    assertEquals(1, calls.size(), calls.toString());
    return calls.get(0);
  }

  private static void assertSpan(SpanData span, String transport, String era, String id) {
    assertEquals(SpanKind.SERVER, span.getKind());
    assertEquals(TRACE, span.getTraceId());
    assertEquals(PARENT, span.getParentSpanId());
    assertTrue(span.getParentSpanContext().isRemote());
    assertEquals("tools/call", span.getAttributes().get(McpSpans.METHOD));
    assertEquals("meta", span.getAttributes().get(McpSpans.TOOL));
    assertEquals(id, span.getAttributes().get(McpSpans.REQUEST_ID));
    assertEquals(transport, span.getAttributes().get(McpSpans.TRANSPORT));
    assertEquals(era, span.getAttributes().get(McpSpans.ERA));
    assertEquals(null, span.getAttributes().get(AttributeKey.stringKey("mcp.session.id")));
    assertEquals(null, span.getAttributes().get(McpSpans.ERROR_TYPE));
  }

  /** The child's _meta.traceparent: the client's trace, the router's span as its parent. */
  private static void assertChildGot(JsonNode childMeta, SpanData span) {
    String traceparent = childMeta.path("traceparent").asText();
    assertEquals("00-" + span.getTraceId() + "-" + span.getSpanId() + "-01", traceparent);
    assertEquals(TRACE, span.getTraceId());
  }
}
