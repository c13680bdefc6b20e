package io.mcprouter.transport.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.NotUsed;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.SinkQueueWithCancel;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcprouter.http.SseEncoding;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.SessionEnd;
import io.mcprouter.session.Outbound.Connections;
import io.mcprouter.session.Outbound.OfferResult;
import io.mcprouter.session.OutputBudget;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which SSE stream each message of a Streamable session goes on, resumption, and the session's
 * bounds.
 */
class StreamableSessionTest {

  private static final Duration QUIET =
      Duration.ofMinutes(5); // no keep-alive comment within a test

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("StreamableSessionTest");
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static StreamableSession session(int maxEvents, long maxBytes) {
    return new StreamableSession(
        testKit.system(),
        maxEvents,
        maxBytes,
        QUIET,
        new OutputBudget(Long.MAX_VALUE, "unlimited", Runnable::run));
  }

  private static StreamableSession session() {
    return session(1000, 1 << 20);
  }

  private static Source<ByteString, NotUsed> sse(
      StreamableSession session, int id, String progressToken) {
    StreamableSession.Answer answer =
        session.attachRequest(
            IntNode.valueOf(id),
            progressToken == null ? null : TextNode.valueOf(progressToken),
            true,
            false,
            Optional.empty());
    return assertInstanceOf(StreamableSession.SseAnswer.class, answer).events();
  }

  private static Source<ByteString, NotUsed> get(StreamableSession session) {
    return session.attachGet(Optional.empty(), false, Optional.empty());
  }

  private static JsonRpcMessage response(int id) {
    return JsonRpcMessage.success(
        IntNode.valueOf(id), JsonRpcCodec.MAPPER.createObjectNode().put("answer", id));
  }

  private static JsonRpcMessage log(String text) {
    return new JsonRpcMessage.Notification(
        "notifications/message", JsonRpcCodec.MAPPER.createObjectNode().put("data", text));
  }

  private static JsonRpcMessage progress(String token, int done) {
    return new JsonRpcMessage.Notification(
        "notifications/progress",
        JsonRpcCodec.MAPPER.createObjectNode().put("progressToken", token).put("progress", done));
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  /** Runs a stream to its end: it must end. */
  private static List<String> readAll(Source<ByteString, NotUsed> events) throws Exception {
    return await(events.runWith(Sink.seq(), testKit.system())).stream()
        .map(ByteString::utf8String)
        .toList();
  }

  /** What the events carry, as the client parses them. */
  private static List<JsonRpcMessage> messages(List<String> events) {
    return events.stream().map(StreamableSessionTest::message).toList();
  }

  private static JsonRpcMessage message(String event) {
    String data = event.substring(event.indexOf("data: ") + "data: ".length()).trim();
    return assertInstanceOf(JsonRpcCodec.Ok.class, JsonRpcCodec.parse(data)).message();
  }

  private static String eventId(String event) {
    assertTrue(event.startsWith("id: "), "an event with an id: " + event);
    return event.substring("id: ".length(), event.indexOf('\n'));
  }

  @Test
  void aResponseEndsItsRequestStream() throws Exception {
    StreamableSession session = session();
    Source<ByteString, NotUsed> stream = sse(session, 1, null);

    assertEquals(OfferResult.ENQUEUED, session.offer(response(1)));

    List<String> events = readAll(stream);
    assertEquals(List.of(response(1)), messages(events));
    assertTrue(
        eventId(events.get(0)).startsWith("r"),
        "a request stream's event id names its stream: " + events);
  }

  @Test
  void progressGoesOnTheStreamOfItsProgressTokenEvenWhenANewerRequestIsOpen() throws Exception {
    StreamableSession session = session();
    Source<ByteString, NotUsed> first = sse(session, 1, "p1");
    Source<ByteString, NotUsed> second = sse(session, 2, "p2");

    session.offer(progress("p1", 1));
    session.offer(progress("p2", 1));
    session.offer(progress("p1", 2));
    session.offer(response(2));
    session.offer(response(1));

    assertEquals(
        List.of(progress("p1", 1), progress("p1", 2), response(1)), messages(readAll(first)));
    assertEquals(List.of(progress("p2", 1), response(2)), messages(readAll(second)));
  }

  @Test
  void otherServerMessagesGoOnTheNewestOpenRequestStreamElseOnTheGetStream() throws Exception {
    StreamableSession session = session();
    Source<ByteString, NotUsed> standalone = get(session);
    Source<ByteString, NotUsed> first = sse(session, 1, null);
    Source<ByteString, NotUsed> second = sse(session, 2, null);

    session.offer(log("while 2 is open"));
    session.offer(response(2));
    session.offer(log("while only 1 is open"));
    session.offer(response(1));
    session.offer(log("nothing open"));
    session.complete();

    assertEquals(List.of(log("while 2 is open"), response(2)), messages(readAll(second)));
    assertEquals(List.of(log("while only 1 is open"), response(1)), messages(readAll(first)));
    List<String> get = readAll(standalone);
    assertEquals(List.of(log("nothing open")), messages(get));
    assertTrue(eventId(get.get(0)).startsWith("g."), "the GET stream's event ids: " + get);
  }

  @Test
  void aResponseToNoOpenRequestGoesOnTheGetStreamWithoutEndingIt() throws Exception {
    StreamableSession session = session();
    Source<ByteString, NotUsed> standalone = get(session);

    session.offer(response(99)); // a client that reused an id in flight, or a late answer
    session.offer(log("after it"));
    session.complete();

    assertEquals(List.of(response(99), log("after it")), messages(readAll(standalone)));
  }

  @Test
  void lastEventIdResumesTheStreamItNamesAfterThatEvent() throws Exception {
    StreamableSession session = session();
    session.attachRequest(IntNode.valueOf(1), null, true, false, Optional.empty());
    Source<ByteString, NotUsed> standalone = get(session);

    session.offer(log("one")); // on request 1's stream
    session.offer(log("two"));
    session.offer(response(1)); // the client's connection dropped before it read these
    session.offer(log("on the GET stream"));

    // the first connection was never read: ask for what followed "one", by the id it had
    List<String> all = readAll(session.attachGet(Optional.of("r1.0"), false, Optional.empty()));
    assertEquals(List.of(log("one"), log("two"), response(1)), messages(all));

    List<String> afterOne =
        readAll(session.attachGet(Optional.of(eventId(all.get(0))), false, Optional.empty()));
    assertEquals(
        List.of(log("two"), response(1)),
        messages(afterOne),
        "resumed after the named event, and ended: its response is in");
    assertEquals(all.subList(1, 3), afterOne, "the same events, with the same ids");

    session.complete();
    assertEquals(
        List.of(log("on the GET stream")),
        messages(readAll(standalone)),
        "the GET stream was not touched");
  }

  @Test
  void aResumedGetStreamReplaysWhatFollowedTheNamedEventAndReplacesTheOldConnection()
      throws Exception {
    StreamableSession session = session();
    SinkQueueWithCancel<ByteString> reader = get(session).runWith(Sink.queue(), testKit.system());
    session.offer(log("read"));
    String readId = eventId(await(reader.pull()).orElseThrow().utf8String());

    session.offer(log("missed"));
    Source<ByteString, NotUsed> resumed =
        session.attachGet(Optional.of(readId), false, Optional.empty());
    session.offer(log("after the resume"));
    session.complete();

    assertEquals(List.of(log("missed"), log("after the resume")), messages(readAll(resumed)));
    // the old connection is completed, once it has written what it already held
    assertEquals(log("missed"), message(await(reader.pull()).orElseThrow().utf8String()));
    assertEquals(Optional.empty(), await(reader.pull()));
  }

  @Test
  void cancelRequestEndsItsStreamAndTheSessionNoLongerCountsAsConnected() throws Exception {
    StreamableSession session = session();
    LinkedBlockingQueue<Connections> reports = new LinkedBlockingQueue<>();
    session.watchConnections(reports::add);
    assertEquals(
        new Connections(false, false), reports.poll(), "the watcher is told the state at once");
    assertTrue(session.unconnectedSince().isPresent());

    Source<ByteString, NotUsed> stream = sse(session, 1, "p");
    assertEquals(new Connections(true, false), reports.poll());
    assertTrue(session.unconnectedSince().isEmpty());

    session.cancelRequest(IntNode.valueOf(1));

    assertEquals(List.of(), readAll(stream));
    assertEquals(new Connections(false, false), reports.poll());
    assertTrue(session.unconnectedSince().isPresent());
    session.offer(progress("p", 1)); // late: nowhere to go but the GET stream
    session.offer(response(1));
    assertFalse(session.isClosed());
    assertNull(reports.poll(), "no change to report: " + reports);
  }

  @Test
  void aCancelledJsonOnlyRequestIsAnsweredWithAnError() throws Exception {
    StreamableSession session = session();
    LinkedBlockingQueue<Connections> reports = new LinkedBlockingQueue<>();
    session.watchConnections(reports::add);
    StreamableSession.Answer answer =
        session.attachRequest(TextNode.valueOf("a"), null, false, false, Optional.empty());
    CompletionStage<JsonRpcMessage> response =
        assertInstanceOf(StreamableSession.JsonAnswer.class, answer).response();

    session.cancelRequest(TextNode.valueOf("a"));

    JsonRpcMessage.Response error =
        assertInstanceOf(JsonRpcMessage.Response.class, await(response));
    assertEquals(TextNode.valueOf("a"), error.id());
    assertEquals(JsonRpcError.REQUEST_CANCELLED, error.error().get("code").asInt());
    assertEquals(
        List.of(
            new Connections(false, false),
            new Connections(true, false),
            new Connections(false, false)),
        List.copyOf(reports));
  }

  @Test
  void anAbandonedRequestGivesBackWhatItsStreamHeldToTheOutputBudget() {
    OutputBudget budget = new OutputBudget(Long.MAX_VALUE, "unlimited", Runnable::run);
    StreamableSession session =
        new StreamableSession(testKit.system(), 1000, 1 << 20, QUIET, budget);
    sse(session, 7, "tok");
    session.offer(progress("tok", 1));
    assertTrue(budget.heldBytes() > 0, "the progress event is held for replay");

    session.abandonRequest(IntNode.valueOf(7));

    assertEquals(0, budget.heldBytes(), "an abandoned stream's events are no one's to replay");
  }

  @Test
  void anAbandonedRequestEndsItsStreamAndTheSessionNoLongerCountsAsConnected() throws Exception {
    StreamableSession session = session();
    LinkedBlockingQueue<Connections> reports = new LinkedBlockingQueue<>();
    session.watchConnections(reports::add);
    Source<ByteString, NotUsed> stream = sse(session, 7, null);

    session.abandonRequest(IntNode.valueOf(7));

    assertEquals(List.of(), readAll(stream));
    assertEquals(
        List.of(
            new Connections(false, false),
            new Connections(true, false),
            new Connections(false, false)),
        List.copyOf(reports));
    // and its id is forgotten: a later message goes on the GET stream
    Source<ByteString, NotUsed> standalone = get(session);
    session.offer(log("later"));
    session.complete();
    assertEquals(List.of(log("later")), messages(readAll(standalone)));
  }

  @Test
  void aClosedGetStreamIsReportedAsSuch() throws Exception {
    StreamableSession session = session();
    LinkedBlockingQueue<Connections> reports = new LinkedBlockingQueue<>();
    session.watchConnections(reports::add);
    SinkQueueWithCancel<ByteString> reader = get(session).runWith(Sink.queue(), testKit.system());
    assertEquals(new Connections(false, false), reports.poll(5, TimeUnit.SECONDS));
    assertEquals(new Connections(true, false), reports.poll(5, TimeUnit.SECONDS));

    reader.cancel(); // the client closed its GET stream

    assertEquals(new Connections(false, true), reports.poll(5, TimeUnit.SECONDS));
    assertTrue(session.unconnectedSince().isPresent());
  }

  @Test
  void undeliveredEventsOverTheEventBoundMakeOfferOverflow() {
    StreamableSession session = session(3, 1 << 20);
    // nothing is connected: everything offered stays undelivered
    for (int i = 0; i < 3; i++) {
      assertEquals(OfferResult.ENQUEUED, session.offer(log("kept " + i)));
    }
    assertEquals(OfferResult.OVERFLOW, session.offer(log("one too many")));
  }

  @Test
  void undeliveredEventsOverTheByteBoundMakeOfferOverflow() {
    int eventBytes = eventSize(log("0123456789"));
    StreamableSession session = session(1000, eventBytes * 2L + eventBytes / 2);
    assertEquals(OfferResult.ENQUEUED, session.offer(log("0123456789")));
    assertEquals(OfferResult.ENQUEUED, session.offer(log("0123456789")));
    assertEquals(OfferResult.OVERFLOW, session.offer(log("0123456789")));
  }

  @Test
  void eventsHandedToAConnectionDoNotCountAgainstTheBounds() {
    StreamableSession session = session(3, 1 << 20);
    get(session); // connected (its queue takes up to 16 events), though nobody reads it yet

    for (int i = 0; i < 10; i++) {
      assertEquals(OfferResult.ENQUEUED, session.offer(log("delivered " + i)), "event " + i);
    }
  }

  @Test
  void completeEndsEveryStreamAndTheSession() throws Exception {
    StreamableSession session = session();
    Source<ByteString, NotUsed> standalone = get(session);
    Source<ByteString, NotUsed> request = sse(session, 1, null);
    StreamableSession.Answer json =
        session.attachRequest(IntNode.valueOf(2), null, false, false, Optional.empty());
    session.offer(log("before the end"));
    assertFalse(session.terminated().toCompletableFuture().isDone());

    session.complete();

    await(session.terminated());
    assertTrue(session.isClosed());
    assertEquals(
        List.of(log("before the end")),
        messages(readAll(request)),
        "what was offered is still written");
    assertEquals(List.of(), readAll(standalone));
    assertThrows(
        CancellationException.class, () -> await(((StreamableSession.JsonAnswer) json).response()));
    assertEquals(OfferResult.CLOSED, session.offer(response(1)));
    assertTrue(session.unconnectedSince().isEmpty(), "an ended session is not an idle one");
  }

  @Test
  void whoEndedTheSessionIsKeptForItsActorToCount() throws Exception {
    StreamableSession ended = session();
    ended.complete();
    await(ended.terminated());
    assertEquals(Optional.empty(), ended.endedAs(), "completed by its own session actor");

    StreamableSession deleted = session();
    deleted.closeByClient();
    await(deleted.terminated());
    assertEquals(Optional.of(SessionEnd.CLIENT_CLOSED), deleted.endedAs(), "a DELETE");

    StreamableSession evicted = session();
    evicted.complete(SessionEnd.LIMIT);
    evicted.closeByClient(); // too late: the first end is the one that counts
    await(evicted.terminated());
    assertEquals(Optional.of(SessionEnd.LIMIT), evicted.endedAs(), "evicted at a limit");
  }

  /** The size of a message's event on the GET stream, as the session buffers it. */
  private static int eventSize(JsonRpcMessage message) {
    return SseEncoding.jsonEvent("message", "g.1", JsonRpcCodec.encodeBytes(message)).size();
  }
}
