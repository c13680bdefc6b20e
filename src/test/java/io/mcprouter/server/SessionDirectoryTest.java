package io.mcprouter.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.Scheduler;
import com.fasterxml.jackson.databind.node.IntNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SessionDirectoryTest {

  private static final Duration ASK = Duration.ofSeconds(5);
  private static final JsonRpcMessage PING = new JsonRpcMessage.Request(IntNode.valueOf(1), "ping", null);

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
    directory.put("known", server.getRef());

    CompletableFuture<ServerInstance.DeliverReply> reply = directory.deliver("unknown", PING, ASK, scheduler).toCompletableFuture();

    assertTrue(reply.isDone(), "answered without a round trip");
    assertEquals(new ServerInstance.SessionNotFound("unknown"), reply.get());
    server.expectNoMessage(Duration.ZERO);
  }

  @Test
  void aKnownSessionsMessageReachesItsServerActorAndCarriesItsAnswerBack() throws Exception {
    SessionDirectory directory = new SessionDirectory();
    TestProbe<ServerInstance.Command> server = testKit.createTestProbe();
    TestProbe<ServerInstance.Command> other = testKit.createTestProbe();
    directory.put("s1", server.getRef());
    directory.put("s2", other.getRef());

    CompletableFuture<ServerInstance.DeliverReply> reply = directory.deliver("s1", PING, ASK, scheduler).toCompletableFuture();

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
    directory.put("gone", server.getRef());
    directory.remove("gone");

    ServerInstance.DeliverReply reply = directory.deliver("gone", PING, ASK, scheduler).toCompletableFuture().get(5, TimeUnit.SECONDS);

    assertEquals(new ServerInstance.SessionNotFound("gone"), reply);
    server.expectNoMessage(Duration.ZERO);
  }

  @Test
  void aServerThatDoesNotAnswerFailsTheDeliveryWithATimeout() {
    SessionDirectory directory = new SessionDirectory();
    TestProbe<ServerInstance.Command> server = testKit.createTestProbe();
    directory.put("s", server.getRef());

    CompletableFuture<ServerInstance.DeliverReply> reply =
        directory.deliver("s", PING, Duration.ofMillis(200), scheduler).toCompletableFuture();

    server.expectMessageClass(ServerInstance.Deliver.class); // and never answered
    ExecutionException failed = assertThrows(ExecutionException.class, () -> reply.get(5, TimeUnit.SECONDS));
    assertInstanceOf(TimeoutException.class, failed.getCause(), "ErrorHandling turns this into a 504");
  }
}
