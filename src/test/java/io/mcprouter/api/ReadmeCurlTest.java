package io.mcprouter.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.mcprouter.Router;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every curl command of README.md's "Manage MCP servers" section (the original mcprouter's, kept
 * verbatim), run as written with the real curl against a router on the default ports 8025 and 8027.
 */
class ReadmeCurlTest {

  static List<String> readmeCurls() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    int start = readme.indexOf("\n## Manage MCP servers");
    assertTrue(start >= 0, "README.md has a 'Manage MCP servers' section");
    int end = readme.indexOf("\n## ", start + 1);
    String section = readme.substring(start, end < 0 ? readme.length() : end);
    List<String> commands = new ArrayList<>();
    StringBuilder current = null;
    for (String line : section.split("\n")) {
      if (current == null && line.startsWith("curl ")) {
        current = new StringBuilder();
      }
      if (current != null) {
        current.append(line).append('\n');
        if (!line.endsWith("\\")) {
          commands.add(current.toString());
          current = null;
        }
      }
    }
    return commands;
  }

  private static JsonNode run(String command) throws Exception {
    Process curl = new ProcessBuilder("bash", "-c", command).redirectErrorStream(false).start();
    assertTrue(curl.waitFor(60, TimeUnit.SECONDS), command);
    String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(
        0,
        curl.exitValue(),
        command + "\n" + new String(curl.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    return SseTestClient.JSON.readTree(out);
  }

  @Test
  void everyOriginalCurlWorksAsWritten() throws Exception {
    List<String> curls = readmeCurls();
    assertEquals(6, curls.size(), "the original README has six curl commands: " + curls);
    RouterConfig config =
        new RouterConfig(
            Path.of("test"),
            new RouterConfig.Listen("127.0.0.1", 8025),
            new RouterConfig.Listen("127.0.0.1", 8027),
            TestRouter.servers(TestRouter.fake("fetch", true)));
    Router router =
        Router.start(
                config,
                ConfigFactory.parseString(TestRouter.TEST_SETTINGS)
                    .withFallback(RouterConfigFiles.load(ConfigFactory.empty())),
                CommandLine.Command.SERVE)
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    try {
      for (String curl : curls) {
        if (curl.contains("stop-server")) {
          // each stop needs a running server: the list-tools curl (the first) starts it
          assertEquals(0, run(curls.get(0)).path("code").asInt());
        }
        JsonNode answer = run(curl);
        assertEquals(0, answer.path("code").asInt(), curl + " -> " + answer);
        if (curl.contains("list-tools")) {
          assertTrue(answer.path("data").path("tools").size() > 0, answer.toString());
        }
        if (curl.contains("list-running-servers")) {
          assertEquals(
              "fetch",
              answer.path("data").path("servers").path(0).path("server_key").asText(),
              answer.toString());
        }
        if (curl.contains("stop-server")) {
          assertEquals(1, answer.path("data").path("processes_stopped").asInt(), answer.toString());
        }
        if (curl.contains("list-clients")) {
          assertTrue(answer.path("data").path("clients").isArray(), answer.toString());
        }
      }
    } finally {
      router.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
