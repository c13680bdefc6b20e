package io.mcprouter.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;

/**
 * MCP sessions as the soak's clients hold them: over legacy SSE ({@code /sse} + {@code /messages})
 * and Streamable HTTP ({@code /mcp}), each sending a random mix of tool calls and ending cleanly,
 * with a FIN in mid-flight, or with an RST.
 */
final class SessionOps {

  private static final int ANSWER_BOUND_MS = SoakRouter.REQUEST_TIMEOUT_MS + 10_000;

  private final SoakRouter router;
  private final Invariants inv;
  private final ExecutorService pool;
  private final Tools tools;

  SessionOps(SoakRouter router, Invariants inv, ExecutorService pool, Tools tools) {
    this.router = router;
    this.inv = inv;
    this.pool = pool;
    this.tools = tools;
  }

  /** How a session ends. */
  enum Ending {
    CLEAN,
    FIN_IN_FLIGHT,
    RST_IN_FLIGHT,
    ABANDON
  }

  static Ending ending(Random rnd, boolean streamable) {
    int r = rnd.nextInt(10);
    if (r < 5) {
      return Ending.CLEAN;
    }
    if (r < 7) {
      return Ending.FIN_IN_FLIGHT;
    }
    return streamable && r == 9 ? Ending.ABANDON : Ending.RST_IN_FLIGHT;
  }

  // ------------------------------------------------------------ legacy SSE

  void sse(String worker, String tag, String key, Random rnd) throws Exception {
    McpSession s = new McpSession(tag, key, worker, inv);
    long disruption = inv.disruptionCount(key);
    RawHttp.Stream stream;
    try {
      stream =
          RawHttp.open(
              router.proxyPort(),
              "GET",
              "/sse/" + key,
              Map.of("Accept", "text/event-stream"),
              null,
              15_000);
    } catch (IOException e) {
      inv.violation(worker, "connect failed", "GET /sse/" + key + ": " + e);
      return;
    }
    if (stream.status != 200) {
      String body = new String(stream.body.readNBytes(2000), StandardCharsets.UTF_8);
      stream.close();
      inv.judgeStatus(worker, "GET /sse/" + key, key, disruption, stream.status, body);
      return;
    }
    RawHttp.Event first = stream.nextEvent();
    if (first == null || !"endpoint".equals(first.type())) {
      stream.close();
      if (!s.disrupted()) {
        inv.violation(worker, "no endpoint event", "GET /sse/" + key + " first event " + first);
      }
      return;
    }
    String endpoint = first.data();
    stream.timeout(0);
    Ending ending = ending(rnd, false);
    boolean[] closing = {false};
    Thread reader = new Thread(() -> readSse(stream, s, closing), "soak-sse-" + tag);
    reader.setDaemon(true);
    reader.start();
    inv.log(
        worker,
        "sse "
            + tag
            + " key="
            + key
            + " session="
            + endpoint.substring(endpoint.indexOf('=') + 1, endpoint.indexOf('=') + 9)
            + " ending="
            + ending);
    try {
      ObjectNode init = s.request("initialize", initParams("2024-11-05"));
      s.expect(init, null, null, 0, null);
      if (!postSse(worker, s, endpoint, init) || !s.awaitAll(ANSWER_BOUND_MS)) {
        s.finish("initialize");
        return;
      }
      postSse(
          worker,
          s,
          endpoint,
          McpSession.JSON
              .createObjectNode()
              .put("jsonrpc", "2.0")
              .put("method", "notifications/initialized"));
      int calls = 1 + rnd.nextInt(6);
      for (int i = 0; i < calls; i++) {
        ObjectNode call = tools.pick(rnd, s, key);
        if (!postSse(worker, s, endpoint, call)) {
          break;
        }
        if ("hang".equals(call.path("params").path("name").asText()) && rnd.nextBoolean()) {
          pause(rnd, 300);
          s.cancelled(call);
          inv.log(worker, tag + " cancels " + call.get("id"));
          postSse(worker, s, endpoint, cancel(call));
          inv.outcome("cancelled");
        }
      }
      if (ending == Ending.CLEAN) {
        if (!s.awaitAll(ANSWER_BOUND_MS)) {
          s.finish("within " + ANSWER_BOUND_MS + " ms");
        }
        synchronized (closing) {
          closing[0] = true;
        }
        stream.close();
      } else {
        pause(rnd, 400);
        synchronized (closing) {
          closing[0] = true;
        }
        s.abandon();
        if (ending == Ending.RST_IN_FLIGHT) {
          stream.reset();
        } else {
          stream.close();
        }
      }
      inv.outcome("sse ended " + ending);
    } finally {
      synchronized (closing) {
        closing[0] = true;
      }
      stream.close();
      reader.join(5_000);
    }
  }

  private void readSse(RawHttp.Stream stream, McpSession s, boolean[] closing) {
    try {
      for (RawHttp.Event e = stream.nextEvent(); e != null; e = stream.nextEvent()) {
        if ("message".equals(e.type())) {
          s.onMessage(McpSession.JSON.readTree(e.data()));
        }
      }
    } catch (IOException e) {
      // closed by us or reset by the router: judged below
    }
    synchronized (closing) {
      if (!closing[0] && !s.disrupted()) {
        inv.violation(
            s.worker,
            "stream ended",
            "the router ended the SSE stream of session "
                + s.tag
                + " on "
                + s.key
                + " with no stop or crash ("
                + s.inFlight()
                + " in flight)");
      }
    }
    s.finish("stream ended");
  }

  /** POSTs to /messages; false when it was refused (the session is then not usable). */
  private boolean postSse(String worker, McpSession s, String endpoint, ObjectNode message) {
    try {
      RawHttp.Response r =
          RawHttp.json(router.proxyPort(), "POST", endpoint, null, message.toString(), 15_000);
      if (r.status() == 202) {
        return true;
      }
      if (message.has("id")) {
        s.refused(message);
      }
      if (r.status() == 404 && s.disrupted()) {
        inv.outcome("404 after a stop or crash");
      } else {
        inv.judgeStatus(
            worker,
            "POST " + message.path("method").asText() + " " + s.tag,
            s.key,
            s.disrupted() ? -1 : inv.disruptionCount(s.key),
            r.status(),
            r.text());
      }
      return false;
    } catch (IOException e) {
      inv.violation(worker, "post failed", "POST /messages " + s.tag + ": " + e);
      return false;
    }
  }

  // ------------------------------------------------------------ Streamable HTTP

  void streamable(String worker, String tag, String key, Random rnd) throws Exception {
    McpSession s = new McpSession(tag, key, worker, inv);
    Ending ending = ending(rnd, true);
    List<RawHttp.Stream> open = new CopyOnWriteArrayList<>();
    String path = "/mcp/" + key;
    ObjectNode init = s.request("initialize", initParams("2025-06-18"));
    s.expect(init, null, null, 0, null);
    String[] sessionId = {null};
    if (!postMcp(worker, s, path, null, init, rnd.nextInt(4) == 0, open, sessionId)) {
      return;
    }
    if (sessionId[0] == null) {
      inv.violation(
          worker, "no session id", "initialize on " + path + " answered without Mcp-Session-Id");
      return;
    }
    String sid = sessionId[0];
    inv.log(
        worker,
        "mcp " + tag + " key=" + key + " session=" + sid.substring(0, 8) + " ending=" + ending);
    try {
      postMcp(
          worker,
          s,
          path,
          sid,
          McpSession.JSON
              .createObjectNode()
              .put("jsonrpc", "2.0")
              .put("method", "notifications/initialized"),
          false,
          open,
          null);
      if (rnd.nextInt(3) == 0) {
        getStream(worker, s, path, sid, open);
      }
      int calls = 1 + rnd.nextInt(6);
      for (int i = 0; i < calls; i++) {
        ObjectNode call = tools.pick(rnd, s, key);
        boolean jsonOnly = rnd.nextInt(4) == 0;
        boolean hang = "hang".equals(call.path("params").path("name").asText());
        pool.execute(() -> postMcp(worker, s, path, sid, call, jsonOnly, open, null));
        if (hang && rnd.nextBoolean()) {
          pause(rnd, 300);
          s.cancelled(call);
          inv.log(worker, tag + " cancels " + call.get("id"));
          postMcp(worker, s, path, sid, cancel(call), false, open, null);
          inv.outcome("cancelled");
        }
      }
      if (ending == Ending.CLEAN) {
        if (!s.awaitAll(ANSWER_BOUND_MS)) {
          s.finish("within " + ANSWER_BOUND_MS + " ms");
        }
        s.abandon(); // nothing more is expected; an open GET stream may now end
        long began = System.currentTimeMillis();
        try {
          RawHttp.Response r =
              RawHttp.exchange(
                  router.proxyPort(), "DELETE", path, Map.of("Mcp-Session-Id", sid), null, 15_000);
          if (r.status() != 204 && !(r.status() == 404 && s.disrupted())) {
            inv.judgeStatus(worker, "DELETE " + path, key, -1, r.status(), r.text());
          }
        } catch (IOException e) {
          inv.violation(
              worker,
              "DELETE unanswered",
              "DELETE of session "
                  + tag
                  + " ("
                  + sid.substring(0, 8)
                  + ") on "
                  + key
                  + ": "
                  + e
                  + " after "
                  + (System.currentTimeMillis() - began)
                  + " ms");
        }
      } else {
        pause(rnd, 400);
        s.abandon();
      }
      inv.outcome("mcp ended " + ending);
    } finally {
      s.abandon();
      for (RawHttp.Stream st : open) {
        if (ending == Ending.RST_IN_FLIGHT) {
          st.reset();
        } else {
          st.close();
        }
      }
    }
  }

  /**
   * POSTs one message to /mcp and reads its answer to the end (an SSE stream, a JSON body or 202).
   */
  private boolean postMcp(
      String worker,
      McpSession s,
      String path,
      String sid,
      ObjectNode message,
      boolean jsonOnly,
      List<RawHttp.Stream> open,
      String[] sessionIdOut) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/json");
    headers.put("Accept", jsonOnly ? "application/json" : "application/json, text/event-stream");
    if (sid != null) {
      headers.put("Mcp-Session-Id", sid);
      headers.put("MCP-Protocol-Version", "2025-06-18");
    }
    boolean request = message.has("id");
    RawHttp.Stream st = null;
    try {
      st =
          RawHttp.open(
              router.proxyPort(),
              "POST",
              path,
              headers,
              message.toString().getBytes(StandardCharsets.UTF_8),
              ANSWER_BOUND_MS);
      open.add(st);
      if (sessionIdOut != null) {
        sessionIdOut[0] = st.header("Mcp-Session-Id");
      }
      if (st.status == 202 && !request) {
        return true;
      }
      if (st.status != 200) {
        if (request) {
          s.refused(message);
        }
        String body = new String(st.body.readNBytes(2000), StandardCharsets.UTF_8);
        if (request && s.wasCancelled(message)) {
          inv.outcome(
              "cancelled request answered "
                  + st.status); // the client gave up on it: any clear end will do
        } else if (st.status == 404 && s.disrupted()) {
          inv.outcome("404 after a stop or crash");
        } else {
          inv.judgeStatus(
              worker,
              "POST " + path + " " + message.path("method").asText() + " " + s.tag,
              s.key,
              s.disrupted() ? -1 : inv.disruptionCount(s.key),
              st.status,
              body);
        }
        return false;
      }
      String type = st.header("Content-Type");
      if (type != null && type.startsWith("text/event-stream")) {
        for (RawHttp.Event e = st.nextEvent(); e != null; e = st.nextEvent()) {
          if ("message".equals(e.type()) && !e.data().isEmpty()) {
            s.onMessage(McpSession.JSON.readTree(e.data()));
          }
        }
      } else {
        s.onMessage(McpSession.JSON.readTree(st.body.readAllBytes()));
      }
      return true;
    } catch (IOException e) {
      if (request && s.wasCancelled(message)) {
        inv.outcome("stream of a cancelled request still open after " + ANSWER_BOUND_MS + " ms");
      } else if (request && !s.disrupted()) {
        s.finish("POST " + path + " failed: " + e);
      }
      return false;
    } finally {
      if (st != null) {
        st.close();
        open.remove(st);
      }
    }
  }

  /** Opens the session's standalone GET stream and reads it on a pool thread until it ends. */
  private void getStream(
      String worker, McpSession s, String path, String sid, List<RawHttp.Stream> open) {
    pool.execute(
        () -> {
          try (RawHttp.Stream st =
              RawHttp.open(
                  router.proxyPort(),
                  "GET",
                  path,
                  Map.of("Accept", "text/event-stream", "Mcp-Session-Id", sid),
                  null,
                  15_000)) {
            open.add(st);
            if (s.abandoned()) {
              // the session ended while this GET was waiting for a pool thread: its closing loop
              // ran
              // without it, and a client that holds a GET open keeps its session, rightly, for ever
              return;
            }
            if (st.status != 200) {
              inv.judgeStatus(worker, "GET " + path + " " + s.tag, s.key, -1, st.status, "");
              return;
            }
            st.timeout(0);
            for (RawHttp.Event e = st.nextEvent(); e != null; e = st.nextEvent()) {
              if ("message".equals(e.type()) && !e.data().isEmpty()) {
                s.onMessage(McpSession.JSON.readTree(e.data()));
              }
            }
          } catch (IOException e) {
            // closed by us
          }
        });
  }

  // ------------------------------------------------------------ messages

  static ObjectNode initParams(String version) {
    ObjectNode p = McpSession.JSON.createObjectNode().put("protocolVersion", version);
    p.putObject("capabilities");
    p.putObject("clientInfo").put("name", "soak").put("version", "1");
    return p;
  }

  static ObjectNode cancel(ObjectNode request) {
    ObjectNode n =
        McpSession.JSON
            .createObjectNode()
            .put("jsonrpc", "2.0")
            .put("method", "notifications/cancelled");
    n.putObject("params")
        .<ObjectNode>set("requestId", (JsonNode) request.get("id"))
        .put("reason", "soak");
    return n;
  }

  /**
   * A random pause before a cancel or a disconnect: it varies where in a call's life the fault
   * lands.
   */
  static void pause(Random rnd, int maxMs) throws InterruptedException {
    Thread.sleep(rnd.nextInt(maxMs));
  }
}
