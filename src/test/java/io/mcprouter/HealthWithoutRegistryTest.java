package io.mcprouter;

import static io.mcprouter.testsupport.RawExchange.headers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import akka.actor.typed.javadsl.Behaviors;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.testsupport.RawExchange;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A registry that never answers (a stuck actor system): /healthz and /readyz say so with 503. */
class HealthWithoutRegistryTest {

  @Test
  void bothProbesAre503WhenTheRegistryDoesNotAnswer() throws Exception {
    Config akka =
        ConfigFactory.parseString(
                "mcprouter.health.timeout = 300ms\nmcprouter.stop.shutdown-timeout = 2s")
            .withFallback(ConfigFactory.parseString(TestRouter.TEST_SETTINGS))
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty()));
    Router router =
        Router.start(
                TestRouter.config(
                    TestRouter.servers(TestRouter.fake("k", true)),
                    Optional.empty(),
                    "http://127.0.0.1:1"),
                akka,
                CommandLine.Command.SERVE,
                (config, settings, directory, observability) -> Behaviors.ignore())
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    try {
      for (int port : new int[] {router.proxyPort(), router.apiPort()}) {
        RawExchange.Answer health = RawExchange.send(port, "GET", "/healthz", headers(), null);
        assertEquals(503, health.status(), health.body());
        assertEquals("unavailable", json(health).path("status").asText(), health.body());
        RawExchange.Answer ready =
            RawExchange.send(port, "GET", "/readyz?verbose", headers(), null);
        assertEquals(503, ready.status(), ready.body());
        JsonNode body = json(ready);
        assertEquals("not_ready", body.path("status").asText(), ready.body());
        assertFalse(body.path("checks").path("registry_answers").asBoolean(true), ready.body());
        // /health asks no actor: HTTP itself is still served
        assertEquals(200, RawExchange.send(port, "GET", "/health", headers(), null).status());
      }
    } finally {
      router.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  private static JsonNode json(RawExchange.Answer answer) throws Exception {
    return SseTestClient.JSON.readTree(answer.body());
  }
}
