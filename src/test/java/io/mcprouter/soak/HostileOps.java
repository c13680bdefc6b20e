package io.mcprouter.soak;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Hostile and malformed requests from unauthenticated or careless clients: 10,000-deep JSON,
 * million-digit numbers, wrong types, non-JSON, wrong content types, garbage bytes, a connection
 * that sends half its headers. Each must get a 4xx with a clear (JSON) error, and the router must
 * stay up; a non-JSON Content-Type is always 415, on every path of both ports (issue 12).
 */
final class HostileOps {

  private static final String DEEP = "[".repeat(10_000) + "]".repeat(10_000);
  private static final String HUGE_NUMBER = "1" + "7".repeat(999_999);

  private final SoakRouter router;
  private final Invariants inv;

  HostileOps(SoakRouter router, Invariants inv) {
    this.router = router;
    this.inv = inv;
  }

  /** Where a hostile body is sent: every parser the router has for client input. */
  private record Target(boolean api, String path, String bearer) {}

  private Target target(Random rnd) {
    return switch (rnd.nextInt(5)) {
      case 0 -> new Target(false, "/mcp/" + SoakRouter.SHARED, null);
      case 1 -> new Target(false, "/messages?sessionid=" + "0".repeat(32), null);
      case 2 -> new Target(true, "/v1/call-tool", SoakRouter.SHARED);
      case 3 -> new Target(false, "/admin/stop-server", null);
      default -> new Target(true, "/v1/list-tools", SoakRouter.SHARED);
    };
  }

  private void post(String worker, String kind, Target t, String contentType, byte[] body) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", contentType);
    headers.put("Accept", "application/json, text/event-stream");
    if (t.bearer() != null) {
      headers.put("Authorization", "Bearer " + t.bearer());
    }
    int port = t.api() ? router.apiPort() : router.proxyPort();
    try {
      RawHttp.Response r = RawHttp.exchange(port, "POST", t.path(), headers, body, 30_000);
      String text = r.text();
      String what = kind + " POST " + t.path();
      if (!contentType.equals("application/json") && r.status() != 415) {
        // every port refuses a non-JSON body before any route reads it (a browser sends text/plain
        // cross-site)
        inv.violation(
            worker,
            "wrong type not 415",
            what
                + " as "
                + contentType
                + " -> "
                + r.status()
                + " "
                + text.substring(0, Math.min(200, text.length())));
      }
      if (r.status() >= 400 && r.status() < 500) {
        inv.outcome(kind + " -> " + r.status());
        if (!text.trim().startsWith("{")) {
          inv.violation(
              worker,
              "unclear error",
              what
                  + " -> "
                  + r.status()
                  + " without a JSON error: "
                  + text.substring(0, Math.min(200, text.length())));
        }
      } else if (r.status() == 503
          && kind.equals("malformed")
          && text.contains("\"code\":-32002")) {
        // a wrong-but-harmless body is served like any other call, and the 503 of a busy or
        // stopping
        // server (-32002, naming why) is documented
        inv.outcome(kind + " -> 503 busy");
      } else if (r.status() == 502
          && kind.equals("malformed")
          && text.contains("\"code\":-32000")) {
        // the same served call, on a server another worker stopped or crashed meanwhile: the REST
        // API's documented 502 carrying the server-gone error
        inv.outcome(kind + " -> 502 server gone");
      } else if (r.status() >= 500) {
        inv.violation(
            worker,
            "hostile 5xx",
            what + " -> " + r.status() + " " + text.substring(0, Math.min(300, text.length())));
      } else {
        // accepted: legitimate for a wrong-but-harmless body only; deep or huge input must be
        // refused
        inv.outcome(kind + " -> " + r.status());
        if (kind.equals("deep") || kind.equals("hugenum")) {
          inv.violation(
              worker,
              "hostile accepted",
              what + " -> " + r.status() + " " + text.substring(0, Math.min(200, text.length())));
        }
      }
    } catch (IOException e) {
      if (router.alive()) {
        inv.violation(worker, "hostile no answer", kind + " POST " + t.path() + ": " + e);
      }
    }
  }

  /** A JSON-RPC request whose params are nested 10,000 deep. */
  void deep(String worker, Random rnd) {
    inv.operation("deep");
    String body =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":" + DEEP + "}";
    Target t = target(rnd);
    if (t.api()) {
      body = "{\"name\":\"echo\",\"arguments\":{\"text\":" + DEEP + "}}";
    }
    post(worker, "deep", t, "application/json", body.getBytes(StandardCharsets.UTF_8));
  }

  /** A request holding a number with a million digits (as id or as an argument). */
  void hugeNumber(String worker, Random rnd) {
    inv.operation("hugenum");
    Target t = target(rnd);
    String body =
        t.api()
            ? "{\"name\":\"echo\",\"arguments\":{\"text\":\"x\",\"n\":" + HUGE_NUMBER + "}}"
            : "{\"jsonrpc\":\"2.0\",\"id\":"
                + HUGE_NUMBER
                + ",\"method\":\"initialize\",\"params\":{}}";
    post(worker, "hugenum", t, "application/json", body.getBytes(StandardCharsets.UTF_8));
  }

  /** Malformed: non-JSON, truncated, wrong types, a batch, invalid UTF-8, a wrong content type. */
  void malformed(String worker, Random rnd) {
    inv.operation("malformed");
    Target t = target(rnd);
    String[] bodies = {
      "this is not json",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":",
      "{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":5,\"params\":\"x\"}",
      "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
      "{\"jsonrpc\":1,\"id\":true,\"method\":[\"tools/call\"]}",
      "{\"name\":42,\"arguments\":\"not an object\"}",
      "null",
      "",
    };
    int pick = rnd.nextInt(bodies.length + 2);
    if (pick == bodies.length) {
      post(
          worker,
          "malformed",
          t,
          "application/json",
          new byte[] {'{', '"', (byte) 0xff, (byte) 0xfe, '"', ':', '1', '}'});
    } else if (pick == bodies.length + 1) {
      post(
          worker,
          "malformed",
          t,
          "text/plain",
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}".getBytes(StandardCharsets.UTF_8));
    } else {
      post(
          worker,
          "malformed",
          t,
          "application/json",
          bodies[pick].getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * Bytes that are not HTTP, or a connection that sends half a request and then goes silent and
   * leaves.
   */
  void garbageConnection(String worker, Random rnd) throws InterruptedException {
    inv.operation("garbage-connection");
    int port = rnd.nextBoolean() ? router.proxyPort() : router.apiPort();
    try {
      if (rnd.nextBoolean()) {
        byte[] junk = new byte[1 + rnd.nextInt(4000)];
        rnd.nextBytes(junk);
        byte[] answer = RawHttp.raw(port, junk, 10_000);
        String text = new String(answer, StandardCharsets.ISO_8859_1);
        if (text.startsWith("HTTP/1.1 5")) {
          inv.violation(
              worker,
              "hostile 5xx",
              "garbage bytes -> " + text.substring(0, Math.min(200, text.length())));
        }
        inv.outcome("garbage bytes -> " + (text.length() >= 12 ? text.substring(9, 12) : "closed"));
      } else {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
          s.getOutputStream()
              .write(
                  "POST /v1/call-tool HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le"
                      .getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().flush();
          SessionOps.pause(rnd, 3000);
          if (rnd.nextBoolean()) {
            s.setSoLinger(true, 0);
          }
        }
        inv.outcome("silent connection left");
      }
    } catch (IOException e) {
      inv.outcome("garbage connection: " + e.getClass().getSimpleName());
    }
  }
}
