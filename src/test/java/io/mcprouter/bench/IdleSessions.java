package io.mcprouter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The idle-sessions benchmark (issue 6): opens N MCP sessions on one transport against a running
 * router, leaves each with its event stream open and idle, and measures what holding them costs the
 * router and whether it still answers.
 *
 * <ul>
 *   <li>sse: {@code GET /sse/{key}} up to the endpoint event, POST initialize (its answer read off
 *       the stream) and notifications/initialized, then the GET stays open.
 *   <li>streamable: POST initialize (Accept: application/json, text/event-stream), POST
 *       notifications/initialized, then the standalone {@code GET /mcp/{key}} stream stays open.
 * </ul>
 *
 * Raw HTTP/1.1 over blocking {@link SocketChannel}s from a small pool of workers (each with one
 * keep-alive connection for its POSTs); once a session is open its stream socket is handed to one
 * selector thread that drains keep-alive comments and notices EOF. Reports, as markdown rows on
 * stdout: time to open all N, the router's RSS and live heap (after a full GC, from jstat) before
 * and with the sessions open, threads, the latency of sequential pings from one more session while
 * they are open, how many sessions survived, and the router's memory after all are closed.
 *
 * <pre>--transport=sse|streamable --port=P [--host=127.0.0.1] [--key=shared] --sessions=N
 * [--concurrency=64] [--pings=1000] [--hold=20] [--warmup=200] [--timeout=30] --router-pid=PID
 * </pre>
 *
 * Output lines start with {@code ROW} (main table), {@code EXTRA} (second table) or go to stderr.
 */
public final class IdleSessions {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VERSION = "2025-06-18";
  private static final String INITIALIZE =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
          + "{\"protocolVersion\":\""
          + VERSION
          + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"idle-bench\",\"version\":\"1\"}}}";
  private static final String INITIALIZED =
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";

  private static String host;
  private static int port;
  private static String key;
  private static int timeoutMs;
  private static int settleSeconds;

  private IdleSessions() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      o.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    String transport = o.getOrDefault("transport", "sse");
    host = o.getOrDefault("host", "127.0.0.1");
    port = Integer.parseInt(o.get("port"));
    key = o.getOrDefault("key", "shared");
    int sessions = Integer.parseInt(o.getOrDefault("sessions", "1000"));
    int concurrency = Integer.parseInt(o.getOrDefault("concurrency", "64"));
    int pings = Integer.parseInt(o.getOrDefault("pings", "1000"));
    int holdSeconds = Integer.parseInt(o.getOrDefault("hold", "20"));
    int warmup = Integer.parseInt(o.getOrDefault("warmup", "200"));
    settleSeconds = Integer.parseInt(o.getOrDefault("settle", "75"));
    boolean diagnose = Boolean.parseBoolean(o.getOrDefault("diagnose", "false"));
    timeoutMs = Integer.parseInt(o.getOrDefault("timeout", "30")) * 1000;
    long pid = Long.parseLong(o.get("router-pid"));
    boolean sse =
        switch (transport) {
          case "sse" -> true;
          case "streamable" -> false;
          default -> throw new IllegalArgumentException("--transport must be sse or streamable");
        };

    Drainer drainer = new Drainer();
    drainer.start();

    // warm-up: class loading and JIT of the open and ping paths are not a per-session cost
    if (warmup > 0) {
      Opened warm = openAll(sse, warmup, Math.min(concurrency, warmup), drainer);
      try (Pinger pinger = sse ? new SsePinger() : new StreamablePinger()) {
        pinger.pingAll(pings); // JIT
      }
      closeAll(sse, warm.sessions, concurrency);
      double released = awaitReleased(0);
      log(
          "warm-up: %d sessions opened and closed, released by the router after %.1f s",
          warm.sessions.size(), released);
    }
    drainer.resetCounters();

    // the floor: the same pings with no other session open
    settle(pid, 0);
    long[] floor;
    try (Pinger pinger = sse ? new SsePinger() : new StreamablePinger()) {
      floor = Arrays.stream(pinger.pingAll(pings)).filter(l -> l > 0).sorted().toArray();
    }
    log(
        "pings with no other session: p50 %d µs, p99 %d µs",
        micros(floor, 0.5), micros(floor, 0.99));
    awaitReleased(0);

    settle(pid, 0);
    Memory before = Memory.of(pid);
    log("before: %s", before);
    if (diagnose) {
      Memory.run("jcmd", String.valueOf(pid), "VM.native_memory", "baseline");
    }

    Opened opened = openAll(sse, sessions, concurrency, drainer);
    double openSeconds = opened.nanos / 1e9;
    log(
        "opened %d of %d %s sessions in %.2f s (%d failed)",
        opened.sessions.size(), sessions, transport, openSeconds, opened.failures.get());
    opened.printFailures();
    Memory justOpened = Memory.raw(pid);
    log("just opened (no GC): %s", justOpened);
    log("router threads by name: %s", Memory.threadNames(pid));

    // hold them idle (keep-alive comments arrive every 15 s and are drained by the selector thread)
    settle(pid, holdSeconds);
    Memory open = Memory.of(pid);
    log("held %d s: %s", holdSeconds, open);
    if (diagnose) {
      diagnose(pid, "with the sessions open", true);
    }

    long[] latencies;
    int pingErrors;
    int stillOpen;
    int listed;
    try (Pinger pinger = sse ? new SsePinger() : new StreamablePinger()) {
      latencies = pinger.pingAll(pings);
      pingErrors = pinger.errors;
      Thread.sleep(500);
      stillOpen = opened.sessions.size() - drainer.closedSince();
      listed = listClients() - 1; // less the ping session
    }
    log(
        "after pings: %d of %d stream sockets still open, router lists %d clients, %d keep-alive bytes drained",
        stillOpen, opened.sessions.size(), listed, drainer.bytes.get());
    if (holdSeconds > 0 && drainer.bytes.get() == 0) {
      log("note: no keep-alive seen on the idle streams during the hold");
    }

    closeAll(sse, opened.sessions, concurrency);
    double released = awaitReleased(0);
    settle(pid, 0);
    Memory closed = Memory.of(pid);
    int listedAfter = listClients();
    log(
        "closed: the router released them after %.1f s; %s, router lists %d clients",
        released, closed, listedAfter);
    log("router threads by name: %s", Memory.threadNames(pid));
    if (diagnose) {
      diagnose(pid, "after they closed", false);
    }
    // how much of what RSS kept is memory malloc holds free (glibc): returned to the OS by a trim
    String trim = Memory.run("jcmd", String.valueOf(pid), "System.trim_native_heap").trim();
    log("after close, %s", trim.substring(trim.lastIndexOf('\n') + 1));
    drainer.stop();

    int n = Math.max(1, opened.sessions.size());
    long[] sorted = Arrays.stream(latencies).filter(l -> l > 0).sorted().toArray();
    int dropped = opened.sessions.size() - stillOpen;
    int errors = opened.failures.get() + pingErrors + dropped;
    System.out.printf(
        Locale.ROOT,
        "ROW | %s | %d | %.2f | %.0f | %.1f | %.1f | %.1f | %.1f | %d → %d | %d | %d | %d | %d |%n",
        transport,
        sessions,
        openSeconds,
        opened.sessions.size() / openSeconds,
        (open.rssKb - before.rssKb) / 1024.0,
        (open.rssKb - before.rssKb) / (double) n,
        (open.heapKb - before.heapKb) / 1024.0,
        (open.heapKb - before.heapKb) / (double) n,
        before.threads,
        open.threads,
        micros(sorted, 0.50),
        micros(sorted, 0.99),
        sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1000,
        errors);
    System.out.printf(
        Locale.ROOT,
        "EXTRA | %s | %d | %d | %d | %d | %d | %.1f | %d | %d / %d / %d | %.0f → %.0f → %.0f | %.1f → %.1f → %.1f | %s | %d | %d / %d |%n",
        transport,
        sessions,
        opened.sessions.size(),
        opened.failures.get(),
        stillOpen,
        listed,
        released,
        listedAfter,
        before.fds,
        open.fds,
        closed.fds,
        before.rssKb / 1024.0,
        open.rssKb / 1024.0,
        closed.rssKb / 1024.0,
        before.heapKb / 1024.0,
        open.heapKb / 1024.0,
        closed.heapKb / 1024.0,
        before.nmtKb < 0
            ? "n/a"
            : String.format(Locale.ROOT, "%.1f", (open.nmtKb - before.nmtKb) / (double) n),
        pingErrors,
        micros(floor, 0.5),
        micros(floor, 0.99));
  }

  // ---------------------------------------------------------------- opening and closing sessions

  /**
   * One open session: its idle stream socket, and for Streamable HTTP the session id (to DELETE
   * it).
   */
  private record Idle(SocketChannel stream, String sessionId) {}

  private static final class Opened {
    final List<Idle> sessions = new ArrayList<>();
    final AtomicInteger failures = new AtomicInteger();
    final Map<String, AtomicInteger> failureKinds = new ConcurrentHashMap<>();
    long nanos;

    void fail(Exception e) {
      failures.incrementAndGet();
      String kind =
          e.getClass().getSimpleName()
              + ": "
              + String.valueOf(e.getMessage()).replaceAll("[0-9a-f]{8,}", "…");
      failureKinds
          .computeIfAbsent(
              kind.length() > 300 ? kind.substring(0, 300) : kind, k -> new AtomicInteger())
          .incrementAndGet();
    }

    void printFailures() {
      failureKinds.forEach((kind, count) -> log("  %d × %s", count.get(), kind));
    }
  }

  private static Opened openAll(boolean sse, int count, int concurrency, Drainer drainer)
      throws InterruptedException {
    Opened opened = new Opened();
    AtomicInteger next = new AtomicInteger();
    List<Thread> workers = new ArrayList<>();
    long began = System.nanoTime();
    for (int w = 0; w < concurrency; w++) {
      Thread worker =
          new Thread(
              () -> {
                Conn posts = null;
                while (next.getAndIncrement() < count) {
                  try {
                    if (posts == null || posts.mustClose) {
                      closeQuietly(posts);
                      posts = Conn.open();
                    }
                    Idle idle = sse ? openSse(posts) : openStreamable(posts);
                    synchronized (opened.sessions) {
                      opened.sessions.add(idle);
                    }
                    drainer.add(idle.stream());
                  } catch (Exception e) {
                    opened.fail(e);
                    closeQuietly(posts);
                    posts = null;
                  }
                }
                closeQuietly(posts);
              },
              "opener-" + w);
      worker.start();
      workers.add(worker);
    }
    for (Thread worker : workers) {
      worker.join();
    }
    opened.nanos = System.nanoTime() - began;
    return opened;
  }

  private static Idle openSse(Conn posts) throws IOException {
    Conn stream = Conn.open();
    try {
      stream.send("GET", "/sse/" + key, "Accept: text/event-stream\r\n", null);
      Head head = stream.readHead();
      if (head.status != 200) {
        throw new IOException("GET /sse: " + head.status + " " + stream.readBody(head));
      }
      Sse events = new Sse(stream, head);
      String[] endpoint = events.next();
      if (!"endpoint".equals(endpoint[0])) {
        throw new IOException("first event was " + endpoint[0] + ", not endpoint");
      }
      postSse(posts, endpoint[1], INITIALIZE);
      String[] answer = events.next();
      JsonNode init = JSON.readTree(answer[1]);
      if (!"message".equals(answer[0]) || init.path("id").asInt() != 1 || !init.has("result")) {
        throw new IOException("initialize answer: " + answer[1]);
      }
      postSse(posts, endpoint[1], INITIALIZED);
      return new Idle(stream.channel, null);
    } catch (IOException | RuntimeException e) {
      stream.close();
      throw e;
    }
  }

  private static void postSse(Conn posts, String endpoint, String body) throws IOException {
    posts.send("POST", endpoint, "Content-Type: application/json\r\n", body);
    Head head = posts.readHead();
    String answer = posts.readBody(head);
    if (head.status != 202) {
      throw new IOException("POST /messages: " + head.status + " " + answer);
    }
  }

  private static Idle openStreamable(Conn posts) throws IOException {
    posts.send(
        "POST",
        "/mcp/" + key,
        "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n",
        INITIALIZE);
    Head head = posts.readHead();
    String body = posts.readBody(head);
    String sessionId = head.headers.get("mcp-session-id");
    if (head.status != 200 || sessionId == null) {
      throw new IOException("POST initialize: " + head.status + " " + body);
    }
    JsonNode init = JSON.readTree(streamableAnswer(head, body));
    if (init.path("id").asInt() != 1 || !init.has("result")) {
      throw new IOException("initialize answer: " + body);
    }
    String session =
        "Mcp-Session-Id: " + sessionId + "\r\nMCP-Protocol-Version: " + VERSION + "\r\n";
    posts.send(
        "POST",
        "/mcp/" + key,
        "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
            + session,
        INITIALIZED);
    head = posts.readHead();
    body = posts.readBody(head);
    if (head.status != 202) {
      throw new IOException("POST notifications/initialized: " + head.status + " " + body);
    }
    Conn stream = Conn.open();
    try {
      stream.send("GET", "/mcp/" + key, "Accept: text/event-stream\r\n" + session, null);
      head = stream.readHead();
      if (head.status != 200) {
        throw new IOException("GET /mcp: " + head.status + " " + stream.readBody(head));
      }
      return new Idle(stream.channel, sessionId);
    } catch (IOException | RuntimeException e) {
      stream.close();
      throw e;
    }
  }

  /**
   * The JSON-RPC answer in a Streamable HTTP POST response: a JSON body, or the data of its SSE
   * message event.
   */
  private static String streamableAnswer(Head head, String body) throws IOException {
    if (!head.headers.getOrDefault("content-type", "").startsWith("text/event-stream")) {
      return body;
    }
    for (String event : body.split("\n\n")) {
      String type = "message";
      StringBuilder data = new StringBuilder();
      for (String line : event.split("\n")) {
        if (line.startsWith("event:")) {
          type = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(line.startsWith("data: ") ? 6 : 5));
        }
      }
      if ("message".equals(type) && !data.toString().isBlank()) {
        return data.toString();
      }
    }
    throw new IOException("no message event in " + body);
  }

  /**
   * SSE: closing the stream ends the session. Streamable HTTP: DELETE it, then close its stream.
   */
  private static void closeAll(boolean sse, List<Idle> sessions, int concurrency)
      throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      Thread worker =
          new Thread(
              () -> {
                Conn posts = null;
                int i;
                while ((i = next.getAndIncrement()) < sessions.size()) {
                  Idle idle = sessions.get(i);
                  if (!sse) {
                    try {
                      if (posts == null || posts.mustClose) {
                        closeQuietly(posts);
                        posts = Conn.open();
                      }
                      posts.send(
                          "DELETE",
                          "/mcp/" + key,
                          "Mcp-Session-Id: "
                              + idle.sessionId()
                              + "\r\nMCP-Protocol-Version: "
                              + VERSION
                              + "\r\n",
                          null);
                      Head head = posts.readHead();
                      posts.readBody(head);
                      if (head.status != 204) {
                        failures.incrementAndGet();
                      }
                    } catch (IOException e) {
                      failures.incrementAndGet();
                      closeQuietly(posts);
                      posts = null;
                    }
                  }
                  try {
                    idle.stream().close();
                  } catch (IOException ignored) {
                    // closing is all we wanted
                  }
                }
                closeQuietly(posts);
              },
              "closer-" + w);
      worker.start();
      workers.add(worker);
    }
    for (Thread worker : workers) {
      worker.join();
    }
    if (failures.get() > 0) {
      log("closing: %d DELETEs failed", failures.get());
    }
  }

  // ---------------------------------------------------------------- pings from one more session

  private abstract static class Pinger implements AutoCloseable {
    int errors;

    abstract JsonNode ping(int id) throws IOException;

    long[] pingAll(int count) {
      long[] latencies = new long[count];
      for (int i = 0; i < count; i++) {
        int id = 1000 + i;
        long sent = System.nanoTime();
        try {
          JsonNode answer = ping(id);
          latencies[i] = System.nanoTime() - sent;
          if (answer.path("id").asInt() != id || !answer.has("result")) {
            errors++;
            log("ping %d: wrong answer %s", id, answer);
          }
        } catch (IOException e) {
          errors++;
          log("ping %d failed: %s", id, e);
        }
      }
      return latencies;
    }

    static String pingRequest(int id) {
      return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"ping\"}";
    }
  }

  private static final class SsePinger extends Pinger {
    private final Conn stream;
    private final Sse events;
    private final String endpoint;
    private final Conn posts;

    SsePinger() throws IOException {
      posts = Conn.open();
      stream = Conn.open();
      stream.send("GET", "/sse/" + key, "Accept: text/event-stream\r\n", null);
      Head head = stream.readHead();
      if (head.status != 200) {
        throw new IOException(
            "ping session: GET /sse: " + head.status + " " + stream.readBody(head));
      }
      events = new Sse(stream, head);
      endpoint = events.next()[1];
      postSse(posts, endpoint, INITIALIZE);
      events.next();
      postSse(posts, endpoint, INITIALIZED);
    }

    @Override
    JsonNode ping(int id) throws IOException {
      postSse(posts, endpoint, pingRequest(id));
      String[] event = events.next();
      while (!"message".equals(event[0])) {
        event = events.next();
      }
      return JSON.readTree(event[1]);
    }

    @Override
    public void close() {
      stream.close();
      posts.close();
    }
  }

  private static final class StreamablePinger extends Pinger {
    private final Conn posts;
    private final String session;
    private final String sessionId;

    StreamablePinger() throws IOException {
      posts = Conn.open();
      Idle idle = openStreamable(posts); // a full session, its GET stream open like the others
      idle.stream().close(); // the ping session needs no standalone stream
      sessionId = idle.sessionId();
      session = "Mcp-Session-Id: " + sessionId + "\r\nMCP-Protocol-Version: " + VERSION + "\r\n";
    }

    @Override
    JsonNode ping(int id) throws IOException {
      posts.send(
          "POST",
          "/mcp/" + key,
          "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
              + session,
          pingRequest(id));
      Head head = posts.readHead();
      String body = posts.readBody(head);
      if (head.status != 200) {
        throw new IOException("ping: " + head.status + " " + body);
      }
      return JSON.readTree(streamableAnswer(head, body));
    }

    @Override
    public void close() {
      try {
        posts.send("DELETE", "/mcp/" + key, session, null);
        posts.readBody(posts.readHead());
      } catch (IOException ignored) {
        // the session ends with the router anyway
      }
      posts.close();
    }
  }

  // ---------------------------------------------------------------- the idle streams

  /** One selector thread reading every idle stream: drains keep-alive comments, counts EOFs. */
  private static final class Drainer implements Runnable {
    private final Selector selector;
    private final Queue<SocketChannel> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger closed = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private volatile int closedBase;
    private volatile boolean running = true;
    private Thread thread;

    Drainer() throws IOException {
      selector = Selector.open();
    }

    void start() {
      thread = new Thread(this, "drainer");
      thread.setDaemon(true);
      thread.start();
    }

    void add(SocketChannel channel) {
      pending.add(channel);
      selector.wakeup();
    }

    void resetCounters() {
      closedBase = closed.get();
      bytes.set(0);
    }

    /** Streams that ended (EOF or reset) without us closing them, since the last reset. */
    int closedSince() {
      return closed.get() - closedBase;
    }

    void stop() throws InterruptedException {
      running = false;
      selector.wakeup();
      thread.join(5000);
    }

    @Override
    public void run() {
      ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 16);
      while (running) {
        try {
          selector.select(500);
          SocketChannel channel;
          while ((channel = pending.poll()) != null) {
            try {
              channel.configureBlocking(false);
              channel.register(selector, SelectionKey.OP_READ);
            } catch (IOException | RuntimeException closedMeanwhile) {
              // closed by us before registration (close phase): not a router-side drop
            }
          }
          for (SelectionKey selected : selector.selectedKeys()) {
            SocketChannel ch = (SocketChannel) selected.channel();
            int read;
            try {
              buffer.clear();
              read = ch.read(buffer);
            } catch (IOException e) {
              read = -1;
            }
            if (read < 0) {
              selected.cancel();
              closed.incrementAndGet();
              try {
                ch.close();
              } catch (IOException ignored) {
                // already gone
              }
            } else {
              bytes.addAndGet(read);
            }
          }
          selector.selectedKeys().clear();
        } catch (IOException | RuntimeException e) {
          if (running) {
            log("drainer: %s", e);
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- raw HTTP/1.1

  private record Head(int status, Map<String, String> headers) {}

  /**
   * A blocking HTTP/1.1 connection over a SocketChannel (so that it can later join the selector).
   */
  private static final class Conn implements AutoCloseable {
    final SocketChannel channel;
    final InputStream in;
    final OutputStream out;
    boolean mustClose;
    private long chunkLeft; // bytes left in the current chunk of a chunked body being streamed
    private boolean bodyDone;

    private Conn(SocketChannel channel) throws IOException {
      this.channel = channel;
      this.in = new BufferedInputStream(channel.socket().getInputStream(), 8192);
      this.out = channel.socket().getOutputStream();
    }

    static Conn open() throws IOException {
      SocketChannel channel = SocketChannel.open();
      try {
        channel.socket().setTcpNoDelay(true);
        channel.socket().connect(new InetSocketAddress(host, port), timeoutMs);
        channel.socket().setSoTimeout(timeoutMs);
        return new Conn(channel);
      } catch (IOException e) {
        channel.close();
        throw e;
      }
    }

    void send(String method, String path, String headers, String body) throws IOException {
      byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      String head =
          method
              + " "
              + path
              + " HTTP/1.1\r\nHost: "
              + host
              + ":"
              + port
              + "\r\n"
              + headers
              + (body == null ? "" : "Content-Length: " + bytes.length + "\r\n")
              + "\r\n";
      ByteArrayOutputStream request = new ByteArrayOutputStream(head.length() + bytes.length);
      request.write(head.getBytes(StandardCharsets.ISO_8859_1));
      request.write(bytes);
      out.write(request.toByteArray());
      out.flush();
    }

    Head readHead() throws IOException {
      String status = line();
      if (!status.startsWith("HTTP/1.")) {
        throw new IOException("not an HTTP response: " + status);
      }
      Map<String, String> headers = new LinkedHashMap<>();
      for (String l = line(); !l.isEmpty(); l = line()) {
        int colon = l.indexOf(':');
        headers.put(
            l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
      }
      mustClose = "close".equalsIgnoreCase(headers.getOrDefault("connection", ""));
      chunkLeft = 0;
      bodyDone = false;
      return new Head(Integer.parseInt(status.substring(9, 12)), headers);
    }

    /** The whole body: chunked, Content-Length, none (1xx/204/304) or up to EOF. */
    String readBody(Head head) throws IOException {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      if (chunked(head)) {
        int b;
        while ((b = bodyByte()) >= 0) {
          body.write(b);
        }
      } else if (head.headers.containsKey("content-length")) {
        byte[] bytes = in.readNBytes(Integer.parseInt(head.headers.get("content-length")));
        body.write(bytes);
      } else if (head.status != 204 && head.status != 304 && head.status >= 200) {
        body.write(in.readAllBytes());
        mustClose = true;
      }
      return body.toString(StandardCharsets.UTF_8);
    }

    static boolean chunked(Head head) {
      return head.headers
          .getOrDefault("transfer-encoding", "")
          .toLowerCase(Locale.ROOT)
          .contains("chunked");
    }

    /** One byte of a chunked body, decoding as it goes; -1 after the last chunk. */
    int bodyByte() throws IOException {
      if (bodyDone) {
        return -1;
      }
      if (chunkLeft == 0) {
        String size = line();
        if (size.isEmpty()) { // the CRLF closing the previous chunk
          size = line();
        }
        int semicolon = size.indexOf(';');
        chunkLeft =
            Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
        if (chunkLeft == 0) {
          for (String trailer = line(); !trailer.isEmpty(); trailer = line()) {
            // trailers: none expected
          }
          bodyDone = true;
          return -1;
        }
      }
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed inside a chunk");
      }
      chunkLeft--;
      return b;
    }

    /** A CRLF- (or LF-) terminated line of the head or of chunk framing. */
    private String line() throws IOException {
      StringBuilder line = new StringBuilder();
      int b;
      while ((b = in.read()) != '\n') {
        if (b < 0) {
          throw new EOFException(
              "connection closed" + (line.length() > 0 ? " after '" + line + "'" : ""));
        }
        if (b != '\r') {
          line.append((char) b);
        }
      }
      return line.toString();
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
  }

  /** Events off a streamed SSE body (chunked or close-delimited); comments are skipped. */
  private static final class Sse {
    private final Conn conn;
    private final boolean chunked;

    Sse(Conn conn, Head head) {
      this.conn = conn;
      this.chunked = Conn.chunked(head);
    }

    /** The next event as {type, data}. */
    String[] next() throws IOException {
      while (true) {
        String type = "message";
        StringBuilder data = null;
        for (String line = line(); !line.isEmpty(); line = line()) {
          if (line.startsWith("event:")) {
            type = line.substring(6).trim();
          } else if (line.startsWith("data:")) {
            data =
                (data == null ? new StringBuilder() : data.append('\n'))
                    .append(line.substring(line.startsWith("data: ") ? 6 : 5));
          }
        }
        if (data != null) {
          return new String[] {type, data.toString()};
        }
      }
    }

    private String line() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream(256);
      int b;
      while ((b = chunked ? conn.bodyByte() : conn.in.read()) != '\n') {
        if (b < 0) {
          throw new EOFException("event stream ended");
        }
        if (b != '\r') {
          line.write(b);
        }
      }
      return line.toString(StandardCharsets.UTF_8);
    }
  }

  private static void closeQuietly(Conn conn) {
    if (conn != null) {
      conn.close();
    }
  }

  // ---------------------------------------------------------------- the router's side

  /**
   * GET /admin/list-clients from loopback: how many sessions the router holds (-1 when it cannot
   * say).
   */
  private static int listClients() {
    try (Conn conn = Conn.open()) {
      conn.send("GET", "/admin/list-clients", "", null);
      Head head = conn.readHead();
      String body = conn.readBody(head);
      if (head.status != 200) {
        log("list-clients: %d %s", head.status, body);
        return -1;
      }
      return JSON.readTree(body).path("data").path("clients").size();
    } catch (IOException e) {
      log("list-clients: %s", e);
      return -1;
    }
  }

  /**
   * Polls the router's client list until it holds at most {@code clients}; the seconds that took. A
   * closed SSE stream is noticed by the router only when a keep-alive write fails (15 to 30 s).
   */
  private static double awaitReleased(int clients) throws InterruptedException {
    long began = System.nanoTime();
    int listed = listClients();
    while (listed > clients && System.nanoTime() - began < 60_000_000_000L) {
      Thread.sleep(500);
      listed = listClients();
    }
    if (listed > clients) {
      log("the router still lists %d clients 60 s after they were closed", listed);
    }
    return (System.nanoTime() - began) / 1e9;
  }

  /**
   * Logs the heap's class histogram (top 30) and the NMT categories that changed since the
   * baseline.
   */
  private static void diagnose(long pid, String when, boolean histogram)
      throws IOException, InterruptedException {
    if (histogram) {
      String[] lines = Memory.run("jcmd", String.valueOf(pid), "GC.class_histogram").split("\n");
      log("class histogram %s:", when);
      for (int i = 1; i < Math.min(lines.length, 34); i++) {
        log("  %s", lines[i]);
      }
    }
    String diff = Memory.run("jcmd", String.valueOf(pid), "VM.native_memory", "summary.diff");
    if (diff.contains("not enabled")) {
      return;
    }
    log("native memory %s, change since before they opened:", when);
    for (String line : diff.split("\n")) {
      if (line.matches("^(Total|-\\s+\\S).*") && line.matches(".*committed=\\d+KB [+-]\\d+KB.*")) {
        log("  %s", line.trim().replaceAll("\\s+", " "));
      }
    }
  }

  /**
   * Waits at least {@code minSeconds}, and then until the router's blocking dispatcher has let the
   * threads that a burst of traffic started time out (its keep-alive-time, 60 s), at most --settle
   * seconds in all: otherwise RSS and thread counts measure the last minute's traffic, not the
   * sessions. Its threads are those named {@code *blocking-dispatcher*}; at rest a shared server
   * holds three (stdin, stdout, stderr).
   */
  private static void settle(long pid, int minSeconds) throws IOException, InterruptedException {
    long began = System.nanoTime();
    Thread.sleep(minSeconds * 1000L);
    int blocking = Memory.blockingThreads(pid);
    while (blocking > 8 && System.nanoTime() - began < settleSeconds * 1_000_000_000L) {
      Thread.sleep(2000);
      blocking = Memory.blockingThreads(pid);
    }
    log(
        "settled after %.0f s: %d blocking-dispatcher threads",
        (System.nanoTime() - began) / 1e9, blocking);
  }

  /**
   * The router's memory: RSS, live heap (after two full GCs when gc), threads, file descriptors,
   * NMT committed.
   */
  private record Memory(long rssKb, long heapKb, long threads, long fds, long nmtKb) {

    static Memory of(long pid) throws IOException, InterruptedException {
      jcmd(pid, "GC.run");
      jcmd(pid, "GC.run");
      Thread.sleep(300);
      return raw(pid);
    }

    static Memory raw(long pid) throws IOException, InterruptedException {
      Map<String, Long> status = new HashMap<>();
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:") || line.startsWith("Threads:")) {
          status.put(
              line.substring(0, line.indexOf(':')), Long.parseLong(line.replaceAll("\\D", "")));
        }
      }
      long fds;
      try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
        fds = list.count();
      }
      return new Memory(
          status.getOrDefault("VmRSS", -1L),
          heapUsedKb(pid),
          status.getOrDefault("Threads", -1L),
          fds,
          nmtCommittedKb(pid));
    }

    /** The router's threads grouped by name without their numbers, largest groups first. */
    static String threadNames(long pid) throws IOException, InterruptedException {
      Map<String, Integer> groups = new HashMap<>();
      for (String line : run("jcmd", String.valueOf(pid), "Thread.print").split("\n")) {
        if (line.startsWith("\"")) {
          String name =
              line.substring(1, line.indexOf('"', 1))
                  .replaceAll("[-#]?[0-9]+$", "")
                  .replaceAll("[0-9]+", "N");
          groups.merge(name, 1, Integer::sum);
        }
      }
      StringBuilder out = new StringBuilder();
      groups.entrySet().stream()
          .sorted((a, b) -> b.getValue() - a.getValue())
          .limit(6)
          .forEach(e -> out.append(e.getValue()).append(" × ").append(e.getKey()).append("; "));
      return out.toString();
    }

    static int blockingThreads(long pid) throws IOException, InterruptedException {
      int count = 0;
      for (String line : run("jcmd", String.valueOf(pid), "Thread.print").split("\n")) {
        if (line.startsWith("\"") && line.contains("blocking-dispatcher")) {
          count++;
        }
      }
      return count;
    }

    /**
     * S0U + S1U + EU + OU from jstat -gc (KB): the heap in use, all of it live right after a full
     * GC.
     */
    private static long heapUsedKb(long pid) throws IOException, InterruptedException {
      String[] lines = run("jstat", "-gc", String.valueOf(pid)).trim().split("\n");
      String[] names = lines[0].trim().split("\\s+");
      String[] values = lines[lines.length - 1].trim().split("\\s+");
      double used = 0;
      for (int i = 0; i < names.length; i++) {
        if (List.of("S0U", "S1U", "EU", "OU").contains(names[i])) {
          used += Double.parseDouble(values[i]);
        }
      }
      return (long) used;
    }

    /**
     * Total committed from Native Memory Tracking, when the router runs with
     * -XX:NativeMemoryTracking.
     */
    private static long nmtCommittedKb(long pid) throws IOException, InterruptedException {
      String summary = run("jcmd", String.valueOf(pid), "VM.native_memory", "summary");
      for (String line : summary.split("\n")) {
        if (line.startsWith("Total:")) {
          int at = line.indexOf("committed=");
          return Long.parseLong(line.substring(at + 10).replaceAll("\\D.*", ""));
        }
      }
      return -1;
    }

    private static void jcmd(long pid, String command) throws IOException, InterruptedException {
      run("jcmd", String.valueOf(pid), command);
    }

    static String run(String... command) throws IOException, InterruptedException {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      process.waitFor();
      return output;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "RSS %.1f MiB, live heap %.1f MiB, %d threads, %d fds%s",
          rssKb / 1024.0,
          heapKb / 1024.0,
          threads,
          fds,
          nmtKb < 0 ? "" : String.format(Locale.ROOT, ", NMT committed %.1f MiB", nmtKb / 1024.0));
    }
  }

  private static long micros(long[] sorted, double quantile) {
    return sorted.length == 0
        ? 0
        : sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)] / 1000;
  }

  private static void log(String format, Object... args) {
    System.err.printf(Locale.ROOT, "[idle] " + format + "%n", args);
  }
}
