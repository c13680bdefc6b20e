package io.mcprouter.cli;

import static io.mcprouter.testsupport.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.FakeServerCommand;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.StalledClients;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar on a small heap against many clients that stop reading while big answers are
 * sent to them: the output budget closes the largest holders, and the router never runs out of
 * memory.
 */
class SlowReadersJarIT {

  private static final Path JAR = Path.of("target/mcprouter.jar").toAbsolutePath();
  private static final Pattern LISTENING =
      Pattern.compile("proxy listening on http://127\\.0\\.0\\.1:(\\d+)");
  private static final int ANSWER = 8_000_000;

  @TempDir Path dir;

  @Test
  void manyClientsThatStopReadingBigAnswersCannotRunTheRouterOutOfMemory() throws Exception {
    Path config = dir.resolve("router.toml");
    Files.writeString(
        config,
        "[proxy_server]\nport = 0\n[mcp_server_commands]\nfake = \""
            + FakeServerCommand.commandLine().replace("\\", "\\\\").replace("\"", "\\\"")
            + "\"\n");
    Process router =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                // a kernel send buffer that does not grow: what the clients do not read stays in
                // the router's heap
                "-Dakka.http.server.socket-options.so-send-buffer-size=16KiB",
                "-jar",
                JAR.toString(),
                "proxy",
                "-c",
                config.toString())
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    List<String> output = Collections.synchronizedList(new ArrayList<>());
    Thread pump =
        new Thread(
            () ->
                new BufferedReader(
                        new InputStreamReader(router.getInputStream(), StandardCharsets.UTF_8))
                    .lines()
                    .forEach(output::add));
    pump.setDaemon(true);
    pump.start();
    try {
      Await.until(
          Duration.ofSeconds(60),
          () -> "the router's port: " + output,
          () -> port(output) > 0 || !router.isAlive());
      int port = port(output);
      try (StalledClients stalled = new StalledClients(port, "fake")) {
        int id = 10;
        // 20 × 2 answers of 8 MB held unread: 320 MB, past the 256 MiB heap
        for (int i = 0; i < 16; i++) {
          String session = stalled.openSse();
          stalled.postSse(session, StalledClients.bigCall(id++, ANSWER));
          stalled.postSse(session, StalledClients.bigCall(id++, ANSWER));
        }
        for (int i = 0; i < 4; i++) {
          String session = stalled.openStreamable();
          stalled.postStreamable(session, StalledClients.bigCall(id++, ANSWER));
          stalled.postStreamable(session, StalledClients.bigCall(id++, ANSWER));
        }
        // each 8 MB answer is parsed and encoded again by the router: on a small heap and a busy
        // machine
        // that takes up to seconds each, so wait for the budget's closing rather than for a fixed
        // time
        Await.until(
            Duration.ofSeconds(300),
            () -> "a session closed by the output budget, or the router gone: " + tail(output),
            () -> closedByBudget(output) > 0 || !router.isAlive());
        assertTrue(router.isAlive(), "the router is still running: " + tail(output));
        try (SseTestClient reader =
            SseTestClient.connect(SseTestClient.newHttpClient(), port, "fake")) {
          reader.initialize(1, null);
          // the shared child answers in order: this comes back once every big answer has been sent
          // on
          reader.send(
              SseTestClient.request(2, "tools/call", toolCall("echo", Map.of("text", "served"))));
          assertEquals(
              "served",
              reader
                  .awaitMessage(m -> m.path("id").asInt() == 2, Duration.ofSeconds(300))
                  .path("result")
                  .path("content")
                  .path(0)
                  .path("text")
                  .asText());
        }
        HttpResponse<String> health =
            SseTestClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
      }
      assertTrue(router.isAlive(), "the router is still running: " + tail(output));
      System.out.println(
          "slow readers on a 256 MiB heap: "
              + closedByBudget(output)
              + " of 20 sessions closed by the output budget");
      assertFalse(
          List.copyOf(output).stream().anyMatch(l -> l.contains("OutOfMemoryError")), tail(output));
    } finally {
      Files.write(Path.of("target/slow-readers-router.log"), List.copyOf(output));
      router.destroyForcibly();
      router.waitFor();
    }
  }

  private static long closedByBudget(List<String> output) {
    return List.copyOf(output).stream()
        .filter(l -> l.contains("reason=output budget reached"))
        .count();
  }

  private static int port(List<String> output) {
    for (String line : List.copyOf(output)) {
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
    }
    return -1;
  }

  private static String tail(List<String> output) {
    List<String> lines = List.copyOf(output);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }
}
