package io.mcprouter.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One client session's expectations, whatever the transport: every request it sent, the answer each
 * must get (echo texts are unique, carrying the session's tag, so a misrouted answer names its real
 * owner), and the checks on every message that arrives.
 */
final class McpSession {

  static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern TAG = Pattern.compile("soak:([a-z0-9-]+):");

  /** What one request expects: an exact text, a text length, or a particular error. */
  private record Pending(
      String tool, String text, int length, String progressToken, long disruption, long sentMs) {}

  final String tag;
  final String key;
  final String worker;
  private final Invariants inv;
  private final Map<String, Pending> pending = new HashMap<>();
  private final Set<String> answered = new HashSet<>();
  private final Set<String> cancelled = new HashSet<>();
  private final Set<String> progressTokens = new HashSet<>();
  private final long disruptionAtStart;
  private int seq;

  /** After an abrupt close nothing more is expected for this session. */
  private boolean abandoned;

  /** The per-session child was told to crash: the router closes the session. */
  private boolean selfCrashed;

  McpSession(String tag, String key, String worker, Invariants inv) {
    this.tag = tag;
    this.key = key;
    this.worker = worker;
    this.inv = inv;
    this.disruptionAtStart = inv.disruptionCount(key);
  }

  /** A unique text for an echo, naming this session. */
  synchronized String text() {
    return "soak:" + tag + ":" + (++seq);
  }

  /**
   * A request with a fresh id (numbers and strings alternate: the router must restore each
   * exactly).
   */
  synchronized ObjectNode request(String method, JsonNode params) {
    int n = ++seq;
    ObjectNode r = JSON.createObjectNode().put("jsonrpc", "2.0");
    if (n % 2 == 0) {
      r.put("id", n);
    } else {
      r.put("id", "soak:" + tag + ":id" + n);
    }
    r.put("method", method);
    if (params != null) {
      r.set("params", params);
    }
    return r;
  }

  /**
   * A tools/call of {@code tool}; expects {@code text} back (null: any text), or {@code length}
   * x's.
   */
  synchronized ObjectNode toolCall(
      String tool, ObjectNode args, String expectText, int expectLength, boolean progress) {
    ObjectNode params = JSON.createObjectNode().put("name", tool);
    params.set("arguments", args);
    String token = null;
    if (progress) {
      token = "soak:" + tag + ":p" + (seq + 1);
      params.putObject("_meta").put("progressToken", token);
      progressTokens.add(token);
    }
    ObjectNode r = request("tools/call", params);
    expect(r, tool, expectText, expectLength, token);
    return r;
  }

  synchronized void expect(ObjectNode request, String tool, String text, int length, String token) {
    pending.put(
        request.get("id").toString(),
        new Pending(
            tool, text, length, token, inv.disruptionCount(key), System.currentTimeMillis()));
  }

  /** The POST was refused (a documented 503, a 404 after a stop): no answer will come. */
  synchronized void refused(ObjectNode request) {
    pending.remove(request.get("id").toString());
    notifyAll();
  }

  synchronized void cancelled(ObjectNode request) {
    cancelled.add(request.get("id").toString());
    pending.remove(request.get("id").toString());
    notifyAll();
  }

  synchronized boolean wasCancelled(ObjectNode request) {
    return cancelled.contains(request.get("id").toString());
  }

  /** Whether the session's client has given up: a stream it opens from now on is closed at once. */
  synchronized boolean abandoned() {
    return abandoned;
  }

  synchronized void abandon() {
    abandoned = true;
    notifyAll();
  }

  synchronized void crashedOnPurpose() {
    selfCrashed = true;
  }

  synchronized int inFlight() {
    return pending.size();
  }

  /** Whether errors and an early end are legitimate for this session now. */
  synchronized boolean disrupted() {
    return selfCrashed || inv.disruptedSince(key, disruptionAtStart);
  }

  /** Waits until every request has its answer; false when the time ran out. */
  synchronized boolean awaitAll(long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!pending.isEmpty() && !abandoned) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    return true;
  }

  /** The session is over: whatever is still pending never got its answer. */
  synchronized void finish(String how) {
    if (abandoned || pending.isEmpty()) {
      return;
    }
    if (disrupted()) {
      inv.outcome("unanswered after a stop or crash");
    } else {
      inv.violation(
          worker,
          "no answer",
          pending.size()
              + " request(s) of session "
              + tag
              + " on "
              + key
              + " never answered ("
              + how
              + "): "
              + pending.keySet()
              + " "
              + pending.values().iterator().next());
    }
    pending.clear();
  }

  /** Judges one message from the router. */
  synchronized void onMessage(JsonNode msg) {
    if (msg.has("method")) {
      if ("notifications/progress".equals(msg.path("method").asText())) {
        String token = msg.path("params").path("progressToken").asText();
        if (!progressTokens.contains(token)) {
          inv.violation(
              worker, "misrouted progress", "session " + tag + " got progress for token " + token);
        }
      }
      return; // broadcast notifications are for everyone
    }
    String id = msg.path("id").toString();
    Pending p = pending.remove(id);
    notifyAll();
    if (p == null) {
      if (cancelled.contains(id)) {
        inv.outcome("answer after cancel");
      } else if (answered.contains(id)) {
        inv.violation(
            worker,
            "duplicate answer",
            "session " + tag + " got a second answer for id " + id + ": " + brief(msg));
      } else if (!abandoned) {
        inv.violation(
            worker,
            "misrouted answer",
            "session " + tag + " got an answer for id " + id + " it never sent: " + brief(msg));
      }
      return;
    }
    answered.add(id);
    JsonNode error = msg.get("error");
    if (error != null) {
      judgeError(p, id, error);
      return;
    }
    if (p.tool == null) {
      return; // initialize, tools/list, ping: any result
    }
    String text = msg.path("result").path("content").path(0).path("text").asText(null);
    if (p.text != null && !p.text.equals(text)) {
      Matcher m = TAG.matcher(text == null ? "" : text);
      String owner = m.find() ? m.group(1) : null;
      inv.violation(
          worker,
          owner != null && !owner.equals(tag) ? "misrouted answer" : "wrong answer",
          "session "
              + tag
              + " id "
              + id
              + " "
              + p.tool
              + " expected '"
              + p.text
              + "' got "
              + brief(msg)
              + (owner != null && !owner.equals(tag) ? " (belongs to session " + owner + ")" : ""));
    } else if (p.length > 0 && (text == null || text.length() != p.length)) {
      inv.violation(
          worker,
          "wrong answer",
          "session "
              + tag
              + " big: expected "
              + p.length
              + " chars, got "
              + (text == null ? "none" : text.length()));
    } else if ("hang".equals(p.tool)) {
      inv.violation(
          worker, "wrong answer", "session " + tag + " a hang call got a result: " + brief(msg));
    }
  }

  private void judgeError(Pending p, String id, JsonNode error) {
    int code = error.path("code").asInt();
    String message = error.path("message").asText("");
    if (message.isEmpty()) {
      inv.violation(
          worker,
          "unclear error",
          "session " + tag + " id " + id + " error without a message: " + error);
    } else if (code == -32004) {
      inv.outcome(
          "error -32004 timeout (" + ("hang".equals(p.tool) ? "hang" : "other: " + p.tool) + ")");
    } else if (code == -32002) {
      inv.outcome(
          "error -32002 "
              + (message.contains("mcprouter.") ? Invariants.limitName(message) : "unavailable"));
    } else if ("crash".equals(p.tool) || selfCrashed || inv.disruptedSince(key, p.disruption)) {
      inv.outcome("error " + code + " after a stop or crash");
    } else {
      inv.violation(
          worker,
          "unexpected error",
          "session " + tag + " on " + key + " id " + id + " " + p.tool + " -> " + error);
    }
  }

  static String brief(JsonNode msg) {
    String s = msg.toString();
    return s.length() > 300 ? s.substring(0, 300) + "...(" + s.length() + " chars)" : s;
  }
}
