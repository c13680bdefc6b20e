package io.mcprouter.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.jsonrpc.ProtocolVersions;
import io.mcprouter.observe.InstanceObservation;
import io.mcprouter.routing.SessionRouting.Outcome;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SharedInitializeTest {

  private static final String RESULT =
      "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"serverInfo\":{\"name\":\"s\"}}";

  private final Map<String, SessionState> sessions = new LinkedHashMap<>();
  private final InFlightTable table = new InFlightTable(new ProgressTokens(), System::nanoTime);
  private final SharedInitialize initialize =
      new SharedInitialize(table, new SharedRoots(List.of()), sessions, InstanceObservation.OFF);
  private final RecordingRecipients out = new RecordingRecipients();

  private static JsonNode json(String text) throws Exception {
    return JsonRpcCodec.MAPPER.readTree(text);
  }

  private Outcome request(String session, String id, String version) throws Exception {
    SessionState state = sessions.computeIfAbsent(session, s -> new SessionState());
    return initialize.request(
        session,
        state,
        new JsonRpcMessage.Request(
            json(id),
            "initialize",
            json("{\"protocolVersion\":\"" + version + "\",\"capabilities\":{\"sampling\":{}}}")),
        out);
  }

  /** What the child answers the initialize in flight, routed as the multiplexer does. */
  private void childAnswers(String result) throws Exception {
    Long id = initialize.inFlight();
    initialize.answered(
        table.answered(id),
        new JsonRpcMessage.Response(json(id.toString()), json(result), null),
        out);
  }

  private JsonRpcMessage.Response answerTo(String session) {
    return assertInstanceOf(
        JsonRpcMessage.Response.class,
        out.delivered.stream()
            .filter(d -> d.sessionId().equals(session))
            .reduce((a, b) -> b)
            .orElseThrow()
            .message());
  }

  @Test
  void theChildIsAskedOnceForTheNewestRevisionAndEverySessionGetsItsOwn() throws Exception {
    assertEquals(Outcome.ACCEPTED, request("a", "\"ia\"", "2025-06-18"));
    assertEquals(Outcome.ACCEPTED, request("b", "7", "2024-11-05"));
    assertEquals(1, out.toChild.size(), "b waits for the initialize in flight");
    JsonRpcMessage.Request sent = assertInstanceOf(JsonRpcMessage.Request.class, out.lastToChild());
    assertEquals(ProtocolVersions.LATEST, sent.params().path("protocolVersion").asText());
    assertTrue(
        sent.params().path("capabilities").has("elicitation"),
        "advertised whatever the first client said");

    childAnswers(RESULT);

    assertNull(initialize.inFlight());
    assertEquals(json("\"ia\""), answerTo("a").id());
    assertEquals("2025-06-18", answerTo("a").result().path("protocolVersion").asText());
    assertEquals(json("7"), answerTo("b").id());
    assertEquals("2024-11-05", answerTo("b").result().path("protocolVersion").asText());
    assertTrue(sessions.get("a").initialized && sessions.get("b").initialized);
    assertTrue(sessions.get("b").capabilities.has("sampling"));

    request("c", "1", "2025-03-26");
    assertEquals(1, out.toChild.size(), "c is answered from the cache");
    assertEquals("2025-03-26", answerTo("c").result().path("protocolVersion").asText());
  }

  @Test
  void anUnknownRevisionGetsTheChildsAndTheCacheIsNotMutated() throws Exception {
    JsonNode cached = json(RESULT);
    SessionState session = new SessionState();
    session.requestedVersion = "1999-01-01";
    assertSame(cached, SharedInitialize.resultFor(session, cached));
    session.requestedVersion = "2025-06-18";
    assertSame(cached, SharedInitialize.resultFor(session, cached), "already the child's: no copy");
    session.requestedVersion = "2024-11-05";
    assertEquals(
        "2024-11-05", SharedInitialize.resultFor(session, cached).path("protocolVersion").asText());
    assertEquals("2025-06-18", cached.path("protocolVersion").asText());
  }

  @Test
  void aFailedInitializeIsNotCachedAndTheNextSessionTriesAgain() throws Exception {
    request("a", "1", "2025-06-18");
    Long id = initialize.inFlight();
    initialize.answered(
        table.answered(id),
        JsonRpcMessage.failure(
            json(id.toString()), new JsonRpcError(JsonRpcError.INTERNAL_ERROR, "no")),
        out);
    assertTrue(answerTo("a").isError());
    assertFalse(sessions.get("a").initialized);

    request("b", "1", "2025-06-18");
    assertEquals(2, out.toChild.size());
  }

  @Test
  void onlyTheFirstInitializedNotificationReachesTheChildAndOnlyAfterSuccess() throws Exception {
    JsonRpcMessage.Notification initialized =
        new JsonRpcMessage.Notification("notifications/initialized", null);
    request("a", "1", "2025-06-18");
    initialize.initializedNotification(initialized, out);
    assertEquals(1, out.toChild.size(), "not before the child answered");
    childAnswers(RESULT);
    out.accepting = false;
    assertEquals(Outcome.CHILD_BUSY, initialize.initializedNotification(initialized, out));
    out.accepting = true;
    assertEquals(Outcome.ACCEPTED, initialize.initializedNotification(initialized, out));
    assertEquals(Outcome.ACCEPTED, initialize.initializedNotification(initialized, out));
    assertEquals(2, out.toChild.size());
  }

  @Test
  void aReplacementChildIsInitializedWithTheSameParameters() throws Exception {
    initialize.childReplaced(out);
    assertFalse(initialize.replaying(), "nothing to replay before a first initialize");
    request("a", "1", "2025-06-18");
    JsonNode firstParams = ((JsonRpcMessage.Request) out.lastToChild()).params();
    childAnswers(RESULT);
    out.clear();

    initialize.childReplaced(out);

    assertTrue(initialize.replaying());
    JsonRpcMessage.Request replay =
        assertInstanceOf(JsonRpcMessage.Request.class, out.lastToChild());
    assertEquals(firstParams, replay.params());
    Long id = replay.id().longValue();
    assertTrue(initialize.isReplay(id));
    assertTrue(
        initialize.replayAnswered(
            new JsonRpcMessage.Response(replay.id(), json(RESULT), null), out));
    assertFalse(initialize.replaying());
    assertEquals(
        "notifications/initialized", ((JsonRpcMessage.Notification) out.lastToChild()).method());
  }

  @Test
  void aClosedSessionNoLongerWaits() throws Exception {
    request("a", "1", "2025-06-18");
    request("b", "1", "2025-06-18");
    initialize.sessionClosed("b");
    childAnswers(RESULT);
    assertTrue(out.linesTo("b").isEmpty());
    assertEquals(1, out.linesTo("a").size());
  }
}
