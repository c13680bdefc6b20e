package io.mcprouter.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.math.BigInteger;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MultiplexerTest {

  private static final String INIT_RESULT =
      "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"s\",\"version\":\"1\"}}";
  private static final String ALL_CAPS = "{\"sampling\":{},\"elicitation\":{},\"roots\":{}}";

  private final Multiplexer mux = new Multiplexer();
  private final RecordingRecipients out = new RecordingRecipients();

  private static JsonRpcMessage msg(String json) {
    return assertInstanceOf(JsonRpcCodec.Ok.class, JsonRpcCodec.parse(json)).message();
  }

  private static String initialize(String id, String capabilities) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
        + "\"capabilities\":"
        + capabilities
        + ",\"clientInfo\":{\"name\":\"c\",\"version\":\"1\"}}}";
  }

  private SessionRouting.Outcome client(String session, String json) {
    return mux.fromClient(session, msg(json), out);
  }

  private boolean child(String json) {
    return mux.fromChild(msg(json), out);
  }

  private long lastUpstreamId() {
    return assertInstanceOf(JsonRpcMessage.Request.class, out.lastToChild()).id().longValue();
  }

  /**
   * Opens and fully initializes each session (the first through the child, the others from the
   * cache).
   */
  private void initialized(String capabilities, String... sessions) {
    for (String session : sessions) {
      mux.sessionOpened(session);
      client(session, initialize("0", capabilities));
      if (!out.toChild.isEmpty()
          && out.lastToChild() instanceof JsonRpcMessage.Request r
          && r.method().equals("initialize")) {
        child("{\"jsonrpc\":\"2.0\",\"id\":" + r.id() + ",\"result\":" + INIT_RESULT + "}");
      }
      client(session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    }
    out.clear();
  }

  @Test
  void sameClientIdsFromTwoSessionsGetDistinctUpstreamIdsAndTheirOwnAnswersBack() {
    initialized("{}", "A", "B");
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    client("B", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    client("B", "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"method\":\"tools/list\"}");
    List<JsonNode> upstream =
        out.toChild.stream().map(m -> ((JsonRpcMessage.Request) m).id()).toList();
    assertEquals(3, new HashSet<>(upstream).size(), "distinct upstream ids: " + upstream);
    assertTrue(upstream.stream().allMatch(JsonNode::isIntegralNumber));
    assertEquals(new HashSet<>(upstream), new HashSet<>(mux.inFlightIds()));

    for (int i = 2; i >= 0; i--) {
      assertTrue(
          child(
              "{\"jsonrpc\":\"2.0\",\"id\":" + upstream.get(i) + ",\"result\":{\"n\":" + i + "}}"));
    }
    assertEquals(List.of("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"n\":0}}"), out.linesTo("A"));
    assertEquals(
        List.of(
            "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":{\"n\":2}}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"n\":1}}"),
        out.linesTo("B"));
    assertEquals(0, mux.inFlight());
  }

  @Test
  void anIdBeyondTheLongRangeIsNotTakenForTheUpstreamIdItWrapsTo() {
    initialized("{}", "A");
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    long upstream = lastUpstreamId();
    // 2^64 + upstream: asLong() keeps the low 64 bits, which are the upstream id
    String wrapped = BigInteger.ONE.shiftLeft(64).add(BigInteger.valueOf(upstream)).toString();
    assertFalse(child("{\"jsonrpc\":\"2.0\",\"id\":" + wrapped + ",\"result\":{\"forged\":true}}"));
    assertTrue(out.linesTo("A").isEmpty(), out.linesTo("A").toString());
    assertEquals(1, mux.inFlight());
  }

  @Test
  void responseWithUnknownIdIsDropped() {
    initialized("{}", "A");
    assertFalse(child("{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":{}}"));
    assertFalse(child("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":{}}"));
    assertTrue(out.delivered.isEmpty());
  }

  @Test
  void firstInitializeIsForwardedWithSamplingAndElicitationAddedAndTheClientsRootsRemoved()
      throws Exception {
    mux.sessionOpened("A");
    JsonRpcMessage request =
        msg(
            initialize(
                "\"init\"", "{\"roots\":{\"listChanged\":false},\"experimental\":{\"x\":{}}}"));
    String before = JsonRpcCodec.encode(request);
    assertEquals(SessionRouting.Outcome.ACCEPTED, mux.fromClient("A", request, out));
    JsonRpcMessage.Request forwarded =
        assertInstanceOf(JsonRpcMessage.Request.class, out.toChild.get(0));
    assertEquals("initialize", forwarded.method());
    assertTrue(forwarded.id().isIntegralNumber());
    // the child is asked for the newest revision the router speaks, whatever the first client asked
    assertEquals(
        JsonRpcCodec.MAPPER.readTree(
            "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":"
                + "{\"experimental\":{\"x\":{}},\"sampling\":{},\"elicitation\":{}},"
                + "\"clientInfo\":{\"name\":\"c\",\"version\":\"1\"}}"),
        forwarded.params());
    assertEquals(before, JsonRpcCodec.encode(request), "the client's own message is not modified");
  }

  private String initializeAsking(String id, String version) {
    String params =
        version == null
            ? "{\"capabilities\":{}}"
            : "{\"protocolVersion\":\"" + version + "\",\"capabilities\":{}}";
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"initialize\",\"params\":"
        + params
        + "}";
  }

  private String answeredVersion(String session) throws Exception {
    List<String> lines = out.linesTo(session);
    return JsonRpcCodec.MAPPER
        .readTree(lines.get(lines.size() - 1))
        .path("result")
        .path("protocolVersion")
        .asText("<none>");
  }

  @Test
  void eachSessionIsAnsweredTheRevisionItAskedForWhenTheRouterSpeaksItElseTheChildsOwn()
      throws Exception {
    List.of("A", "B", "C", "D", "E").forEach(mux::sessionOpened);
    client(
        "A",
        initializeAsking(
            "1", "2024-11-05")); // e.g. the Java SDK's SSE client, which offers only this one
    JsonRpcMessage.Request forwarded =
        assertInstanceOf(JsonRpcMessage.Request.class, out.lastToChild());
    assertEquals("2025-11-25", forwarded.params().path("protocolVersion").asText());
    client("B", initializeAsking("2", "2025-03-26")); // waits for the child's answer
    child(
        "{\"jsonrpc\":\"2.0\",\"id\":"
            + forwarded.id()
            + ",\"result\":"
            + INIT_RESULT.replace("2025-06-18", "2025-11-25")
            + "}");
    assertEquals("2024-11-05", answeredVersion("A"));
    assertEquals("2025-03-26", answeredVersion("B"));

    client("C", initializeAsking("3", "2025-06-18")); // from the cache
    assertEquals("2025-06-18", answeredVersion("C"));
    client(
        "D", initializeAsking("4", "2026-07-28")); // not a revision the router speaks: the child's
    assertEquals("2025-11-25", answeredVersion("D"));
    client("E", initializeAsking("5", null));
    assertEquals("2025-11-25", answeredVersion("E"), "the cache itself was not rewritten");
    assertEquals(1, out.toChild.size(), "one initialize reached the child");
  }

  @Test
  void aChildThatNegotiatedAnOlderRevisionStillAnswersEachSessionItsOwn() throws Exception {
    List.of("A", "B").forEach(mux::sessionOpened);
    client("A", initializeAsking("1", "2025-11-25"));
    child(
        "{\"jsonrpc\":\"2.0\",\"id\":"
            + lastUpstreamId()
            + ",\"result\":"
            + INIT_RESULT.replace("2025-06-18", "2025-03-26")
            + "}");
    assertEquals("2025-11-25", answeredVersion("A"));
    client("B", initializeAsking("2", "1999-01-01"));
    assertEquals("2025-03-26", answeredVersion("B"));
  }

  @Test
  void initializeWithoutCapabilitiesGetsSamplingAndElicitationButNoRootsWhenNoneAreConfigured()
      throws Exception {
    mux.sessionOpened("A");
    client(
        "A",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\"}}");
    assertEquals(
        JsonRpcCodec.MAPPER.readTree("{\"sampling\":{},\"elicitation\":{}}"),
        ((JsonRpcMessage.Request) out.toChild.get(0)).params().get("capabilities"));
  }

  @Test
  void concurrentInitializeWaitsForTheChildAndLaterOnesAreAnsweredFromCache() {
    List.of("A", "B", "C").forEach(mux::sessionOpened);
    client("A", initialize("1", "{}"));
    long upstream = lastUpstreamId();
    assertEquals(SessionRouting.Outcome.ACCEPTED, client("B", initialize("\"b-init\"", "{}")));
    assertEquals(1, out.toChild.size(), "second initialize is not forwarded");
    assertTrue(out.delivered.isEmpty(), "nobody is answered before the child answers");

    child("{\"jsonrpc\":\"2.0\",\"id\":" + upstream + ",\"result\":" + INIT_RESULT + "}");
    assertEquals(
        List.of("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":" + INIT_RESULT + "}"), out.linesTo("A"));
    assertEquals(
        List.of("{\"jsonrpc\":\"2.0\",\"id\":\"b-init\",\"result\":" + INIT_RESULT + "}"),
        out.linesTo("B"));

    client("C", initialize("7", "{}"));
    assertEquals(1, out.toChild.size(), "cached initialize is not forwarded");
    assertEquals(
        List.of("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":" + INIT_RESULT + "}"), out.linesTo("C"));
  }

  @Test
  void initializedNotificationIsForwardedExactlyOnce() {
    mux.sessionOpened("A");
    mux.sessionOpened("B");
    client("A", initialize("1", "{}"));
    child("{\"jsonrpc\":\"2.0\",\"id\":" + lastUpstreamId() + ",\"result\":" + INIT_RESULT + "}");
    client("B", initialize("1", "{}"));
    client("A", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    client("B", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    assertEquals(
        List.of("initialize", "notifications/initialized"),
        out.toChild.stream()
            .map(
                m ->
                    m instanceof JsonRpcMessage.Request r
                        ? r.method()
                        : ((JsonRpcMessage.Notification) m).method())
            .toList());
  }

  @Test
  void initializeErrorReachesEveryWaiterAndTheNextInitializeIsForwardedAgain() {
    List.of("A", "B", "C").forEach(mux::sessionOpened);
    client("A", initialize("1", "{}"));
    long upstream = lastUpstreamId();
    client("B", initialize("2", "{}"));
    child(
        "{\"jsonrpc\":\"2.0\",\"id\":"
            + upstream
            + ",\"error\":{\"code\":-32602,\"message\":\"bad version\"}}");
    assertEquals(
        List.of(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32602,\"message\":\"bad version\"}}"),
        out.linesTo("A"));
    assertEquals(
        List.of(
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32602,\"message\":\"bad version\"}}"),
        out.linesTo("B"));

    client("C", initialize("3", "{}"));
    assertEquals(2, out.toChild.size());
    assertEquals("initialize", ((JsonRpcMessage.Request) out.lastToChild()).method());
    assertNotEquals(upstream, lastUpstreamId());
  }

  @Test
  void progressReachesOnlyTheRequesterWithItsOwnToken() {
    initialized("{}", "A", "B");
    client(
        "A",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"t\",\"_meta\":{\"progressToken\":\"tok\"}}}");
    client(
        "B",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"t\",\"_meta\":{\"progressToken\":\"tok\"}}}");
    JsonRpcMessage.Request forwardedA = (JsonRpcMessage.Request) out.toChild.get(0);
    JsonNode tokenA = forwardedA.params().get("_meta").get("progressToken");
    JsonNode tokenB =
        ((JsonRpcMessage.Request) out.toChild.get(1)).params().get("_meta").get("progressToken");
    assertNotEquals("tok", tokenA.asText());
    assertNotEquals(tokenA, tokenB);
    assertEquals("t", forwardedA.params().get("name").asText());

    assertTrue(
        child(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":"
                + tokenA
                + ",\"progress\":0.5,\"total\":1}}"));
    assertEquals(
        List.of(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":"
                + "{\"progressToken\":\"tok\",\"progress\":0.5,\"total\":1}}"),
        out.linesTo("A"));
    assertEquals(List.of(), out.linesTo("B"));
  }

  @Test
  void unknownProgressTokenIsDropped() {
    initialized("{}", "A");
    client(
        "A",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"_meta\":{\"progressToken\":1}}}");
    assertFalse(
        child(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"nope\",\"progress\":1}}"));
    assertFalse(
        child(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}"));
    assertTrue(out.delivered.isEmpty());
  }

  @Test
  void progressAfterTheAnswerIsDropped() {
    initialized("{}", "A");
    client(
        "A",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"_meta\":{\"progressToken\":1}}}");
    JsonRpcMessage.Request forwarded = (JsonRpcMessage.Request) out.lastToChild();
    child("{\"jsonrpc\":\"2.0\",\"id\":" + forwarded.id() + ",\"result\":{}}");
    assertFalse(
        child(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":"
                + forwarded.params().get("_meta").get("progressToken")
                + ",\"progress\":1}}"));
  }

  @Test
  void clientCancellationIsMappedUpstreamAndTheLateAnswerIsDropped() {
    initialized("{}", "A");
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":\"req-9\",\"method\":\"tools/call\"}");
    long upstream = lastUpstreamId();
    assertEquals(
        SessionRouting.Outcome.ACCEPTED,
        client(
            "A",
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"req-9\",\"reason\":\"user\"}}"));
    assertEquals(
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":"
            + upstream
            + ",\"reason\":\"user\"}}",
        JsonRpcCodec.encode(out.lastToChild()));
    // the child may still be working on it (and asking a client for it) until it answers
    assertEquals(List.of(upstream), mux.inFlightIds().stream().map(JsonNode::asLong).toList());
    assertFalse(child("{\"jsonrpc\":\"2.0\",\"id\":" + upstream + ",\"result\":{}}"));
    assertTrue(out.delivered.isEmpty());
    assertEquals(List.of(), mux.inFlightIds());
  }

  @Test
  void cancellingAnotherSessionsRequestIdIsNotForwarded() {
    initialized("{}", "A", "B");
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}");
    client(
        "B",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1}}");
    assertEquals(1, out.toChild.size());
    assertEquals(1, mux.inFlight());
  }

  @Test
  void serverRequestGoesToTheOneSessionWithRequestsInFlightAndItsAnswerGoesBackUnchanged() {
    initialized(ALL_CAPS, "A", "B");
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}");
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\"}");
    out.clear();
    String ask =
        "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"sampling/createMessage\",\"params\":{\"maxTokens\":5}}";
    assertTrue(child(ask));
    assertEquals(List.of(ask), out.linesTo("A"));
    assertEquals(List.of(), out.linesTo("B"));

    String wrongAnswer = "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"result\":{\"from\":\"B\"}}";
    assertEquals(SessionRouting.Outcome.ACCEPTED, client("B", wrongAnswer));
    assertTrue(out.toChild.isEmpty(), "an answer from a session that was not asked is dropped");

    String answer = "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"result\":{\"role\":\"assistant\"}}";
    client("A", answer);
    assertEquals(List.of(answer), out.toChild.stream().map(JsonRpcCodec::encode).toList());
    client("A", answer);
    assertEquals(1, out.toChild.size(), "a second answer to the same request is dropped");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sampling/createMessage", "elicitation/create", "custom/ask"})
  void serverRequestWhileTwoSessionsHaveRequestsInFlightIsRefusedToTheChild(String method) {
    initialized(ALL_CAPS, "A", "B");
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}");
    // the child names B's request as the related one: its word is no proof of whose work this is
    client(
        "B",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"_meta\":{\"progressToken\":\"t\"}}}");
    long bUpstream = lastUpstreamId();
    out.clear();
    assertTrue(
        child(
            "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\""
                + method
                + "\",\"params\":{\"_meta\":"
                + "{\"progressToken\":"
                + bUpstream
                + "}}}"));
    assertTrue(out.delivered.isEmpty(), "no session is asked: " + out.delivered);
    JsonRpcMessage.Response refusal =
        assertInstanceOf(JsonRpcMessage.Response.class, out.lastToChild());
    assertEquals("s1", refusal.id().asText());
    assertEquals(JsonRpcError.INTERNAL_ERROR, refusal.error().get("code").asInt());
    assertTrue(
        refusal
            .error()
            .get("message")
            .asText()
            .startsWith("cannot attribute " + method + " to one client session"),
        refusal.toString());
  }

  @Test
  void aCancelledRequestStillCountsUntilTheChildAnswersIt() {
    initialized(ALL_CAPS, "A", "B");
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}");
    long aUpstream = lastUpstreamId();
    client(
        "A",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1}}");
    client("B", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}");
    out.clear();
    child("{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"sampling/createMessage\"}");
    assertTrue(out.delivered.isEmpty(), "A's cancelled work may be what asks: B is not asked");
    child("{\"jsonrpc\":\"2.0\",\"id\":" + aUpstream + ",\"result\":{}}");
    child("{\"jsonrpc\":\"2.0\",\"id\":\"s2\",\"method\":\"sampling/createMessage\"}");
    assertEquals(
        1, out.linesTo("B").size(), "once the child answered A's request, B is the only candidate");
  }

  @Test
  void childPingAndRootsListAreAnsweredByTheRouterWhateverTheSessions() throws Exception {
    initialized(ALL_CAPS, "A", "B");
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}");
    out.clear();
    child("{\"jsonrpc\":\"2.0\",\"id\":\"p1\",\"method\":\"ping\"}");
    child("{\"jsonrpc\":\"2.0\",\"id\":\"r1\",\"method\":\"roots/list\"}");
    assertTrue(out.delivered.isEmpty());
    assertEquals(
        List.of(
            "{\"jsonrpc\":\"2.0\",\"id\":\"p1\",\"result\":{}}",
            "{\"jsonrpc\":\"2.0\",\"id\":\"r1\",\"result\":{\"roots\":[]}}"),
        out.toChild.stream().map(JsonRpcCodec::encode).toList());
  }

  @Test
  void configuredRootsAreAdvertisedAndAnsweredAndClientsRootsNeverReachTheChild() throws Exception {
    Multiplexer withRoots =
        new Multiplexer(
            "k", ServerSpec.Interactive.ATTRIBUTE, List.of("file:///srv/a", "file:///srv/b"), 10);
    withRoots.sessionOpened("A");
    withRoots.fromClient("A", msg(initialize("1", "{\"roots\":{\"listChanged\":true}}")), out);
    JsonRpcMessage.Request init = (JsonRpcMessage.Request) out.lastToChild();
    assertEquals(
        JsonRpcCodec.MAPPER.readTree("{\"listChanged\":false}"),
        init.params().path("capabilities").get("roots"));
    withRoots.fromChild(
        msg("{\"jsonrpc\":\"2.0\",\"id\":" + init.id() + ",\"result\":" + INIT_RESULT + "}"), out);
    withRoots.fromClient(
        "A", msg("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"), out);
    out.clear();
    assertEquals(
        SessionRouting.Outcome.ACCEPTED,
        withRoots.fromClient(
            "A",
            msg("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/roots/list_changed\"}"),
            out));
    assertTrue(out.toChild.isEmpty(), "a client's roots change is not the shared child's");
    withRoots.fromChild(msg("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"roots/list\"}"), out);
    assertEquals(
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"roots\":[{\"uri\":\"file:///srv/a\"},{\"uri\":\"file:///srv/b\"}]}}",
        JsonRpcCodec.encode(out.lastToChild()));
    assertTrue(out.delivered.isEmpty());
  }

  @ParameterizedTest
  @CsvSource({"sampling/createMessage, sampling", "elicitation/create, elicitation"})
  void serverRequestForAnUndeclaredCapabilityIsRefusedByTheRouter(
      String method, String capability) {
    initialized("{\"" + capability + "x\":{}}", "A");
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}");
    out.clear();
    assertTrue(child("{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"" + method + "\"}"));
    assertTrue(out.delivered.isEmpty());
    JsonRpcMessage.Response refusal =
        assertInstanceOf(JsonRpcMessage.Response.class, out.lastToChild());
    assertEquals(11, refusal.id().asInt());
    assertEquals(JsonRpcError.METHOD_NOT_FOUND, refusal.error().get("code").asInt());
    assertTrue(refusal.error().get("message").asText().contains(capability));
  }

  @Test
  void childPingWithNoSessionIsAnsweredByTheRouter() {
    assertTrue(child("{\"jsonrpc\":\"2.0\",\"id\":\"p1\",\"method\":\"ping\"}"));
    assertEquals(
        List.of("{\"jsonrpc\":\"2.0\",\"id\":\"p1\",\"result\":{}}"),
        out.toChild.stream().map(JsonRpcCodec::encode).toList());
    child("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"sampling/createMessage\"}");
    assertEquals(
        JsonRpcError.INTERNAL_ERROR,
        ((JsonRpcMessage.Response) out.lastToChild()).error().get("code").asInt());
  }

  @ParameterizedTest
  @ValueSource(strings = {"notifications/tools/list_changed", "notifications/message"})
  void untargetedNotificationReachesEveryInitializedSessionOnly(String method) {
    initialized("{}", "A", "B");
    mux.sessionOpened("C");
    String note =
        "{\"jsonrpc\":\"2.0\",\"method\":\"" + method + "\",\"params\":{\"level\":\"info\"}}";
    assertTrue(child(note));
    assertEquals(List.of(note), out.linesTo("A"));
    assertEquals(List.of(note), out.linesTo("B"));
    assertEquals(List.of(), out.linesTo("C"));
  }

  @Test
  void closingASessionCancelsItsRequestsUpstreamAndRefusesItsPendingServerRequests() {
    initialized(ALL_CAPS, "A", "B");
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}");
    long first = lastUpstreamId();
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\"}");
    long second = lastUpstreamId();
    child("{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"sampling/createMessage\"}");
    client("B", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}");
    long keptUpstream = lastUpstreamId();
    out.clear();

    mux.sessionClosed("A", out);
    List<String> sent = out.toChild.stream().map(JsonRpcCodec::encode).toList();
    assertEquals(3, sent.size(), sent.toString());
    assertTrue(
        sent.contains(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":"
                + first
                + ",\"reason\":\"client session closed\"}}"),
        sent.toString());
    assertTrue(
        sent.contains(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":"
                + second
                + ",\"reason\":\"client session closed\"}}"),
        sent.toString());
    JsonRpcMessage.Response refusal = (JsonRpcMessage.Response) out.lastToChild();
    assertEquals("s1", refusal.id().asText());
    assertEquals(JsonRpcError.INTERNAL_ERROR, refusal.error().get("code").asInt());
    assertEquals(
        Set.of(first, second, keptUpstream),
        mux.inFlightIds().stream().map(JsonNode::asLong).collect(Collectors.toSet()),
        "A's requests stay until the child answers them: it may still be working on them");
    assertEquals(1, mux.inFlightFor("B"));
    assertFalse(child("{\"jsonrpc\":\"2.0\",\"id\":" + first + ",\"result\":{}}"));
    assertTrue(out.delivered.isEmpty());
  }

  @Test
  void failingEveryInFlightIdAnswersEachWaitingSession() {
    initialized("{}", "A", "B");
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":\"a1\",\"method\":\"tools/call\"}");
    client("B", "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\"}");
    JsonRpcError gone = new JsonRpcError(JsonRpcError.SERVER_GONE, "server exited");
    for (JsonNode id : mux.inFlightIds()) {
      assertTrue(mux.fromChild(JsonRpcMessage.failure(id, gone), out));
    }
    assertEquals(
        List.of(
            "{\"jsonrpc\":\"2.0\",\"id\":\"a1\",\"error\":{\"code\":-32000,\"message\":\"server exited\"}}"),
        out.linesTo("A"));
    assertEquals(
        List.of(
            "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32000,\"message\":\"server exited\"}}"),
        out.linesTo("B"));
    assertEquals(0, mux.inFlight());
  }

  @Test
  void refusedWriteIsChildBusyAndNothingIsRecorded() {
    initialized("{}", "A");
    out.accepting = false;
    assertEquals(
        SessionRouting.Outcome.CHILD_BUSY,
        client(
            "A",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"_meta\":{\"progressToken\":1}}}"));
    assertEquals(
        SessionRouting.Outcome.CHILD_BUSY,
        client("A", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/custom\"}"));
    assertEquals(List.of(), mux.inFlightIds());
    assertEquals(0, mux.inFlight());
    out.accepting = true;
    assertEquals(
        SessionRouting.Outcome.ACCEPTED,
        client("A", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}"));
    assertEquals(1, mux.inFlight());
  }

  @Test
  void refusedInitializeIsNotRememberedAsInFlight() {
    mux.sessionOpened("A");
    out.accepting = false;
    assertEquals(SessionRouting.Outcome.CHILD_BUSY, client("A", initialize("1", "{}")));
    assertEquals(0, mux.inFlight());
    out.accepting = true;
    assertEquals(SessionRouting.Outcome.ACCEPTED, client("A", initialize("1", "{}")));
    assertEquals("initialize", ((JsonRpcMessage.Request) out.lastToChild()).method());
  }

  @Test
  void aParkedSessionIsNoCandidateForTheChildsNextRequest() {
    initialized(ALL_CAPS, "A", "B");
    client("A", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}");
    client("B", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}");
    String sample = "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"sampling/createMessage\"}";
    child(sample);
    assertTrue(out.linesTo("B").isEmpty(), "two calls in flight: refused, to nobody");

    mux.sessionParked("A", true, out); // A's call waits for its client's input
    child(sample.replace("s1", "s2"));
    assertEquals(1, out.linesTo("B").size(), out.linesTo("B").toString());
    assertTrue(out.linesTo("B").get(0).contains("sampling/createMessage"));
    assertTrue(out.linesTo("A").isEmpty());

    mux.sessionParked("A", false, out);
    child(sample.replace("s1", "s3"));
    assertEquals(1, out.linesTo("B").size(), "not parked any more: ambiguous again");
  }

  @Test
  void theChildIsSubscribedOnceAndUnsubscribedWhenItsLastFollowerEnds() {
    initialized("{}", "A", "B");
    String subscribe =
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://one\"}}";
    client("A", subscribe);
    assertEquals(1, out.toChild.size(), "the first follower's subscribe reaches the child");
    child("{\"jsonrpc\":\"2.0\",\"id\":" + lastUpstreamId() + ",\"result\":{}}");
    client("B", subscribe);
    assertEquals(1, out.toChild.size(), "the second is answered by the router");
    assertEquals(List.of("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}"), out.linesTo("B"));

    mux.sessionClosed("A", out);
    assertEquals(1, out.toChild.size(), "B still follows it");
    mux.sessionClosed("B", out);
    JsonRpcMessage.Request unsubscribe =
        assertInstanceOf(JsonRpcMessage.Request.class, out.lastToChild());
    assertEquals("resources/unsubscribe", unsubscribe.method());
    assertEquals("test://one", unsubscribe.params().path("uri").asText());
  }

  @Test
  void aReplacedChildIsInitializedAsTheFirstWasAndResubscribedWithoutBotheringTheSessions() {
    initialized("{}", "A", "B");
    client(
        "A",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://one\"}}");
    client(
        "B",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://one\"}}");
    client(
        "B",
        "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"test://two\"}}");
    client(
        "B",
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"resources/unsubscribe\",\"params\":{\"uri\":\"test://two\"}}");
    // the old child dies: what was in flight is failed the usual way
    mux.inFlightIds()
        .forEach(
            id -> mux.fromChild(JsonRpcMessage.failure(id, new JsonRpcError(-32000, "gone")), out));
    out.clear();

    mux.childReplaced(out);
    JsonRpcMessage.Request replay =
        assertInstanceOf(JsonRpcMessage.Request.class, out.lastToChild());
    assertEquals("initialize", replay.method());
    assertTrue(
        replay.params().path("capabilities").has("sampling"),
        "the same widened parameters: " + replay.params());
    child("{\"jsonrpc\":\"2.0\",\"id\":" + replay.id() + ",\"result\":" + INIT_RESULT + "}");
    List<String> sent = out.toChild.stream().map(JsonRpcCodec::encode).toList();
    assertEquals(3, sent.size(), sent.toString());
    assertTrue(sent.get(1).contains("notifications/initialized"), sent.toString());
    assertTrue(
        sent.get(2).contains("resources/subscribe") && sent.get(2).contains("test://one"),
        "one subscribe per uri still followed: " + sent);
    long subscribeId = ((JsonRpcMessage.Request) out.lastToChild()).id().longValue();
    child("{\"jsonrpc\":\"2.0\",\"id\":" + subscribeId + ",\"result\":{}}");
    assertTrue(out.delivered.isEmpty(), "the sessions saw none of it: " + out.delivered);
    assertEquals(0, mux.inFlight());

    client("A", "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/list\"}");
    child("{\"jsonrpc\":\"2.0\",\"id\":" + lastUpstreamId() + ",\"result\":{\"tools\":[]}}");
    assertEquals(
        List.of("{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":{\"tools\":[]}}"), out.linesTo("A"));
  }
}
