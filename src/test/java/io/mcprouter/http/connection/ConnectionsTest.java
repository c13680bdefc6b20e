package io.mcprouter.http.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.ManualTime;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The timeout sweep's lifetime: it runs while its connections are in use and stops when their owner
 * closes them or the actor system's coordinated shutdown is past its HTTP servers. On a virtual
 * clock ({@link ManualTime} runs due tasks on the test thread, so "nothing happened" is decided at
 * once).
 */
class ConnectionsTest {

  /** Every fresh connection is past a header-read timeout this short by the first sweep (50 ms). */
  private static final Connections.Settings SETTINGS =
      new Connections.Settings(Duration.ofNanos(1), Duration.ofMinutes(10), 100, 0, 0);

  private static ActorTestKit testKit;
  private static ManualTime time;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("ConnectionsTest", ManualTime.config());
    time = ManualTime.get(testKit.system());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** A connection whose closes are recorded rather than carried out. */
  private static List<String> closesOf(ClientConnection connection) {
    List<String> closes = new CopyOnWriteArrayList<>();
    connection.bindCloser(closes::add);
    return closes;
  }

  private static InetSocketAddress client() {
    return new InetSocketAddress("127.0.0.1", 40000);
  }

  @Test
  void theSweepClosesAConnectionPastItsHeaderReadTimeout() {
    Connections connections = new Connections(SETTINGS, OptionalLong.empty(), testKit.system());
    try {
      List<String> closes = closesOf(connections.opened(client()));
      time.timePasses(Duration.ofMillis(100));
      // the recorded close leaves it open, so each later sweep closes it again
      assertFalse(closes.isEmpty(), "no sweep ran");
      assertEquals("header-read timeout", closes.get(0));
    } finally {
      connections.close();
    }
  }

  @Test
  void closedConnectionsAreSweptNoMore() {
    Connections connections = new Connections(SETTINGS, OptionalLong.empty(), testKit.system());
    assertTrue(connections.sweeping());
    connections.close();
    assertFalse(connections.sweeping());
    List<String> closes = closesOf(connections.opened(client()));
    time.timePasses(Duration.ofSeconds(5));
    assertEquals(List.of(), closes, "a cancelled sweep enforces no timeout");
  }

  @Test
  void coordinatedShutdownStopsTheSweepBeforeTheSystemTerminates() throws Exception {
    ActorTestKit own = ActorTestKit.create("ConnectionsShutdownTest");
    try {
      Connections connections = new Connections(SETTINGS, OptionalLong.empty(), own.system());
      assertTrue(connections.sweeping());
      CompletableFuture<Boolean> sweepingAtTheEnd = new CompletableFuture<>();
      CoordinatedShutdown shutdown = CoordinatedShutdown.get(own.system());
      shutdown.addTask(
          CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
          "observe-sweep",
          () -> {
            sweepingAtTheEnd.complete(connections.sweeping());
            return CompletableFuture.completedFuture(Done.getInstance());
          });
      shutdown
          .runAll(CoordinatedShutdown.unknownReason())
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
      assertFalse(
          sweepingAtTheEnd.get(1, TimeUnit.SECONDS),
          "the sweep outlived the HTTP phases of the shutdown");
    } finally {
      own.shutdownTestKit();
    }
  }
}
