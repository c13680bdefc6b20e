package io.mcprouter.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The soak's operations other than MCP sessions: REST calls, listings, stops, limits, killed
 * clients.
 */
final class Operations {

  private static final Path NODE_CLIENT = Path.of("it/soak-client.mjs").toAbsolutePath();

  private final SoakRouter router;
  private final Invariants inv;

  Operations(SoakRouter router, Invariants inv) {
    this.router = router;
    this.inv = inv;
  }

  /**
   * {@code POST /v1/call-tool} with the key as bearer: echo, sleep, big or garbage, the text
   * checked.
   */
  void rest(String worker, String tag, String key, Random rnd) throws IOException {
    String text = "soak:" + tag + ":rest";
    ObjectNode body = McpSession.JSON.createObjectNode();
    ObjectNode args = body.putObject("arguments");
    String expect = text;
    switch (rnd.nextInt(5)) {
      case 0 -> {
        body.put("name", "sleep");
        args.put("ms", rnd.nextInt(800)).put("text", text);
      }
      case 1 -> {
        body.put("name", "garbage");
        expect = "after garbage";
      }
      case 2 -> {
        RawHttp.Response r =
            RawHttp.json(router.apiPort(), "POST", "/v1/list-tools", key, null, 20_000);
        inv.judgeStatus(
            worker,
            "POST /v1/list-tools " + key,
            key,
            inv.disruptionCount(key),
            r.status(),
            r.text());
        return;
      }
      default -> {
        body.put("name", "echo");
        args.put("text", text);
      }
    }
    long disruption = inv.disruptionCount(key);
    RawHttp.Response r =
        RawHttp.json(router.apiPort(), "POST", "/v1/call-tool", key, body.toString(), 20_000);
    if (!inv.judgeStatus(
        worker,
        "POST /v1/call-tool " + body.path("name").asText() + " on " + key,
        key,
        disruption,
        r.status(),
        r.text())) {
      return;
    }
    JsonNode answer = McpSession.JSON.readTree(r.body());
    String got = answer.path("data").path("content").path(0).path("text").asText(null);
    if (!expect.equals(got)) {
      inv.violation(
          worker,
          got != null && got.startsWith("soak:") ? "misrouted answer" : "wrong answer",
          "REST " + tag + " expected '" + expect + "' got " + McpSession.brief(answer));
    }
  }

  /**
   * A REST call that crashes the shared child of {@code crashy}: 502 naming the exit is the
   * documented answer.
   */
  void crash(String worker) throws IOException {
    inv.disrupt(SoakRouter.CRASHY);
    try {
      RawHttp.Response r =
          RawHttp.json(
              router.apiPort(),
              "POST",
              "/v1/call-tool",
              SoakRouter.CRASHY,
              "{\"name\":\"crash\",\"arguments\":{\"code\":7}}",
              20_000);
      if (r.status() == 502 || r.status() == 503) {
        inv.outcome("crash -> " + r.status());
      } else {
        inv.judgeStatus(
            worker,
            "REST crash",
            SoakRouter.CRASHY,
            inv.disruptionCount(SoakRouter.CRASHY),
            r.status(),
            r.text());
      }
    } finally {
      inv.disruptionEnds(SoakRouter.CRASHY, 12_000);
    }
  }

  /** One of the listings; each must answer 200 with its envelope. */
  void list(String worker, Random rnd) throws IOException {
    RawHttp.Response r;
    String what;
    switch (rnd.nextInt(5)) {
      case 0 -> {
        what = "GET /admin/list-clients";
        r = RawHttp.json(router.proxyPort(), "GET", "/admin/list-clients", null, null, 20_000);
      }
      case 1 -> {
        what = "GET /admin/list-running-servers";
        r =
            RawHttp.json(
                router.proxyPort(), "GET", "/admin/list-running-servers", null, null, 20_000);
      }
      case 2 -> {
        String key = SoakRouter.KEYS.get(rnd.nextInt(SoakRouter.KEYS.size()));
        what = "GET /v1/list-running-servers as " + key;
        r = RawHttp.json(router.apiPort(), "GET", "/v1/list-running-servers", key, null, 20_000);
      }
      case 3 -> {
        what = "POST /v1/list-servers";
        r =
            RawHttp.json(
                router.apiPort(),
                "POST",
                "/v1/list-servers",
                SoakRouter.SHARED,
                "{\"page\":1,\"limit\":30}",
                20_000);
      }
      default -> {
        what = "POST /v1/list-tools";
        r =
            RawHttp.json(
                router.apiPort(), "POST", "/v1/list-tools", SoakRouter.SHARED, null, 20_000);
      }
    }
    inv.operation(
        "list "
            + what.substring(0, what.indexOf(' ', 5) < 0 ? what.length() : what.indexOf(' ', 5)));
    inv.judgeStatus(
        worker,
        what,
        what.contains("list-tools") ? SoakRouter.SHARED : null,
        -1,
        r.status(),
        r.text());
  }

  /**
   * A graceful or forced stop of a key, through /admin or /v1; 200, or 404 when it was not running.
   */
  void stop(String worker, Random rnd) throws IOException {
    // the shared key is stopped less often: every session on it is disturbed
    String key =
        rnd.nextInt(4) == 0
            ? SoakRouter.SHARED
            : rnd.nextBoolean() ? SoakRouter.CRASHY : SoakRouter.SOLO;
    boolean force = rnd.nextBoolean();
    boolean admin = rnd.nextBoolean();
    inv.log(worker, "stop key=" + key + " force=" + force + " via " + (admin ? "/admin" : "/v1"));
    inv.outcome("stop " + (force ? "forced" : "graceful"));
    inv.disrupt(key);
    try {
      String body = "{\"server_key\":\"" + key + "\",\"force\":" + force + "}";
      RawHttp.Response r =
          admin
              ? RawHttp.json(router.proxyPort(), "POST", "/admin/stop-server", null, body, 30_000)
              : RawHttp.json(router.apiPort(), "POST", "/v1/stop-server", key, body, 30_000);
      if (r.status() == 404) {
        inv.outcome("stop -> 404 not running");
      } else {
        inv.judgeStatus(worker, "stop " + key, null, -1, r.status(), r.text());
      }
    } finally {
      inv.disruptionEnds(key, 5_000);
    }
  }

  /**
   * Opens more sessions on {@code capped} than the per-key limit allows: the surplus gets 503
   * naming it.
   */
  void limitSessions(String worker) throws IOException {
    List<RawHttp.Stream> held = new ArrayList<>();
    int refused = 0;
    try {
      for (int i = 0; i < SoakRouter.MAX_SESSIONS_PER_KEY + 3; i++) {
        RawHttp.Stream st =
            RawHttp.open(
                router.proxyPort(),
                "GET",
                "/sse/" + SoakRouter.CAPPED,
                Map.of("Accept", "text/event-stream"),
                null,
                15_000);
        held.add(st);
        if (st.status != 200) {
          String body = new String(st.body.readNBytes(2000), StandardCharsets.UTF_8);
          if (st.status == 503 && body.contains("has its maximum of")) {
            refused++;
          } else {
            inv.judgeStatus(
                worker,
                "GET /sse/capped #" + i,
                SoakRouter.CAPPED,
                inv.disruptionCount(SoakRouter.CAPPED),
                st.status,
                body);
          }
        }
      }
      if (refused == 0 && endedMeanwhile(held) > 0) {
        // sessions that never initialize are closed after mcprouter.session.handshake-timeout:
        // opening
        // 43 on a loaded machine can take longer, and the router then rightly had room again
        inv.outcome("limit sessions: earlier sessions ended before the limit was reached");
        return;
      }
    } finally {
      held.forEach(RawHttp.Stream::close);
    }
    inv.outcome("limit sessions: refused " + (refused > 0 ? "some" : "none"));
    if (refused == 0) {
      inv.violation(
          worker,
          "limit not enforced",
          (SoakRouter.MAX_SESSIONS_PER_KEY + 3)
              + " sessions on 'capped' were all accepted (max-sessions-per-key="
              + SoakRouter.MAX_SESSIONS_PER_KEY
              + ")");
    }
  }

  /** How many accepted streams have ended: read to the end, or found still open within a moment. */
  private static int endedMeanwhile(List<RawHttp.Stream> held) throws IOException {
    int ended = 0;
    byte[] sink = new byte[8192];
    for (RawHttp.Stream st : held) {
      if (st.status != 200) {
        continue;
      }
      st.timeout(200);
      try {
        while (st.body.read(sink) >= 0) {
          // what the session sent before it ended (its endpoint event)
        }
        ended++;
      } catch (SocketTimeoutException open) {
        // still open
      } catch (IOException reset) {
        ended++;
      }
    }
    return ended;
  }

  /**
   * A real SDK client process (it/soak-client.mjs, the official TypeScript SDK) with a slow call in
   * flight, killed with SIGKILL: the router must notice the vanished peer; nothing is expected
   * back.
   */
  void killClient(String worker, String key, Random rnd) throws Exception {
    String transport = rnd.nextBoolean() ? "sse" : "mcp";
    String url = "http://127.0.0.1:" + router.proxyPort() + "/" + transport + "/" + key;
    Process p =
        new ProcessBuilder("node", NODE_CLIENT.toString(), transport, url)
            .redirectErrorStream(true)
            .start();
    // a read blocks while the client prints nothing: ending the process at the deadline ends the
    // read
    CompletableFuture<Void> bound =
        CompletableFuture.runAsync(
            p::destroyForcibly, CompletableFuture.delayedExecutor(30, TimeUnit.SECONDS));
    try {
      InputStream out = p.getInputStream();
      StringBuilder got = new StringBuilder();
      long deadline = System.currentTimeMillis() + 30_000;
      while (!got.toString().contains("in-flight")
          && System.currentTimeMillis() < deadline
          && p.isAlive()) {
        int c = out.read();
        if (c < 0) {
          break;
        }
        got.append((char) c);
      }
      if (!got.toString().contains("in-flight")) {
        inv.outcome("killed client did not get its call in flight");
        inv.log(
            worker, "node client (" + transport + " " + key + ") said: " + got.toString().trim());
        return;
      }
      inv.log(worker, "SIGKILL node client " + transport + " key=" + key + " pid=" + p.pid());
      inv.outcome("client SIGKILLed");
    } finally {
      bound.cancel(false);
      p.destroyForcibly(); // SIGKILL
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
