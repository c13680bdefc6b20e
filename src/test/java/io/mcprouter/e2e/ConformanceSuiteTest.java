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
 * scenarios of revision 2025-11-25, against /mcp/<key> proxying a stdio conformance backend, once
 * with a shared child and once with a child per session. Its summary is printed into the build log.
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
                new ServerSpec(
                    "conformance-per-session",
                    backend,
                    false,
                    Map.of(),
                    Optional.empty(),
                    Optional.empty())));
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static void runSuite(String key) throws Exception {
    String url = "http://127.0.0.1:" + router.proxyPort() + "/mcp/" + key;
    Process suite =
        new ProcessBuilder("bash", IT.resolve("run-conformance.sh").toString(), url)
            .redirectErrorStream(true)
            .start();
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
}
