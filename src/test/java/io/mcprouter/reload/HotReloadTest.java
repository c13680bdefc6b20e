package io.mcprouter.reload;

import static io.mcprouter.testsupport.SseTestClient.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.TestRouter;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Hot reload on a real router started from a real {@code .env.toml}: each kind of change applied by
 * {@code POST /admin/reload} while a session on an unchanged key keeps calling, and an invalid file
 * that changes nothing.
 */
@Timeout(120)
class HotReloadTest {

  private static final String NO_WATCH = "mcprouter.reload.watch = off";

  @TempDir Path dir;

  @Test
  void eachKindOfChangeIsAppliedWhileAnUnchangedKeyKeepsCalling() throws Exception {
    Path file = dir.resolve(".env.toml");
    ReloadFiles.write(
        file,
        ReloadFiles.header()
            + ReloadFiles.server("steady", "")
            + ReloadFiles.server("gone", "")
            + ReloadFiles.server("changed", "", "--server-version", "1")
            + ReloadFiles.server("timed", "description = \"before\""));
    try (TestRouter router = ReloadFiles.start(file, NO_WATCH)) {
      McpHttp mcp = new McpHttp(router.proxyPort());
      String steady = mcp.openSession("steady");
      String gone = mcp.openSession("gone");
      HttpResponse<InputStream> goneStream = mcp.openGetStream("gone", gone);
      CompletableFuture<String> goneNotice = readUntil(goneStream.body(), "removed");
      String oldChanged = mcp.openSession("changed");
      String timed = mcp.openSession("timed");
      String timedPid = McpHttp.text(mcp.call("timed", timed, 2, "pid", Map.of()));

      AtomicBoolean calling = new AtomicBoolean(true);
      AtomicInteger calls = new AtomicInteger();
      AtomicReference<String> firstError = new AtomicReference<>();
      CompletableFuture<Void> loop =
          CompletableFuture.runAsync(
              () -> {
                int id = 100;
                while (calling.get()) {
                  try {
                    String text = "n" + id;
                    HttpResponse<String> answer =
                        mcp.call("steady", steady, id++, "echo", Map.of("text", text));
                    if (answer.statusCode() != 200 || !text.equals(McpHttp.text(answer))) {
                      firstError.compareAndSet(null, answer.statusCode() + " " + answer.body());
                    }
                    calls.incrementAndGet();
                  } catch (Exception e) {
                    firstError.compareAndSet(null, e.toString());
                  }
                }
              });
      Await.until(Duration.ofSeconds(20), "the steady loop calls", () -> calls.get() >= 3);

      ReloadFiles.write(
          file,
          ReloadFiles.header()
              + ReloadFiles.server("steady", "")
              + ReloadFiles.server("changed", "", "--server-version", "2")
              + ReloadFiles.server("timed", "description = \"after\"\nrequest_timeout = \"1s\"")
              + ReloadFiles.server("fresh", ""));
      HttpResponse<String> reloaded = ReloadFiles.reload(router.proxyPort());
      assertEquals(200, reloaded.statusCode(), reloaded.body());
      JsonNode data = JSON.readTree(reloaded.body()).path("data");
      assertEquals("[\"fresh\"]", data.path("added").toString());
      assertEquals("[\"gone\"]", data.path("removed").toString());
      assertEquals("{\"changed\":[\"command\"]}", data.path("restarted_on_next_use").toString());
      assertEquals(
          "{\"timed\":[\"description\",\"request_timeout\"]}",
          data.path("updated_in_place").toString());
      assertEquals("[\"steady\"]", data.path("unchanged").toString());

      // added: served at once
      String fresh = mcp.openSession("fresh");
      assertEquals("hi", McpHttp.text(mcp.call("fresh", fresh, 2, "echo", Map.of("text", "hi"))));

      // removed: its session hears why, then the key is unknown
      assertTrue(
          goneNotice
              .get(30, TimeUnit.SECONDS)
              .contains("'gone' was removed from the configuration"),
          goneNotice.get());
      HttpResponse<String> afterRemoval = mcp.call("gone", gone, 3, "echo", Map.of("text", "x"));
      assertEquals(404, afterRemoval.statusCode(), afterRemoval.body());
      assertTrue(afterRemoval.body().contains("unknown server key 'gone'"), afterRemoval.body());

      // launch changed: the old session goes on with the old child, a new one gets the new command
      assertEquals(
          "old", McpHttp.text(mcp.call("changed", oldChanged, 2, "echo", Map.of("text", "old"))));
      HttpResponse<String> newInit = mcp.initializeOnly("changed");
      assertEquals(200, newInit.statusCode(), newInit.body());
      assertEquals(
          "2", answer(newInit.body()).path("result").path("serverInfo").path("version").asText());
      assertEquals(
          "old", McpHttp.text(mcp.call("changed", oldChanged, 3, "echo", Map.of("text", "old"))));
      assertEquals(2, running(router.proxyPort(), "changed").size(), "old and new child");
      HttpResponse<String> ended = delete(mcp, "changed", oldChanged);
      assertEquals(204 / 100, ended.statusCode() / 100, ended.body());
      Await.until(
          Duration.ofSeconds(20),
          "the old child of 'changed' stops once its last session ended",
          () -> running(router.proxyPort(), "changed").size() == 1);

      // in place: the same child, its new request timeout applies to the open session
      assertEquals(timedPid, McpHttp.text(mcp.call("timed", timed, 3, "pid", Map.of())));
      long start = System.nanoTime();
      HttpResponse<String> slow = mcp.call("timed", timed, 4, "sleep", Map.of("ms", 10_000));
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(slow.body().contains("within 1000 ms"), slow.body());
      assertTrue(tookMillis < 8_000, "timed out after " + tookMillis + " ms");

      calling.set(false);
      loop.get(30, TimeUnit.SECONDS);
      assertEquals(null, firstError.get(), "calls on the unchanged key during the reload");
      assertTrue(calls.get() > 3);
    }
  }

  @Test
  void accessKeysReloadToo() throws Exception {
    Path file = dir.resolve(".env.toml");
    String server = ReloadFiles.header() + ReloadFiles.server("guarded", "");
    ReloadFiles.write(file, server);
    try (TestRouter router = ReloadFiles.start(file, NO_WATCH)) {
      McpHttp mcp = new McpHttp(router.proxyPort());
      assertEquals(200, initializeStatus(mcp, "guarded"), "no credential needed yet");
      ReloadFiles.write(
          file,
          server
              + "[admin]\ntoken = \"admin-token-0123456789\"\n"
              + "[access_keys.alice]\nsecret = \"alice-secret-0123456789abcdef\"\n"
              + "servers = [\"guarded\"]\n");
      HttpResponse<String> reloaded = ReloadFiles.reload(router.proxyPort());
      assertEquals(200, reloaded.statusCode(), reloaded.body());
      assertTrue(reloaded.body().contains("\"access_keys_changed\":true"), reloaded.body());
      assertFalse(reloaded.body().contains("alice-secret"), reloaded.body());
      assertEquals(401, initializeStatus(mcp, "guarded"), "a credential is needed now");
      HttpResponse<String> withKey =
          mcp.send(
              mcp.post("guarded", null, McpHttp.initializeRequest())
                  .header("Authorization", "Bearer alice-secret-0123456789abcdef"));
      assertEquals(200, withKey.statusCode(), withKey.body());
      assertEquals(
          401,
          ReloadFiles.reload(router.proxyPort()).statusCode(),
          "/admin now takes the new admin token only");
    }
  }

  @Test
  void anInvalidFileChangesNothing() throws Exception {
    Path file = dir.resolve(".env.toml");
    ReloadFiles.write(file, ReloadFiles.header() + ReloadFiles.server("kept", ""));
    try (TestRouter router = ReloadFiles.start(file, NO_WATCH)) {
      McpHttp mcp = new McpHttp(router.proxyPort());
      String kept = mcp.openSession("kept");
      ReloadFiles.write(
          file,
          ReloadFiles.header()
              + ReloadFiles.server("other", "")
              + "[mcp_servers.kept]\ncommand = \"true\"\nrequest_timeout = \"soon\"\n");
      HttpResponse<String> refused = ReloadFiles.reload(router.proxyPort());
      assertEquals(400, refused.statusCode(), refused.body());
      assertTrue(refused.body().contains("mcp_servers.kept.request_timeout"), refused.body());

      ReloadFiles.write(file, ReloadFiles.header() + "[mcp_servers.kept\ncommand = 1\n");
      HttpResponse<String> broken = ReloadFiles.reload(router.proxyPort());
      assertEquals(400, broken.statusCode(), broken.body());
      assertTrue(broken.body().contains("invalid TOML"), broken.body());

      assertEquals("ok", McpHttp.text(mcp.call("kept", kept, 2, "echo", Map.of("text", "ok"))));
      assertEquals(404, mcp.initializeOnly("other").statusCode());
      String again = mcp.openSession("kept");
      assertNotEquals(kept, again);
    }
  }

  @Test
  void aChangeOfTheFileIsReloadedAndATouchIsNot() throws Exception {
    Path file = dir.resolve(".env.toml");
    String first = ReloadFiles.header() + ReloadFiles.server("first", "");
    ReloadFiles.write(file, first);
    Logger reloaderLog = (Logger) LoggerFactory.getLogger(ConfigReloader.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    Level level = reloaderLog.getLevel();
    reloaderLog.setLevel(Level.DEBUG);
    reloaderLog.addAppender(lines);
    try (TestRouter router = ReloadFiles.start(file, "mcprouter.reload.debounce = 100ms")) {
      McpHttp mcp = new McpHttp(router.proxyPort());
      ReloadFiles.write(file, first + ReloadFiles.server("second", ""));
      Await.until(
          Duration.ofSeconds(30),
          "the watcher reloads the file with the new key",
          () -> initializeStatus(mcp, "second") == 200);
      int reloadsBefore = count(lines, "config reloaded");
      Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
      Await.until(
          Duration.ofSeconds(30),
          "the watcher sees the touch and finds the content unchanged",
          () -> count(lines, "content unchanged") >= 1);
      assertEquals(reloadsBefore, count(lines, "config reloaded"), "a touch applies nothing");
    } finally {
      reloaderLog.detachAppender(lines);
      reloaderLog.setLevel(level);
    }
  }

  private static int count(ListAppender<ILoggingEvent> lines, String text) {
    synchronized (lines.list) {
      return (int) lines.list.stream().filter(e -> e.getFormattedMessage().contains(text)).count();
    }
  }

  @Test
  void sighupReloads() throws Exception {
    Path file = dir.resolve(".env.toml");
    String first = ReloadFiles.header() + ReloadFiles.server("first", "");
    ReloadFiles.write(file, first);
    try (TestRouter router = ReloadFiles.start(file, NO_WATCH);
        HangupSignal hangup = router.router().reloadOnHangup()) {
      McpHttp mcp = new McpHttp(router.proxyPort());
      ReloadFiles.write(file, first + ReloadFiles.server("second", ""));
      assertEquals(404, initializeStatus(mcp, "second"), "not before the signal (no watcher)");
      // a real SIGHUP to this JVM, delivered to the handler installed above
      Signal.raise(new Signal("HUP"));
      Await.until(
          Duration.ofSeconds(30),
          "SIGHUP reloads the file",
          () -> initializeStatus(mcp, "second") == 200);
    }
  }

  private static int initializeStatus(McpHttp mcp, String key) {
    try {
      return mcp.initializeOnly(key).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  /** A response's JSON-RPC message, whether answered as JSON or as one SSE event. */
  static JsonNode answer(String body) throws Exception {
    String trimmed = body.trim();
    if (trimmed.startsWith("{")) {
      return JSON.readTree(trimmed);
    }
    for (String line : trimmed.split("\n")) {
      if (line.startsWith("data:")) {
        return JSON.readTree(line.substring(5).trim());
      }
    }
    throw new AssertionError("no message in " + body);
  }

  private static CompletableFuture<String> readUntil(InputStream stream, String needle) {
    return CompletableFuture.supplyAsync(
        () -> {
          StringBuilder seen = new StringBuilder();
          try (BufferedReader reader =
              new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
              seen.append(line).append('\n');
              if (line.contains(needle)) {
                return seen.toString();
              }
            }
          } catch (Exception e) {
            seen.append(e);
          }
          return seen.toString();
        });
  }

  private static HttpResponse<String> delete(McpHttp mcp, String key, String session)
      throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(mcp.url(key)))
                .header("Mcp-Session-Id", session)
                .header("MCP-Protocol-Version", "2025-06-18")
                .DELETE()
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static List<JsonNode> running(int port, String key) {
    try {
      HttpResponse<String> listed =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + port + "/admin/list-running-servers"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      List<JsonNode> servers = new ArrayList<>();
      for (JsonNode server : JSON.readTree(listed.body()).path("data").path("servers")) {
        if (server.path("server_key").asText().equals(key)) {
          servers.add(server);
        }
      }
      return servers;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
