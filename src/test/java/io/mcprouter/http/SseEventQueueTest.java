package io.mcprouter.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.stream.Attributes;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.SinkQueueWithCancel;
import akka.util.ByteString;
import io.mcprouter.session.OutputBudget;
import io.mcprouter.testsupport.Await;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SseEventQueueTest {

  private static final Duration QUIET =
      Duration.ofMinutes(5); // no keep-alive comment within a test

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("SseEventQueueTest");
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static OutputBudget.Account unlimited() {
    return new OutputBudget(Long.MAX_VALUE, "unlimited", Runnable::run).open(reason -> {});
  }

  /** A reader that takes one event ahead of what it is asked for, and no more. */
  private static Sink<ByteString, SinkQueueWithCancel<ByteString>> oneAhead() {
    return Sink.<ByteString>queue().withAttributes(Attributes.inputBuffer(1, 1));
  }

  private static ByteString text(String s) {
    return ByteString.fromString(s);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void eventsOfferedBeforeTheResponseRunsAreWrittenThenTheStreamCompletes() throws Exception {
    SseEventQueue queue = new SseEventQueue(testKit.system(), 10, 1 << 20, QUIET, unlimited());
    assertEquals(SseEventQueue.Offered.ENQUEUED, queue.offer(text("a")));
    assertEquals(SseEventQueue.Offered.ENQUEUED, queue.offer(text("b")));
    queue.complete();
    assertEquals(SseEventQueue.Offered.CLOSED, queue.offer(text("late")));
    assertFalse(
        queue.terminated().toCompletableFuture().isDone(),
        "a completed queue still holds its events until written");

    List<ByteString> written = await(queue.source().runWith(Sink.seq(), testKit.system()));

    assertEquals(List.of(text("a"), text("b")), written);
    await(queue.terminated());
  }

  @Test
  void anOfferWakesAStreamThatIsWaitingForEvents() throws Exception {
    SseEventQueue queue = new SseEventQueue(testKit.system(), 10, 1 << 20, QUIET, unlimited());
    SinkQueueWithCancel<ByteString> reader = queue.source().runWith(Sink.queue(), testKit.system());
    CompletableFuture<Optional<ByteString>> next = reader.pull().toCompletableFuture();
    assertThrows(TimeoutException.class, () -> next.get(200, TimeUnit.MILLISECONDS));

    queue.offer(text("x"));
    assertEquals(Optional.of(text("x")), next.get(5, TimeUnit.SECONDS));

    CompletableFuture<Optional<ByteString>> end = reader.pull().toCompletableFuture();
    queue.complete();
    assertEquals(Optional.empty(), end.get(5, TimeUnit.SECONDS));
    await(queue.terminated());
  }

  @Test
  void boundsOnEventsAndBytesRefuseFurtherOffersUntilTheReaderCatchesUp() throws Exception {
    SseEventQueue byCount = new SseEventQueue(testKit.system(), 2, 1 << 20, QUIET, unlimited());
    byCount.offer(text("1"));
    byCount.offer(text("2"));
    assertEquals(SseEventQueue.Offered.FULL, byCount.offer(text("3")));
    SinkQueueWithCancel<ByteString> reader =
        byCount.source().runWith(Sink.queue(), testKit.system());
    assertEquals(Optional.of(text("1")), await(reader.pull()));
    assertEquals(Optional.of(text("2")), await(reader.pull()));
    assertEquals(
        SseEventQueue.Offered.ENQUEUED, byCount.offer(text("3")), "written events free their room");
    reader.cancel();

    SseEventQueue byBytes = new SseEventQueue(testKit.system(), 100, 10, QUIET, unlimited());
    assertEquals(
        SseEventQueue.Offered.ENQUEUED,
        byBytes.offer(text("x".repeat(50))),
        "the first event always fits");
    assertEquals(SseEventQueue.Offered.FULL, byBytes.offer(text("y")));
  }

  @Test
  void aClientGoingAwayEndsTheQueue() throws Exception {
    SseEventQueue queue = new SseEventQueue(testKit.system(), 10, 1 << 20, QUIET, unlimited());
    SinkQueueWithCancel<ByteString> reader = queue.source().runWith(Sink.queue(), testKit.system());
    queue.offer(text("a"));
    assertEquals(Optional.of(text("a")), await(reader.pull()));

    reader.cancel();

    await(queue.terminated());
    assertEquals(SseEventQueue.Offered.CLOSED, queue.offer(text("b")));
  }

  @Test
  void theEventsCanBeRunOnlyOnce() throws Exception {
    SseEventQueue queue = new SseEventQueue(testKit.system(), 10, 1 << 20, QUIET, unlimited());
    SinkQueueWithCancel<ByteString> first = queue.source().runWith(Sink.queue(), testKit.system());

    ExecutionException second =
        assertThrows(
            ExecutionException.class,
            () ->
                queue
                    .source()
                    .runWith(Sink.seq(), testKit.system())
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS));
    assertInstanceOf(IllegalStateException.class, second.getCause());

    queue.offer(text("still the first's"));
    assertEquals(Optional.of(text("still the first's")), await(first.pull()));
    assertFalse(queue.terminated().toCompletableFuture().isDone());
    first.cancel();
  }

  @Test
  void aResponseThatIsNeverRenderedEndsTheQueueAfterTheTimeout() throws Exception {
    SseEventQueue queue =
        new SseEventQueue(
            testKit.system(), 10, 1 << 20, QUIET, unlimited(), Duration.ofMillis(100));
    queue.offer(text("never read"));

    await(queue.terminated());

    assertEquals(SseEventQueue.Offered.CLOSED, queue.offer(text("b")));
    assertTrue(
        await(queue.source().runWith(Sink.seq(), testKit.system())).isEmpty(),
        "a late run ends at once");
  }

  @Test
  void anEventPrependedBeforeTheStreamStartsIsWrittenFirstAndNotAfterwards() throws Exception {
    SseEventQueue queue = new SseEventQueue(testKit.system(), 10, 1 << 20, QUIET, unlimited());
    queue.offer(text("offered early"));
    queue.prepend(text("endpoint"));
    SinkQueueWithCancel<ByteString> reader = queue.source().runWith(Sink.queue(), testKit.system());
    assertEquals(Optional.of(text("endpoint")), await(reader.pull()));
    assertEquals(Optional.of(text("offered early")), await(reader.pull()));

    assertThrows(IllegalStateException.class, () -> queue.prepend(text("too late")));
    reader.cancel();
  }

  @Test
  void anIdleStreamGetsKeepAliveCommentsBetweenItsEvents() throws Exception {
    SseEventQueue queue =
        new SseEventQueue(testKit.system(), 10, 1 << 20, Duration.ofMillis(200), unlimited());
    SinkQueueWithCancel<ByteString> reader = queue.source().runWith(Sink.queue(), testKit.system());

    assertEquals(Optional.of(SseEncoding.KEEP_ALIVE), await(reader.pull()));
    assertEquals(
        Optional.of(SseEncoding.KEEP_ALIVE), await(reader.pull()), "and again while it stays idle");
    CompletableFuture<Optional<ByteString>> next = reader.pull().toCompletableFuture();
    queue.offer(text("event"));
    assertEquals(Optional.of(text("event")), next.get(5, TimeUnit.SECONDS));
    reader.cancel();
  }

  @Test
  void aBigEventLeavesInSlicesAndStaysCountedUntilItsLastSliceHasGone() throws Exception {
    OutputBudget budget = new OutputBudget(Long.MAX_VALUE, "test", Runnable::run);
    OutputBudget.Account account = budget.open(reason -> {});
    SseEventQueue queue = new SseEventQueue(testKit.system(), 10, 1 << 30, QUIET, account);
    ByteString big = ByteString.fromArray(new byte[SseEventQueue.MAX_PUSH * 3 + 5]);
    queue.offer(big);
    queue.offer(text("after"));
    assertEquals(big.size() + 5, account.held());
    assertEquals(big.size() + 5, budget.heldBytes());
    SinkQueueWithCancel<ByteString> reader = queue.source().runWith(oneAhead(), testKit.system());

    ByteString received = ByteString.emptyByteString();
    for (int i = 0; i < 3; i++) {
      ByteString slice = reader.pull().toCompletableFuture().get(5, TimeUnit.SECONDS).orElseThrow();
      assertEquals(SseEventQueue.MAX_PUSH, slice.size());
      received = received.concat(slice);
      if (i
          == 0) { // the reader holds one slice ahead: the second has left, the third and fourth not
        assertTrue(
            account.held() >= big.size(), "the event counts whole until its last slice has left");
      }
    }
    received =
        received.concat(reader.pull().toCompletableFuture().get(5, TimeUnit.SECONDS).orElseThrow());
    assertEquals(big, received);
    assertEquals(
        text("after"), reader.pull().toCompletableFuture().get(5, TimeUnit.SECONDS).orElseThrow());
    assertEquals(0, account.held());
    assertEquals(0, budget.heldBytes());
    queue.complete();
  }

  @Test
  void abortDropsWhatWasNotSentFailsTheStreamAndReleasesItsBytes() throws Exception {
    OutputBudget budget = new OutputBudget(Long.MAX_VALUE, "test", Runnable::run);
    OutputBudget.Account account = budget.open(reason -> {});
    SseEventQueue queue = new SseEventQueue(testKit.system(), 10, 1 << 20, QUIET, account);
    queue.offer(text("a"));
    SinkQueueWithCancel<ByteString> reader = queue.source().runWith(oneAhead(), testKit.system());
    Await.until(
        Duration.ofSeconds(5), "the reader took the first event", () -> account.held() == 0);
    queue.offer(text("unread 1"));
    queue.offer(text("unread 2"));
    assertEquals(16, account.held());

    queue.abort();

    assertEquals(0, account.held());
    assertEquals(SseEventQueue.Offered.CLOSED, queue.offer(text("late")));
    ExecutionException failed =
        assertThrows(
            ExecutionException.class,
            () -> {
              for (int i = 0; i < 3; i++) { // the event the reader took ahead may come first
                reader.pull().toCompletableFuture().get(5, TimeUnit.SECONDS);
              }
            });
    assertTrue(
        failed.getCause().getMessage().contains("not reading"), failed.getCause().toString());
    await(queue.terminated());
    assertEquals(0, budget.heldBytes());
  }

  @Test
  void abortBeforeTheResponseRunsEndsTheQueueAtOnce() throws Exception {
    OutputBudget.Account account =
        new OutputBudget(Long.MAX_VALUE, "test", Runnable::run).open(reason -> {});
    SseEventQueue queue = new SseEventQueue(testKit.system(), 10, 1 << 20, QUIET, account);
    queue.offer(text("never sent"));
    queue.abort();
    await(queue.terminated());
    assertEquals(0, account.held());
    assertEquals(List.of(), await(queue.source().runWith(Sink.seq(), testKit.system())));
  }

  @Test
  void theUnclaimedTimeoutIsCancelledWhenTheStreamStartsOrTheQueueEndsFirst() throws Exception {
    SseEventQueue claimed = new SseEventQueue(testKit.system(), 10, 1 << 20, QUIET, unlimited());
    assertTrue(claimed.awaitingClaim());
    SinkQueueWithCancel<ByteString> reader =
        claimed.source().runWith(Sink.queue(), testKit.system());
    claimed.offer(text("a"));
    assertEquals(Optional.of(text("a")), await(reader.pull()));
    assertFalse(claimed.awaitingClaim(), "claimed: nothing left to give up on");
    reader.cancel();

    SseEventQueue abandoned = new SseEventQueue(testKit.system(), 10, 1 << 20, QUIET, unlimited());
    abandoned.abort();
    await(abandoned.terminated());
    assertFalse(
        abandoned.awaitingClaim(),
        "ended unclaimed: the one-shot would hold the queue for a minute");
  }
}
