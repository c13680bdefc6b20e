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

  /** The 23 server scenarios 2026-07-28 requires beyond multi round-trip requests. */
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

  /**
   * The 14 multi round-trip scenarios (input-required-result-*): a 2025 child's mid-call requests
   * as input requests of input_required results.
   */
  static final String MULTI_ROUND_TRIP =
      String.join(
          " ",
          "input-required-result-basic-elicitation",
          "input-required-result-basic-sampling",
          "input-required-result-basic-list-roots",
          "input-required-result-request-state",
          "input-required-result-multiple-input-requests",
          "input-required-result-multi-round",
          "input-required-result-missing-input-response",
          "input-required-result-non-tool-request",
          "input-required-result-result-type",
          "input-required-result-unsupported-methods",
          "input-required-result-tampered-state",
          "input-required-result-capability-check",
          "input-required-result-ignore-extra-params",
          "input-required-result-validate-input");

  private static void runSuite(String key) throws Exception {
    runSuite(key, "2025-11-25");
  }

  private static void runSuite(String key, String revision) throws Exception {
    runSuite(key, revision, MODERN_JUDGED);
  }

  private static void runSuite(String key, String revision, String judged) throws Exception {
    String url = "http://127.0.0.1:" + router.proxyPort() + "/mcp/" + key;
    ProcessBuilder builder =
        new ProcessBuilder("bash", IT.resolve("run-conformance.sh").toString(), url)
            .redirectErrorStream(true);
    builder.environment().put("CONFORMANCE_REQUIREMENTS", revision);
    if (!"2025-11-25".equals(revision)) {
      builder.environment().put("CONFORMANCE_JUDGED", judged);
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
    runSuite("conformance", "2026-07-28", MODERN_JUDGED + " " + MULTI_ROUND_TRIP);
  }

  @Test
  void everyStatelessScenarioPassesWithAChildPerRequest() throws Exception {
    runSuite("conformance-per-session", "2026-07-28", MODERN_JUDGED + " " + MULTI_ROUND_TRIP);
  }
}
