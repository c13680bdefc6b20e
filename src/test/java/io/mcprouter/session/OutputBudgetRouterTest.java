package io.mcprouter.session;

import static io.mcprouter.testsupport.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.StalledClients;
import io.mcprouter.testsupport.TestRouter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The router-wide output budget with real clients that stop reading (legacy SSE and Streamable
 * HTTP) while one ordinary client reads.
 */
class OutputBudgetRouterTest {

  private static final long BUDGET = 8L << 20;
  private static final int ANSWER = 1_500_000;
  private static final String CLOSED_BY_BUDGET = "session closed key=fake session=";

  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private final Logger sessionLog = (Logger) LoggerFactory.getLogger(ClientSession.class);

  @BeforeEach
  void captureSessionLog() {
    log.start();
    sessionLog.addAppender(log);
  }

  @AfterEach
  void release() {
    sessionLog.detachAppender(log);
  }

  @Test
  void theLargestHoldersAmongClientsThatStopReadingAreClosedAndTheRestGoOn() throws Exception {
    try (TestRouter router =
            TestRouter.start(
                TestRouter.servers(TestRouter.fake("fake", true)),
                String.join(
                    "\n",
                    "mcprouter.output-budget.max-bytes = 8MiB",
                    "mcprouter.stdio.max-line-bytes = 4MiB",
                    // a kernel send buffer that does not grow: what the clients do not read stays
                    // in the router
                    "akka.http.server.socket-options.so-send-buffer-size = 16KiB"));
        StalledClients stalled = new StalledClients(router.proxyPort(), "fake")) {
      OutputBudget budget = router.router().outputBudget();
      assertEquals(BUDGET, budget.maxBytes());
      AtomicLong mostHeld = new AtomicLong();
      Thread sampler =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  mostHeld.accumulateAndGet(budget.heldBytes(), Math::max);
                  Thread.onSpinWait();
                }
              });
      sampler.setDaemon(true);
      sampler.start();

      List<String> legacy = new ArrayList<>();
      List<String> streamable = new ArrayList<>();
      int id = 10;
      for (int i = 0; i < 4; i++) {
        String session = stalled.openSse();
        legacy.add(session);
        stalled.postSse(session, StalledClients.bigCall(id++, ANSWER));
        stalled.postSse(session, StalledClients.bigCall(id++, ANSWER));
      }
      for (int i = 0; i < 2; i++) {
        String session = stalled.openStreamable();
        streamable.add(session);
        stalled.postStreamable(session, StalledClients.bigCall(id++, ANSWER));
        stalled.postStreamable(session, StalledClients.bigCall(id++, ANSWER));
      }
      List<String> all = new ArrayList<>(legacy);
      all.addAll(streamable);

      SseTestClient reader =
          SseTestClient.connect(SseTestClient.newHttpClient(), router.proxyPort(), "fake");
      reader.initialize(1, null);
      // the legacy calls were accepted (202) before this one, so their answers came first; the
      // Streamable ones went on raw sockets and may still be on their way
      assertEquals(
          "after the big ones",
          text(
              reader.call(
                  2, "tools/call", toolCall("echo", Map.of("text", "after the big ones")))));
      Await.until(
          Duration.ofSeconds(30),
          () -> "back under the budget (" + budget.heldBytes() + " held), closed: " + evictions(),
          () -> !evictions().isEmpty() && budget.heldBytes() <= BUDGET);
      sampler.interrupt();

      // the Streamable answers may still be reaching their sessions, so a later eviction is
      // possible:
      // each legacy session's fate is read first, and the log that explains it afterwards
      Map<String, Integer> statuses = new LinkedHashMap<>();
      for (String session : legacy) {
        statuses.put(
            session,
            stalled.postStatus(
                session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));
      }
      List<String> evicted = evictions();
      System.out.println(
          "output budget test: "
              + evicted.size()
              + " of "
              + all.size()
              + " stalled sessions closed, at most "
              + mostHeld.get()
              + " bytes held at once");
      List<String> survivors = new ArrayList<>(all);
      for (String line : evicted) {
        assertTrue(line.startsWith(CLOSED_BY_BUDGET), line);
        String prefix = line.substring(CLOSED_BY_BUDGET.length()).split(" ")[0];
        assertEquals(8, prefix.length(), "a session id prefix, never the whole id: " + line);
        assertTrue(
            survivors.removeIf(s -> s.startsWith(prefix)),
            "only a client that stopped reading, once: " + line);
        assertTrue(line.contains("reason=output budget reached: the session held "), line);
        assertTrue(line.contains("(mcprouter.output-budget.max-bytes = 8MiB)"), line);
      }
      assertTrue(!survivors.isEmpty(), "as few as it takes, not every slow reader: " + evicted);
      statuses.forEach(
          (session, status) -> {
            // a session the budget did not close still takes messages; one it closed is gone
            int expected = survivors.contains(session) ? 202 : 404;
            if (status == 202 && expected == 404) {
              return; // closed after its POST was taken
            }
            assertEquals(
                expected,
                status,
                "a closed session is gone, the others go on: " + session.substring(0, 8));
          });
      // 12 answers of 1.5 MB went to clients that read none of them (a Streamable one counts in its
      // resumption buffer and its connection's queue): what was held at once stayed near the budget
      assertTrue(mostHeld.get() <= BUDGET + 4L * ANSWER, "held at most " + mostHeld.get());

      try (reader) {
        assertEquals(
            ANSWER,
            text(reader.call(3, "tools/call", toolCall("big", Map.of("bytes", ANSWER)))).length());
        assertEquals(
            "still served",
            text(reader.call(4, "tools/call", toolCall("echo", Map.of("text", "still served")))));
      }
      String readerPrefix = reader.sessionId().substring(0, 8);
      assertTrue(
          evictions().stream().noneMatch(l -> l.contains("session=" + readerPrefix)),
          "the reading client was never closed: " + evictions());
    }
  }

  private List<String> evictions() {
    return List.copyOf(log.list).stream()
        .map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.contains("output budget"))
        .toList();
  }

  private static String text(JsonNode answer) {
    return answer.path("result").path("content").path(0).path("text").asText();
  }
}
