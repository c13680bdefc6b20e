package io.mcprouter.cli;

import static io.mcprouter.testsupport.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.FakeServerCommand;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.SseTestClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar as users run it: a real JVM process, its exit codes, its one-line errors, SIGTERM.
 */
class PackagedJarIT {

  private static final Path JAR = Path.of("target/mcprouter.jar").toAbsolutePath();
  private static final Pattern LISTENING =
      Pattern.compile("proxy listening on http://127\\.0\\.0\\.1:(\\d+)");

  @TempDir Path dir;

  /** A started jar with its output lines collected as they come. */
  private record Running(
      Process process, BlockingQueue<String> stdout, List<String> allStdout, List<String> stderr) {}

  private Running launch(Path workDir, String... args) throws IOException {
    return launch(workDir, List.of(), args);
  }

  private Running launch(Path workDir, List<String> jvmOptions, String... args) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dmcprouter.stop.shutdown-timeout=6s"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", JAR.toString()));
    command.addAll(List.of(args));
    return collecting(new ProcessBuilder(command).directory(workDir.toFile()).start());
  }

  /** The process with its output lines collected as they come. */
  private static Running collecting(Process process) {
    BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    List<String> allStdout = Collections.synchronizedList(new ArrayList<>());
    List<String> stderr = Collections.synchronizedList(new ArrayList<>());
    pump(
        process.getInputStream(),
        line -> {
          allStdout.add(line);
          stdout.add(line);
        });
    pump(process.getErrorStream(), stderr::add);
    return new Running(process, stdout, allStdout, stderr);
  }

  private static void pump(InputStream in, Consumer<String> sink) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                reader.lines().forEach(sink);
              } catch (IOException | UncheckedIOException ignored) {
                // the process ended
              }
            });
    t.setDaemon(true);
    t.start();
  }

  private Running runToExit(String... args) throws Exception {
    Running running = launch(dir, args);
    assertTrue(running.process().waitFor(60, TimeUnit.SECONDS), "the jar did not exit");
    Await.until(Duration.ofSeconds(5), "output read", () -> !running.process().isAlive());
    return running;
  }

  private static void assertOneLineError(Running running, int status, String expected)
      throws Exception {
    running.process().getErrorStream().close();
    assertEquals(status, running.process().exitValue(), String.join("\n", running.stderr()));
    Await.until(Duration.ofSeconds(5), "stderr read", () -> !running.stderr().isEmpty());
    assertEquals(1, running.stderr().size(), "one line, no stack trace: " + running.stderr());
    assertTrue(running.stderr().get(0).startsWith("mcprouter: "), running.stderr().get(0));
    assertTrue(running.stderr().get(0).contains(expected), running.stderr().get(0));
  }

  private Path config(String toml) throws IOException {
    Path file = dir.resolve("router.toml");
    Files.writeString(file, toml);
    return file;
  }

  @Test
  void helpPrintsUsage() throws Exception {
    Running running = runToExit("--help");
    assertEquals(0, running.process().exitValue());
    Await.until(
        Duration.ofSeconds(5),
        "usage printed",
        () -> running.stdout().stream().anyMatch(l -> l.contains("usage: mcprouter")));
  }

  @Test
  void usageAndConfigErrorsAreOneLineWithANonZeroExit() throws Exception {
    assertOneLineError(runToExit("bogus"), 2, "unknown command 'bogus'");
    assertOneLineError(
        runToExit("proxy", "--config", dir.resolve("missing.toml").toString()),
        1,
        "cannot read config file");
    Path broken = config("[proxy_server]\nport = 8025\n[mcp_server_commands\nx = \"y\"\n");
    assertOneLineError(runToExit("proxy", "-c", broken.toString()), 1, "line 3");
    Path badKey = config("[mcp_server_commands]\n\"bad key\" = \"echo\"\n");
    assertOneLineError(runToExit("proxy", "-c", badKey.toString()), 1, "bad key");
  }

  @Test
  void aPortInUseIsAOneLineError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path file = config("[proxy_server]\nport = " + taken.getLocalPort() + "\n");
      Running running = runToExit("proxy", "-c", file.toString());
      assertOneLineError(running, 1, "Address already in use");
      assertFalse(
          List.copyOf(running.allStdout()).stream()
              .anyMatch(l -> l.startsWith("\tat ") || l.contains("Exception")),
          "no stack trace before the one line: " + running.allStdout());
    }
  }

  @Test
  void anOperatorApplicationConfHoldingOneLineOverridesOnlyThatSetting() throws Exception {
    Files.writeString(dir.resolve("application.conf"), "mcprouter.ask-timeout = 3s\n");
    Path file = config("[proxy_server]\nport = 0\n[mcp_server_commands]\nfake = \"echo\"\n");
    Running running = launch(dir, "proxy", "-c", file.toString());
    try {
      awaitPort(running);
      assertTrue(running.stderr().isEmpty(), String.join("\n", running.stderr()));
    } finally {
      running.process().destroyForcibly();
    }
  }

  @Test
  void aBadSettingIsAOneLineErrorNamingIt() throws Exception {
    Path file = config("[proxy_server]\nport = 0\n");
    Files.writeString(dir.resolve("application.conf"), "mcprouter.ask-timeout = soon\n");
    assertOneLineError(runToExit("proxy", "-c", file.toString()), 1, "mcprouter.ask-timeout");
    Files.writeString(dir.resolve("application.conf"), "mcprouter.session.buffer-bytes = -1MiB\n");
    assertOneLineError(
        runToExit("proxy", "-c", file.toString()), 1, "mcprouter.session.buffer-bytes");
    Files.writeString(dir.resolve("application.conf"), "mcprouter { limits {\n");
    assertOneLineError(runToExit("proxy", "-c", file.toString()), 1, "application.conf");
  }

  @Test
  void aFreshCloneRunsWithTheExampleConfigWhenEnvTomlIsAbsent() throws Exception {
    Files.writeString(
        dir.resolve(".env.example.toml"),
        "[proxy_server]\nport = 0\n[api_server]\nport = 0\n[mcp_server_commands]\nfake = \""
            + FakeServerCommand.commandLine().replace("\\", "\\\\").replace("\"", "\\\"")
            + "\"\n");
    Running running = launch(dir, "serve");
    try {
      int port = awaitPort(running);
      assertTrue(
          List.copyOf(running.allStdout()).stream()
              .anyMatch(l -> l.contains(".env.toml not found; using .env.example.toml")),
          "the fallback is logged: " + running.allStdout());
      try (SseTestClient client =
          SseTestClient.connect(SseTestClient.newHttpClient(), port, "fake")) {
        client.initialize(1, null);
        assertEquals(
            "from the jar",
            client
                .call(2, "tools/call", toolCall("echo", Map.of("text", "from the jar")))
                .path("result")
                .path("content")
                .path(0)
                .path("text")
                .asText());
      }
      // Akka 2.8.7 and later log this and then terminate the actor system after 15 minutes unless
      // given a license key: a router built on them would stop serving a quarter of an hour after
      // start
      assertFalse(
          List.copyOf(running.allStdout()).stream().anyMatch(l -> l.contains("akka.io/key")),
          "the router runs on an Akka that does not stop itself: " + running.allStdout());
    } finally {
      running.process().destroyForcibly();
    }
  }

  @Test
  void sigtermStopsTheRouterAndEveryChildWithoutOrphans() throws Exception {
    Path file =
        config(
            "[proxy_server]\nport = 0\n[mcp_server_commands]\nfake = \""
                + FakeServerCommand.commandLine().replace("\\", "\\\\").replace("\"", "\\\"")
                + "\"\n");
    Running running = launch(dir, "proxy", "-c", file.toString());
    int port = awaitPort(running);
    SseTestClient client = SseTestClient.connect(SseTestClient.newHttpClient(), port, "fake");
    client.initialize(1, null);
    long child =
        Long.parseLong(
            client
                .call(2, "tools/call", toolCall("pid", Map.of()))
                .path("result")
                .path("content")
                .path(0)
                .path("text")
                .asText());
    long grandchild =
        Long.parseLong(
            client
                .call(3, "tools/call", toolCall("spawn_child", Map.of()))
                .path("result")
                .path("content")
                .path(0)
                .path("text")
                .asText());
    assertTrue(Processes.alive(child) && Processes.alive(grandchild));
    client.send(SseTestClient.request(4, "tools/call", toolCall("sleep", Map.of("ms", 120_000))));

    long began = System.nanoTime();
    running.process().destroy(); // SIGTERM, as an operator or a service manager sends it
    assertTrue(
        running.process().waitFor(30, TimeUnit.SECONDS), "router did not exit after SIGTERM");
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    Await.until(
        Duration.ofSeconds(5),
        "child and grandchild gone",
        () -> !Processes.alive(child) && !Processes.alive(grandchild));
    // a slow call in flight is waited for gracefully, up to the shutdown bound (6 s here), then
    // killed
    assertTrue(tookMs < 12_000, "shutdown took " + tookMs + " ms");
    System.out.println("SIGTERM with a slow call in flight: router exited in " + tookMs + " ms");
    client.ended().get(5, TimeUnit.SECONDS);
    assertFalse(
        running.stderr().stream().anyMatch(l -> l.contains("Exception")),
        String.join("\n", running.stderr()));
  }

  @Test
  void aPostNested10000DeepIsRefusedAndThePackagedRouterGoesOn() throws Exception {
    Path file =
        config(
            "[proxy_server]\nport = 0\n[mcp_server_commands]\nfake = \""
                + FakeServerCommand.commandLine().replace("\\", "\\\\").replace("\"", "\\\"")
                + "\"\n");
    Running running = launch(dir, "proxy", "-c", file.toString());
    try {
      int port = awaitPort(running);
      HttpClient http = SseTestClient.newHttpClient();
      String deep = "[".repeat(10_000) + "]".repeat(10_000);
      // unauthenticated and without a session: before the JSON limits this overflowed the stack
      // while the
      // message was re-encoded, and akka.jvm-exit-on-fatal-error ended the router with status 255
      HttpResponse<String> refused =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mcp/fake"))
                  .header("Content-Type", "application/json")
                  .header("Accept", "application/json, text/event-stream")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"jsonrpc\":\"2.0\",\"id\":1,"
                              + "\"method\":\"initialize\",\"params\":{\"x\":"
                              + deep
                              + "}}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(400, refused.statusCode(), refused.body());
      assertTrue(refused.body().contains("JSON nesting deeper than"), refused.body());
      assertTrue(running.process().isAlive(), "the router is still running: " + running.stderr());
      HttpResponse<String> health =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, health.statusCode());
      try (SseTestClient client = SseTestClient.connect(http, port, "fake")) {
        client.initialize(1, null);
        assertEquals(
            "after",
            client
                .call(2, "tools/call", toolCall("echo", Map.of("text", "after")))
                .path("result")
                .path("content")
                .path(0)
                .path("text")
                .asText());
      }
    } finally {
      running.process().destroyForcibly();
    }
  }

  @Test
  void silentConnectionsBeyondTheOpenFileLimitLeaveTheRouterReachableAndItsLogSmall()
      throws Exception {
    Path file =
        config(
            "[proxy_server]\nport = 0\n[mcp_server_commands]\nfake = \""
                + FakeServerCommand.commandLine().replace("\\", "\\\\").replace("\"", "\\\"")
                + "\"\n");
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Running running =
        collecting(
            new ProcessBuilder(
                    "sh",
                    "-c",
                    "ulimit -n 256; exec \"$0\" -Dmcprouter.http.header-read-timeout=5s"
                        + " -jar \"$1\" proxy -c \"$2\"",
                    javaBin,
                    JAR.toString(),
                    file.toString())
                .directory(dir.toFile())
                .start());
    Process process = running.process();
    List<String> all = running.allStdout();
    List<String> stderr = running.stderr();
    List<Socket> silent = new ArrayList<>();
    try {
      int port = awaitPort(running);
      for (int i = 0; i < 300; i++) {
        silent.add(new Socket("127.0.0.1", port)); // each sends nothing
      }
      HttpResponse<String> health =
          SseTestClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                      .timeout(Duration.ofSeconds(5))
                      .GET()
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(200, health.statusCode(), health.body());
      assertTrue(
          List.copyOf(all).stream().anyMatch(l -> l.contains("open-file limit (ulimit -n) 256")),
          "one line warns that the open-file limit bounds the connections: " + all);
      int lines = all.size() + stderr.size();
      assertTrue(lines < 100, lines + " log lines: " + String.join("\n", List.copyOf(all)));
    } finally {
      for (Socket s : silent) {
        s.close();
      }
      process.destroyForcibly();
    }
  }

  @Test
  void sigkillOfTheRouterLeavesNoDescendantOfAChild() throws Exception {
    Path file =
        config(
            "[proxy_server]\nport = 0\n[mcp_server_commands]\nfake = \""
                + FakeServerCommand.commandLine().replace("\\", "\\\\").replace("\"", "\\\"")
                + "\"\n");
    Running running = launch(dir, "proxy", "-c", file.toString());
    int port = awaitPort(running);
    SseTestClient client = SseTestClient.connect(SseTestClient.newHttpClient(), port, "fake");
    client.initialize(1, null);
    long child = pid(client.call(2, "tools/call", toolCall("pid", Map.of())));
    long stubborn =
        pid(client.call(3, "tools/call", toolCall("spawn_child", Map.of("kind", "stubborn"))));
    long detached =
        pid(client.call(4, "tools/call", toolCall("spawn_child", Map.of("kind", "detached"))));
    assertTrue(Processes.alive(child) && Processes.alive(stubborn) && Processes.alive(detached));
    try {
      running
          .process()
          .destroyForcibly(); // SIGKILL: no shutdown hook, no actor stops, nothing runs in the
      // router
      assertTrue(running.process().waitFor(10, TimeUnit.SECONDS), "router did not die of SIGKILL");
      Await.until(
          Duration.ofSeconds(2),
          "child " + child + ", stubborn " + stubborn + " and detached " + detached + " gone",
          () ->
              !Processes.alive(child) && !Processes.alive(stubborn) && !Processes.alive(detached));
    } finally {
      Processes.kill(child, stubborn, detached); // a failed run must not leave them behind
    }
  }

  private static long pid(JsonNode answer) {
    String text = text(answer);
    assertTrue(text.matches("\\d+"), "a pid: " + answer);
    return Long.parseLong(text);
  }

  private static String text(JsonNode answer) {
    return answer.path("result").path("content").path(0).path("text").asText();
  }

  @Test
  void listingRunningServersAfterACrashLoopBarExpiredLeavesTheRouterServing() throws Exception {
    Path file =
        config(
            "[proxy_server]\nport = 0\n[mcp_server_commands]\ndies = \"echo boom >&2; exit 5\"\n");
    Running running =
        launch(
            dir,
            List.of("-Dmcprouter.restart.max-crashes=1", "-Dmcprouter.restart.crash-window=1s"),
            "proxy",
            "-c",
            file.toString());
    try {
      int port = awaitPort(running);
      HttpClient http = SseTestClient.newHttpClient();
      String base = "http://127.0.0.1:" + port;
      Await.until(
          Duration.ofSeconds(20),
          "the key is barred as crash-looping",
          () -> get(http, base + "/sse/dies").contains("crash-looping"));
      assertTrue(get(http, base + "/admin/list-running-servers").contains("\"failed\""));
      // once the bar has expired, the listing forgets it; this call used to stop the router with
      // exit status 0
      Await.until(
          Duration.ofSeconds(10),
          "the expired bar is no longer listed",
          () -> !get(http, base + "/admin/list-running-servers").contains("\"failed\""));
      assertTrue(
          running.process().isAlive(),
          "router exited with "
              + (running.process().isAlive() ? "" : running.process().exitValue()));
      assertTrue(get(http, base + "/health").contains("ok"), "still serving");
    } finally {
      running.process().destroyForcibly();
    }
  }

  /**
   * The body, or the failure: a router that went away makes the condition fail loudly, not time
   * out.
   */
  private static String get(HttpClient http, String url) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException | InterruptedException e) {
      throw new AssertionError("router unreachable at " + url + ": " + e, e);
    }
  }

  private static int awaitPort(Running running) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String line = running.stdout().poll(1, TimeUnit.SECONDS);
      if (line != null) {
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          return Integer.parseInt(m.group(1));
        }
      }
      if (!running.process().isAlive()) {
        throw new AssertionError("router exited: " + running.stderr());
      }
    }
    throw new AssertionError("router did not report its port");
  }
}
