package io.mcprouter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.TestRouter;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, pinned in it/), server
 * scenarios of revisions 2025-11-25 and 2026-07-28, against /mcp/<key> proxying a stdio conformance
 * backend that speaks 2025-11-25, once with a shared child and once with a child per session. Its
 * summary is printed into the build log.
 */
class ConformanceSuiteTest {

  private static final Path IT = Path.of("it").toAbsolutePath();
  private static TestRouter router;

  @BeforeAll
  static void start() throws Exception {
    assertTrue(
        Files.exists(IT.resolve("node_modules/@modelcontextprotocol/conformance")),
        "the conformance suite is installed by 'npm ci' in it/ (mvn verify does this)");
    String backend = "node " + IT.resolve("conformance/stdio-server.mjs");
    router =
        TestRouter.start(
            TestRouter.servers(
                new ServerSpec(
                    "conformance", backend, true, Map.of(), Optional.empty(), Optional.empty()),
                // spares: a 2026-07-28 request on a per-session key is a session, and a child of
                // its own, each; the suite's streaming probes wait 500 ms, less than a Node
                // server takes to start
                new ServerSpec(
                        "conformance-per-session",
                        backend,
                        false,
                        Map.of(),
                        Optional.empty(),
                        Optional.empty())
                    .withSpareChildren(8)));
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  /**
   * The 23 server scenarios 2026-07-28 requires that do not need multi round-trip requests
   * (input-required-result-*), which the router does not serve yet.
   */
  static final String MODERN_JUDGED =
      String.join(
          " ",
          "server-stateless",
          "completion-complete",
          "tools-list",
          "tools-call-simple-text",
          "tools-call-image",
          "tools-call-audio",
          "tools-call-embedded-resource",
          "tools-call-mixed-content",
          "tools-call-error",
          "tools-call-with-progress",
          "server-sse-multiple-streams",
          "resources-list",
          "resources-read-text",
          "resources-read-binary",
          "resources-templates-read",
          "sep-2164-resource-not-found",
          "prompts-list",
          "prompts-get-simple",
          "prompts-get-with-args",
          "prompts-get-embedded-resource",
          "prompts-get-with-image",
          "dns-rebinding-protection",
          "caching");

  private static void runSuite(String key) throws Exception {
    runSuite(key, "2025-11-25");
  }

  private static void runSuite(String key, String revision) throws Exception {
    String url = "http://127.0.0.1:" + router.proxyPort() + "/mcp/" + key;
    ProcessBuilder builder =
        new ProcessBuilder("bash", IT.resolve("run-conformance.sh").toString(), url)
            .redirectErrorStream(true);
    builder.environment().put("CONFORMANCE_REQUIREMENTS", revision);
    if (!"2025-11-25".equals(revision)) {
      builder.environment().put("CONFORMANCE_JUDGED", MODERN_JUDGED);
    }
    Process suite = builder.start();
    // through System.out, which surefire forwards to the build log (a child writing to the forked
    // JVM's own stdout would corrupt surefire's channel)
    try (var lines = new BufferedReader(new InputStreamReader(suite.getInputStream()))) {
      lines.lines().forEach(line -> System.out.println("[conformance " + key + "] " + line));
    }
    assertTrue(suite.waitFor(10, TimeUnit.MINUTES), "the conformance suite did not finish");
    assertEquals(
        0, suite.exitValue(), "conformance scenarios failed against " + url + " (summary above)");
  }

  @Test
  void everyScenarioPassesThroughASharedChild() throws Exception {
    runSuite("conformance");
  }

  @Test
  void everyScenarioPassesWithAChildPerSession() throws Exception {
    runSuite("conformance-per-session");
  }

  @Test
  void everyStatelessScenarioPassesThroughASharedChild() throws Exception {
    runSuite("conformance", "2026-07-28");
  }

  @Test
  void everyStatelessScenarioPassesWithAChildPerRequest() throws Exception {
    runSuite("conformance-per-session", "2026-07-28");
  }
}
