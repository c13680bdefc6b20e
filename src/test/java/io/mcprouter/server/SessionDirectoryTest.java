package io.mcprouter.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Scheduler;
import com.fasterxml.jackson.databind.node.IntNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.session.ClientSession;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SessionDirectoryTest {

  private static final Duration ASK = Duration.ofSeconds(5);
  private static final JsonRpcMessage PING =
      new JsonRpcMessage.Request(IntNode.valueOf(1), "ping", null);

  private static ActorTestKit testKit;
  private static Scheduler scheduler;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("SessionDirectoryTest");
    scheduler = testKit.system().scheduler();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void anUnknownSessionIsNotFoundAtOnceWithoutAskingAnyone() throws Exception {
    SessionDirectory directory = new SessionDirectory();
    TestProbe<ServerInstance.Command> server = testKit.createTestProbe();
    directory.put("known", entry(server.getRef()));

    CompletableFuture<ServerInstance.DeliverReply> reply =
        directory.deliver("unknown", PING, ASK, scheduler).toCompletableFuture();

    assertTrue(reply.isDone(), "answered without a round trip");
    assertEquals(new ServerInstance.SessionNotFound("unknown"), reply.get());
    server.expectNoMessage(Duration.ZERO);
  }

  @Test
  void aKnownSessionsMessageReachesItsServerActorAndCarriesItsAnswerBack() throws Exception {
    SessionDirectory directory = new SessionDirectory();
    TestProbe<ServerInstance.Command> server = testKit.createTestProbe();
    TestProbe<ServerInstance.Command> other = testKit.createTestProbe();
    directory.put("s1", entry(server.getRef()));
    directory.put("s2", entry(other.getRef()));

    CompletableFuture<ServerInstance.DeliverReply> reply =
        directory.deliver("s1", PING, ASK, scheduler).toCompletableFuture();

    ServerInstance.Deliver deliver = server.expectMessageClass(ServerInstance.Deliver.class);
    assertEquals("s1", deliver.sessionId());
    assertSame(PING, deliver.message());
    deliver.replyTo().tell(ServerInstance.Accepted.INSTANCE);
    assertEquals(ServerInstance.Accepted.INSTANCE, reply.get(5, TimeUnit.SECONDS));
    other.expectNoMessage(Duration.ZERO);
  }

  @Test
  void aRemovedSessionIsNotFound() throws Exception {
    SessionDirectory directory = new SessionDirectory();
    TestProbe<ServerInstance.Command> server = testKit.createTestProbe();
    directory.put("gone", entry(server.getRef()));
    directory.remove("gone");

    ServerInstance.DeliverReply reply =
        directory
            .deliver("gone", PING, ASK, scheduler)
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);

    assertEquals(new ServerInstance.SessionNotFound("gone"), reply);
    server.expectNoMessage(Duration.ZERO);
  }

  @Test
  void aServerThatDoesNotAnswerFailsTheDeliveryWithATimeout() {
    SessionDirectory directory = new SessionDirectory();
    TestProbe<ServerInstance.Command> server = testKit.createTestProbe();
    directory.put("s", entry(server.getRef()));

    CompletableFuture<ServerInstance.DeliverReply> reply =
        directory.deliver("s", PING, Duration.ofMillis(200), scheduler).toCompletableFuture();

    server.expectMessageClass(ServerInstance.Deliver.class); // and never answered
    ExecutionException failed =
        assertThrows(ExecutionException.class, () -> reply.get(5, TimeUnit.SECONDS));
    assertInstanceOf(
        TimeoutException.class, failed.getCause(), "ErrorHandling turns this into a 504");
  }

  @Test
  void theCountPerKeyFollowsPutsReplacementsAndRemovals() {
    SessionDirectory directory = new SessionDirectory();
    ActorRef<ServerInstance.Command> server =
        testKit.<ServerInstance.Command>createTestProbe().getRef();
    directory.put("a1", entry("a", server));
    directory.put("a2", entry("a", server));
    directory.put("b1", entry("b", server));
    directory.put(
        "a1", entry("a", server).withServer(server)); // a replacement is not a new session

    assertEquals(2, directory.sessionsOf("a"));
    assertEquals(1, directory.sessionsOf("b"));
    assertEquals(3, directory.size());

    directory.remove("a1");
    directory.remove("a1"); // already gone: counted once
    directory.remove("b1");
    assertEquals(1, directory.sessionsOf("a"));
    assertEquals(0, directory.sessionsOf("b"));
    assertEquals(1, directory.size());
  }

  @Test
  void aStartedSessionKeepsItsEntryAndGainsItsActorAndItsHandshake() {
    SessionDirectory directory = new SessionDirectory();
    ActorRef<ServerInstance.Command> server =
        testKit.<ServerInstance.Command>createTestProbe().getRef();
    ActorRef<ClientSession.Command> session =
        testKit.<ClientSession.Command>createTestProbe().getRef();
    directory.put(
        "s",
        new SessionDirectory.Entry(
            "k",
            server,
            Instant.EPOCH,
            SessionDirectory.Transport.STREAMABLE,
            Optional.of("alice"),
            null,
            false,
            null));

    directory.started("s", session);
    directory.handshakeCompleted("s");
    directory.started("unknown", session); // an evicted session is not put back

    SessionDirectory.Entry entry = directory.lookup("s").orElseThrow();
    assertSame(session, entry.session());
    assertTrue(entry.handshakeCompleted());
    assertEquals(SessionDirectory.Transport.STREAMABLE, entry.transport());
    assertEquals(Optional.of("alice"), entry.owner());
    assertEquals(Instant.EPOCH, entry.openedAt());
    assertFalse(directory.lookup("unknown").isPresent());
  }

  @Test
  void aStoppedServerTakesAllItsSessionsAndOnlyThoseWithIt() {
    SessionDirectory directory = new SessionDirectory();
    ActorRef<ServerInstance.Command> gone =
        testKit.<ServerInstance.Command>createTestProbe().getRef();
    ActorRef<ServerInstance.Command> alive =
        testKit.<ServerInstance.Command>createTestProbe().getRef();
    directory.put("g1", entry("k", gone));
    directory.put("g2", entry("k", gone));
    directory.put("a1", entry("k", alive));

    directory.removeAllOf(gone);

    assertFalse(directory.lookup("g1").isPresent());
    assertFalse(directory.lookup("g2").isPresent());
    assertTrue(directory.lookup("a1").isPresent());
    assertEquals(1, directory.sessionsOf("k"));
  }

  private static SessionDirectory.Entry entry(ActorRef<ServerInstance.Command> server) {
    return entry("key", server);
  }

  private static SessionDirectory.Entry entry(String key, ActorRef<ServerInstance.Command> server) {
    return SessionDirectory.Entry.opened(
        key, server, SessionDirectory.Transport.SSE, Optional.empty(), null);
  }
}
