package io.mcprouter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.NodeScript;
import io.mcprouter.testsupport.TestRouter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a parked 2026-07-28 call must not do (issue 15: "never hold or stall other calls because a
 * call is parked"; a parked call lives until {@code mcprouter.mrtr.park-timeout}), seen with the
 * SDK v2 client against server-everything (it/modern-input-client.mjs, modes abandon and slow).
 * Both failed before parked calls stopped holding a serialized child and stopped counting against
 * the request timeout.
 */
class ParkedModernCallTest {

  private static final String SERIALIZED = "everything-serialized";
  private static final String SHORT_TIMEOUT = "everything-2s";
  private static TestRouter router;

  @BeforeAll
  static void start() throws Exception {
    String command = NodeScript.IT.resolve("node_modules/.bin/mcp-server-everything").toString();
    router =
        TestRouter.start(
            TestRouter.servers(
                spec(SERIALIZED, command, Optional.empty(), ServerSpec.Interactive.SERIALIZE),
                spec(
                    SHORT_TIMEOUT,
                    command,
                    Optional.of(Duration.ofSeconds(2)),
                    ServerSpec.Interactive.ATTRIBUTE)));
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static ServerSpec spec(
      String key,
      String command,
      Optional<Duration> requestTimeout,
      ServerSpec.Interactive interactive) {
    return new ServerSpec(
        key,
        command,
        true,
        Map.of(),
        Optional.empty(),
        Optional.empty(),
        requestTimeout,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        interactive,
        List.of(),
        false,
        true);
  }

  private static String url(String key) {
    return "http://127.0.0.1:" + router.proxyPort() + "/mcp/" + key;
  }

  /**
   * A client that never retries (the conformance suite does this) leaves its call parked at the
   * child; on a serialized key the parked call must not keep the child busy (every other request of
   * the key waited behind it until the park timeout, 5 min).
   */
  @Test
  void aCallItsClientWalkedAwayFromDoesNotStallASerializedKey() throws Exception {
    JsonNode result =
        NodeScript.start("modern-input-client.mjs", url(SERIALIZED), "abandon", "10000").result();
    assertTrue(result.path("parked").asBoolean(), result.toString());
    assertEquals("Echo: after an abandoned call", result.path("echo").asText(), result.toString());
  }

  /**
   * A user who takes longer than the key's request_timeout to answer an elicitation: the parked
   * call must live until the park timeout (the request timeout, default 60 s, cancelled it at the
   * child, and the retry was told its state was invalid).
   */
  @Test
  void aParkedCallOutlivesTheKeysRequestTimeout() throws Exception {
    JsonNode result =
        NodeScript.start("modern-input-client.mjs", url(SHORT_TIMEOUT), "slow", "4000").result();
    JsonNode client = result.path("clients").get(0);
    assertEquals(0, client.path("failures").size(), result.toString());
    assertEquals(1, client.path("elicitation").path("ok").asInt(), result.toString());
  }
}
