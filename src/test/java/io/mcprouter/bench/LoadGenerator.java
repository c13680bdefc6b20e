package io.mcprouter.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.OperatingSystemMXBean;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The benchmark's load generator. Drives N sessions, each doing its own {@code initialize} (and
 * {@code notifications/initialized}) and then M sequential {@code tools/call echo}, over direct
 * stdio (the floor: one echo process per session, no router), Streamable HTTP or legacy HTTP+SSE,
 * and prints one markdown table row:
 *
 * <pre>
 * | label | target | sessions | calls each | payload | calls/s | p50 µs | p90 µs | p99 µs | max µs | errors | mismatched | server CPU µs/call | server RSS MiB | generator CPU |
 * </pre>
 *
 * <ul>
 *   <li>Latency is from the first byte written to the moment the call's answer is parsed.
 *   <li>errors: calls without a good answer: a JSON-RPC error, a non-2xx status, no answer in time;
 *       a session that fails (cannot connect, initialize, or breaks mid-way) counts all of its
 *       calls it did not complete.
 *   <li>mismatched: responses delivered to the wrong place, each counted once: one carrying the
 *       call's id but another call's content (each call's text is unique: session and call number,
 *       padded with 'x' to the payload size), or one for an id the session has no request pending
 *       for. The first fails its call too (counted in errors: a real client would have taken it as
 *       its answer); a stray one does not (a client drops it). On an SSE stream the session reads
 *       on until its own answer comes, to stay in step.
 *   <li>server CPU: user+sys time (from /proc, clock ticks of 10 ms) of the process tree of {@code
 *       --router-pid} over the measured window, per call: the gateway and its stdio children, the
 *       echo server included, the same for every row. RSS is that of the {@code --router-pid}
 *       process alone (children excluded); the tree's process count and RSS go to a {@code note}
 *       line on stderr.
 *   <li>generator CPU: this process's CPU time over the measured window / wall time (100% = one
 *       core): when it nears the cores it has, the generator is the bottleneck; run several.
 * </ul>
 *
 * <p>Run it with {@code -XX:+UseSerialGC -XX:TieredStopAtLevel=1} (as bench/run.sh does): C2
 * compiling inside the measured window costs the generator more CPU than the faster code saves.
 *
 * <p>Built for low overhead per call so the gateway's figures show: one platform thread per session
 * doing blocking I/O on plain sockets (TCP_NODELAY, keep-alive, one write per request), HTTP/1.1
 * parsed by hand (status line, headers, Content-Length or chunked bodies) into reusable buffers,
 * and answers checked with Jackson's streaming parser. For legacy SSE the session thread reads its
 * own GET stream after each POST's 202, no reader thread or queue; Streamable HTTP sends {@code
 * Accept: application/json, text/event-stream} and takes a JSON body or an SSE body.
 *
 * <pre>--target=stdio|streamable|sse --url=... --command=... --sessions=N --calls=M --payload=BYTES
 * --router-pid=PID --label=NAME --share-process=true (stdio: one echo process for all sessions)
 * --warmup-calls=N (per session, unmeasured, before the window) --timeout=SECONDS (per read) --max-seconds=SECONDS (the measured window at most:
 * sessions still calling then stop, and the row says how many calls they made, "made/asked")</pre>
 */
public final class LoadGenerator {

  private static final JsonFactory JSON_FACTORY = new JsonFactory();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROTOCOL_VERSION = "2025-06-18";
  private static final byte[] INITIALIZE =
      ("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
              + "{\"protocolVersion\":\""
              + PROTOCOL_VERSION
              + "\",\"capabilities\":{},"
              + "\"clientInfo\":{\"name\":\"mcprouter-bench\",\"version\":\"1\"}}}")
          .getBytes(StandardCharsets.US_ASCII);
  private static final byte[] INITIALIZED =
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"
          .getBytes(StandardCharsets.US_ASCII);

  /**
   * What one JSON-RPC message read off the wire is, to the session waiting for the answer to one
   * id.
   */
  private static final int OURS_OK = 0;

  private static final int OURS_ERROR = 1;
  private static final int OURS_WRONG_TEXT = 2;
  private static final int OTHER_ID = 3;
  private static final int NOT_A_RESPONSE = 4;

  /**
   * What Streamable HTTP POSTs accept: both, as the spec asks (-Dbench.accept=json: JSON alone, to
   * compare).
   */
  private static final String ACCEPT =
      "json".equals(System.getProperty("bench.accept"))
          ? "application/json"
          : "application/json, text/event-stream";

  private static final AtomicInteger FAILURES_SHOWN = new AtomicInteger();

  private LoadGenerator() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 0) {
        throw new IllegalArgumentException("options are --name=value, not " + arg);
      }
      options.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    String target = options.get("target");
    if (!List.of("stdio", "streamable", "sse").contains(String.valueOf(target))) {
      throw new IllegalArgumentException("--target must be stdio, streamable or sse");
    }
    String label = options.getOrDefault("label", target);
    int sessions = Integer.parseInt(options.getOrDefault("sessions", "1"));
    int calls = Integer.parseInt(options.getOrDefault("calls", "1000"));
    int payload = Integer.parseInt(options.getOrDefault("payload", "64"));
    long routerPid = Long.parseLong(options.getOrDefault("router-pid", "-1"));
    int timeoutMs = (int) (Double.parseDouble(options.getOrDefault("timeout", "30")) * 1000);
    long maxNanos = (long) (Double.parseDouble(options.getOrDefault("max-seconds", "120")) * 1e9);
    int warmupCalls = Integer.parseInt(options.getOrDefault("warmup-calls", "0"));

    StdioMux mux =
        target.equals("stdio")
                && Boolean.parseBoolean(options.getOrDefault("share-process", "false"))
            ? new StdioMux(options.get("command"), sessions, timeoutMs)
            : null;
    long[] latencies = new long[sessions * calls];
    Worker[] workers = new Worker[sessions];
    CountDownLatch ready = new CountDownLatch(sessions);
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch measured = new CountDownLatch(sessions);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(sessions);
    for (int s = 0; s < sessions; s++) {
      Worker worker =
          new Worker(
              s, calls, payload, target, options, timeoutMs, latencies, ready, go, measured,
              release, closed);
      worker.maxNanos = maxNanos;
      worker.mux = mux;
      worker.warmupCalls = warmupCalls;
      workers[s] = worker;
      Thread thread = new Thread(worker, "session-" + s);
      thread.setDaemon(true);
      thread.start();
    }
    ready.await();
    long routerCpuBefore = treeCpuNanos(routerPid);
    long ownCpuBefore = ownCpuNanos();
    long began = System.nanoTime();
    for (Worker w : workers) {
      w.deadline = began + maxNanos;
    }
    go.countDown();
    measured.await();
    long wall = System.nanoTime() - began;
    long ownCpu = ownCpuNanos() - ownCpuBefore;
    long routerCpu = treeCpuNanos(routerPid) - routerCpuBefore;
    long[] tree = treeRssKbAndCount(routerPid);
    long rootRss = rssKb(routerPid);
    release.countDown();
    closed.await();
    if (mux != null) {
      mux.process.destroy();
    }

    long errors = 0;
    long mismatches = 0;
    long made = 0;
    for (Worker w : workers) {
      errors += w.errors;
      mismatches += w.mismatches;
      made += w.made;
    }
    long total = (long) sessions * calls;
    long good = Math.max(0, made - errors);
    boolean cut = anyCut(workers);
    String callsEach = cut ? (made / sessions) + "/" + calls : String.valueOf(calls);
    long[] sorted = Arrays.stream(latencies).filter(l -> l > 0).sorted().toArray();
    System.out.printf(
        "| %s | %s | %d | %s | %d | %.0f | %d | %d | %d | %d | %d | %d | %s | %s | %.0f%% |%n",
        label,
        target,
        sessions,
        callsEach,
        payload,
        good / (wall / 1e9),
        micros(sorted, 0.50),
        micros(sorted, 0.90),
        micros(sorted, 0.99),
        sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1000,
        errors,
        mismatches,
        routerPid > 0 ? String.valueOf(routerCpu / 1000 / Math.max(1, good)) : "n/a",
        routerPid > 0 ? String.valueOf(rootRss / 1024) : "n/a",
        100.0 * ownCpu / wall);
    if (cut) {
      System.err.printf(
          "note %s (%s, %d session%s): cut at --max-seconds=%.0f after %d of %d calls%n",
          label, target, sessions, sessions == 1 ? "" : "s", maxNanos / 1e9, made, total);
    }
    if (routerPid > 0) {
      System.err.printf(
          "note %s (%s, %d session%s): server tree %d processes, tree RSS %d MiB%n",
          label, target, sessions, sessions == 1 ? "" : "s", tree[1], tree[0] / 1024);
    }
  }

  private static boolean anyCut(Worker[] workers) {
    for (Worker w : workers) {
      if (w.cut) {
        return true;
      }
    }
    return false;
  }

  /**
   * One session: opens, initializes, waits for the start, makes its calls, and closes when told.
   */
  private static final class Worker implements Runnable {
    final int index;
    final int calls;
    final int payload;
    final String target;
    final Map<String, String> options;
    final int timeoutMs;
    final long[] latencies;
    final CountDownLatch ready;
    final CountDownLatch go;
    final CountDownLatch measured;
    final CountDownLatch release;
    final CountDownLatch closed;
    long errors;
    long mismatches;

    /** Calls made (answered or failed), and whether --max-seconds stopped the session early. */
    long made;

    boolean cut;
    long maxNanos;
    volatile long deadline;
    StdioMux mux;
    int warmupCalls;

    Worker(
        int index,
        int calls,
        int payload,
        String target,
        Map<String, String> options,
        int timeoutMs,
        long[] latencies,
        CountDownLatch ready,
        CountDownLatch go,
        CountDownLatch measured,
        CountDownLatch release,
        CountDownLatch closed) {
      this.index = index;
      this.calls = calls;
      this.payload = payload;
      this.target = target;
      this.options = options;
      this.timeoutMs = timeoutMs;
      this.latencies = latencies;
      this.ready = ready;
      this.go = go;
      this.measured = measured;
      this.release = release;
      this.closed = closed;
    }

    @Override
    public void run() {
      boolean isReady = false;
      boolean isMeasured = false;
      Session session = null;
      int done = 0;
      try {
        Request request = new Request(index, payload);
        session =
            switch (target) {
              case "stdio" ->
                  mux != null
                      ? new StdioSession(mux, index, request)
                      : new StdioSession(options.get("command"), request);
              case "streamable" ->
                  new StreamableSession(URI.create(options.get("url")), request, timeoutMs);
              default -> new SseSession(URI.create(options.get("url")), request, timeoutMs);
            };
        session.initialize();
        session.timeout(timeoutMs);
        for (int w = 1;
            w <= warmupCalls;
            w++) { // unmeasured: JIT of a stdio floor's fresh echo process
          long wire = session.wireId(calls + w);
          request.toolsCall(wire, calls + w);
          session.call(wire);
        }
        session.mismatches = 0;
        isReady = true;
        ready.countDown();
        go.await();
        int offset = index * calls;
        long deadline = this.deadline;
        for (; done < calls; done++) {
          if (System.nanoTime() - deadline > 0) {
            cut = true;
            break;
          }
          long id = done + 1;
          long wire = session.wireId(id);
          request.toolsCall(wire, id);
          long sent = System.nanoTime();
          int verdict = session.call(wire);
          if (verdict == OURS_OK) {
            latencies[offset + done] = Math.max(1, session.answeredAt - sent);
          } else {
            errors++;
          }
        }
        made = done;
        isMeasured = true;
        measured.countDown();
        release.await();
      } catch (Exception e) {
        errors += calls - done;
        made = calls;
        if (FAILURES_SHOWN.incrementAndGet() <= 5) {
          System.err.println("session " + index + " failed after " + done + " calls: " + e);
        }
      } finally {
        if (session != null) {
          mismatches = session.mismatches;
        }
        if (!isReady) {
          ready.countDown();
        }
        if (!isMeasured) {
          measured.countDown();
        }
        if (session != null) {
          try {
            session.close();
          } catch (Exception ignored) {
            // the run is over
          }
        }
        closed.countDown();
      }
    }
  }

  /** The bytes of one session's requests, rebuilt in place for each call. */
  private static final class Request {
    private static final byte[] PREFIX =
        "{\"jsonrpc\":\"2.0\",\"id\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MIDDLE =
        ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\""
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SUFFIX = "\"}}}".getBytes(StandardCharsets.US_ASCII);
    private static final int TAG = 17; // s<5 digits>c<9 digits>.

    /**
     * The call's text: "s00017c000000042." then 'x' up to the payload size; the expected answer.
     */
    final byte[] text;

    final Buf body;

    Request(int session, int payload) {
      text = new byte[Math.max(TAG, payload)];
      Arrays.fill(text, (byte) 'x');
      text[0] = 's';
      text[6] = 'c';
      text[16] = '.';
      digits(text, 1, 5, session);
      body = new Buf(PREFIX.length + 20 + MIDDLE.length + text.length + SUFFIX.length);
    }

    /** The request for the session's call number {@code call}, with {@code id} on the wire. */
    void toolsCall(long id, long call) {
      digits(text, 7, 9, call);
      body.len = 0;
      body.append(PREFIX).append(id).append(MIDDLE).append(text).append(SUFFIX);
    }

    private static void digits(byte[] into, int at, int width, long value) {
      for (int i = at + width - 1; i >= at; i--) {
        into[i] = (byte) ('0' + value % 10);
        value /= 10;
      }
    }
  }

  private abstract static class Session implements Closeable {
    final Request request;
    long mismatches;
    long answeredAt;
    boolean tainted;

    Session(Request request) {
      this.request = request;
    }

    abstract void initialize() throws IOException;

    /** The id on the wire for the session's call number {@code id}. */
    long wireId(long id) {
      return id;
    }

    void timeout(int ms) throws IOException {}

    /**
     * Sends the request in {@link Request#body} and waits for its answer: {@link #OURS_OK} or
     * {@link #OURS_ERROR}.
     */
    abstract int call(long id) throws IOException;

    /**
     * Classifies one message that may answer {@code id}; counts misrouted ones. Returns -1 to keep
     * reading (a notification, a server request, a misrouted answer), else the call's verdict.
     */
    final int offer(byte[] b, int off, int len, long id, byte[] text) throws IOException {
      int kind = classify(b, off, len, id, text);
      switch (kind) {
        case OURS_OK, OURS_ERROR -> {
          answeredAt = System.nanoTime();
          int verdict = tainted ? OURS_ERROR : kind;
          tainted = false;
          return verdict;
        }
        case OURS_WRONG_TEXT -> {
          mismatches++;
          tainted =
              true; // a real client would have taken this one: the call failed, but read on to stay
          // in step
          return -1;
        }
        case OTHER_ID -> {
          mismatches++; // a real client drops a response for an id it has not asked
          return -1;
        }
        default -> {
          return -1;
        }
      }
    }
  }

  /**
   * The floor: the echo server's own stdio, no router. One process per session, or with {@code
   * --share-process=true} one process for all sessions ({@link StdioMux}), the floor of a gateway
   * that multiplexes sessions onto one child.
   */
  private static final class StdioSession extends Session {
    final Process process;
    final OutputStream in;
    final Wire out;
    final StdioMux mux;
    final int index;
    final Buf line = new Buf(512);
    final Buf frame = new Buf(512);

    StdioSession(String command, Request request) throws IOException {
      super(request);
      process =
          new ProcessBuilder("sh", "-c", command)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      in = process.getOutputStream();
      out = new Wire(process.getInputStream());
      mux = null;
      index = 0;
    }

    StdioSession(StdioMux mux, int index, Request request) {
      super(request);
      this.mux = mux;
      this.index = index;
      process = null;
      in = null;
      out = null;
    }

    @Override
    long wireId(long id) {
      return mux == null
          ? id
          : (long) (index + 1) << 32 | id; // unique over the sessions sharing the process
    }

    @Override
    void initialize() throws IOException {
      frame.len = 0;
      if (mux == null) {
        frame.append(INITIALIZE);
      } else {
        String init = new String(INITIALIZE, StandardCharsets.US_ASCII);
        frame.append(init.replace("\"id\":0,", "\"id\":" + wireId(0) + ","));
      }
      send(frame);
      if (awaitAnswer(wireId(0), null) != OURS_OK) {
        throw new IOException("initialize failed");
      }
      frame.len = 0;
      send(frame.append(INITIALIZED));
    }

    @Override
    int call(long id) throws IOException {
      frame.len = 0;
      send(frame.append(request.body.b, 0, request.body.len));
      return awaitAnswer(id, request.text);
    }

    private void send(Buf message) throws IOException {
      message.append((byte) '\n');
      if (mux != null) {
        mux.send(message);
        return;
      }
      in.write(message.b, 0, message.len);
      in.flush();
    }

    private int awaitAnswer(long id, byte[] text) throws IOException {
      while (true) {
        if (mux != null) {
          byte[] answer = mux.await(index);
          int verdict = offer(answer, 0, answer.length, id, text);
          if (verdict >= 0) {
            return verdict;
          }
          continue;
        }
        int n = out.readLine(line);
        if (n < 0) {
          throw new EOFException("the echo server closed its stdout");
        }
        int verdict = n == 0 ? -1 : offer(line.b, 0, n, id, text);
        if (verdict >= 0) {
          return verdict;
        }
      }
    }

    @Override
    public void close() {
      if (process != null) {
        process.destroy();
      }
    }
  }

  /**
   * One echo process for every session: requests written whole under a lock, one reader thread that
   * hands each answer to its session by the upper half of its id.
   */
  static final class StdioMux {
    final Process process;
    final OutputStream in;
    final ArrayBlockingQueue<byte[]>[] inboxes;
    final int timeoutMs;

    @SuppressWarnings({"unchecked", "rawtypes"})
    StdioMux(String command, int sessions, int timeoutMs) throws IOException {
      this.timeoutMs = Math.max(timeoutMs, 300_000);
      process =
          new ProcessBuilder("sh", "-c", command)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      in = process.getOutputStream();
      inboxes = new ArrayBlockingQueue[sessions];
      for (int i = 0; i < sessions; i++) {
        inboxes[i] = new ArrayBlockingQueue<>(16);
      }
      Wire out = new Wire(process.getInputStream());
      Thread reader =
          new Thread(
              () -> {
                Buf line = new Buf(512);
                try {
                  int n;
                  while ((n = out.readLine(line)) >= 0) {
                    long id = n == 0 ? -1 : topLevelId(line.b, 0, n);
                    int session = (int) (id >>> 32) - 1;
                    if (session >= 0 && session < inboxes.length) {
                      inboxes[session].offer(Arrays.copyOf(line.b, n));
                    }
                  }
                } catch (IOException e) {
                  System.err.println("the shared echo server's reader stopped: " + e);
                }
              },
              "stdio-mux-reader");
      reader.setDaemon(true);
      reader.start();
    }

    synchronized void send(Buf message) throws IOException {
      in.write(message.b, 0, message.len);
      in.flush();
    }

    byte[] await(int session) throws IOException {
      try {
        byte[] answer = inboxes[session].poll(timeoutMs, TimeUnit.MILLISECONDS);
        if (answer == null) {
          throw new SocketTimeoutException("no answer from the shared echo server");
        }
        return answer;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException();
      }
    }

    private static long topLevelId(byte[] b, int off, int len) throws IOException {
      try (JsonParser p = JSON_FACTORY.createParser(b, off, len)) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
          return -1;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          JsonToken value = p.nextToken();
          if ("id".equals(name)) {
            return value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
          }
          p.skipChildren();
        }
        return -1;
      }
    }
  }

  /**
   * Streamable HTTP: POST /mcp/..., answers as a JSON body or an SSE body; one keep-alive
   * connection.
   */
  private static final class StreamableSession extends Session {
    final Http http;
    final String path;
    final Buf head = new Buf(512);
    final Buf out = new Buf(1024);
    final Buf body = new Buf(1024);
    final Sse sse;
    String sessionId;

    StreamableSession(URI url, Request request, int timeoutMs) {
      super(request);
      http = new Http(url, Math.max(timeoutMs, 300_000));
      path = pathOf(url);
      sse = new Sse(http);
      postHead(null, null);
    }

    private void postHead(String sessionId, String version) {
      head.len = 0;
      head.append("POST ")
          .append(path)
          .append(" HTTP/1.1\r\nHost: ")
          .append(http.hostHeader)
          .append("\r\nContent-Type: application/json\r\nAccept: ")
          .append(ACCEPT)
          .append("\r\n");
      if (sessionId != null) {
        head.append("Mcp-Session-Id: ").append(sessionId).append("\r\n");
      }
      if (version != null) {
        head.append("MCP-Protocol-Version: ").append(version).append("\r\n");
      }
      head.append("Content-Length: ");
    }

    @Override
    void initialize() throws IOException {
      http.captureSessionId = true;
      int status = post(INITIALIZE, INITIALIZE.length);
      http.captureSessionId = false;
      if (status != 200) {
        throw new IOException("initialize answered " + status);
      }
      sessionId = http.sessionId;
      if (answer(0, null) != OURS_OK) {
        throw new IOException(
            "initialize failed: " + new String(body.b, 0, body.len, StandardCharsets.UTF_8));
      }
      String version = PROTOCOL_VERSION;
      try {
        JsonNode init = JSON.readTree(body.b, 0, body.len);
        version = init.path("result").path("protocolVersion").asText(PROTOCOL_VERSION);
      } catch (IOException ignored) {
        // keep ours
      }
      postHead(sessionId, version);
      status = post(INITIALIZED, INITIALIZED.length);
      http.skipBody();
      if (status / 100 != 2) {
        throw new IOException("notifications/initialized answered " + status);
      }
    }

    @Override
    void timeout(int ms) throws IOException {
      http.timeout(ms);
    }

    @Override
    int call(long id) throws IOException {
      int status = post(request.body.b, request.body.len);
      if (status != 200) {
        http.skipBody();
        return OURS_ERROR;
      }
      return answer(id, request.text);
    }

    private int post(byte[] json, int length) throws IOException {
      out.len = 0;
      out.append(head.b, 0, head.len).append(length).append("\r\n\r\n").append(json, 0, length);
      return http.exchange(out);
    }

    /**
     * Reads the POST's answer, JSON or an SSE stream, to its end; the body keeps the answer's JSON.
     */
    private int answer(long id, byte[] text) throws IOException {
      if (http.eventStream) {
        int verdict = -1;
        while (verdict < 0) {
          if (!sse.next()) {
            http.skipBody();
            return OURS_ERROR;
          }
          if (sse.type == Sse.MESSAGE && sse.data.len > 0) {
            verdict = offer(sse.data.b, 0, sse.data.len, id, text);
          }
        }
        body.len = 0;
        body.append(sse.data.b, 0, sse.data.len);
        http.skipBody();
        return verdict;
      }
      http.readBody(body);
      int verdict = offer(body.b, 0, body.len, id, text);
      if (verdict < 0) {
        tainted = false;
        answeredAt = System.nanoTime();
        return OURS_ERROR; // a JSON body that is not this call's answer: counted as mismatched too
      }
      return verdict;
    }

    @Override
    public void close() throws IOException {
      try {
        if (sessionId != null && http.isOpen()) {
          out.len = 0;
          out.append("DELETE ")
              .append(path)
              .append(" HTTP/1.1\r\nHost: ")
              .append(http.hostHeader)
              .append("\r\nMcp-Session-Id: ")
              .append(sessionId)
              .append("\r\nContent-Length: 0\r\n\r\n");
          http.timeout(5000);
          http.exchange(out);
          http.skipBody();
        }
      } finally {
        http.close();
      }
    }
  }

  /**
   * Legacy HTTP+SSE: a GET stream for the answers, POSTs to the endpoint it names on a second
   * connection.
   */
  private static final class SseSession extends Session {
    final Http stream;
    final Sse events;
    final Http posts;
    final Buf head = new Buf(512);
    final Buf out = new Buf(1024);

    SseSession(URI url, Request request, int timeoutMs) throws IOException {
      super(request);
      int connectTimeout = Math.max(timeoutMs, 300_000);
      stream = new Http(url, connectTimeout);
      events = new Sse(stream);
      out.append("GET ")
          .append(pathOf(url))
          .append(" HTTP/1.1\r\nHost: ")
          .append(stream.hostHeader)
          .append("\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n");
      int status = stream.exchange(out);
      if (status != 200 || !stream.eventStream) {
        throw new IOException(
            "GET "
                + url
                + " answered "
                + status
                + (stream.eventStream ? "" : ", not an event stream"));
      }
      String endpoint = null;
      while (endpoint == null) {
        if (!events.next()) {
          throw new EOFException("the SSE stream ended before its endpoint event");
        }
        if (events.type == Sse.ENDPOINT) {
          endpoint = new String(events.data.b, 0, events.data.len, StandardCharsets.UTF_8).trim();
        }
      }
      URI post = url.resolve(endpoint);
      posts = new Http(post, connectTimeout);
      head.append("POST ")
          .append(pathOf(post))
          .append(" HTTP/1.1\r\nHost: ")
          .append(posts.hostHeader)
          .append(
              "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ");
    }

    @Override
    void initialize() throws IOException {
      post(INITIALIZE, INITIALIZE.length);
      if (awaitAnswer(0, null) != OURS_OK) {
        throw new IOException("initialize failed");
      }
      post(INITIALIZED, INITIALIZED.length);
    }

    @Override
    void timeout(int ms) throws IOException {
      stream.timeout(ms);
      posts.timeout(ms);
    }

    @Override
    int call(long id) throws IOException {
      if (!post(request.body.b, request.body.len)) {
        return OURS_ERROR;
      }
      return awaitAnswer(id, request.text);
    }

    private boolean post(byte[] json, int length) throws IOException {
      out.len = 0;
      out.append(head.b, 0, head.len).append(length).append("\r\n\r\n").append(json, 0, length);
      int status = posts.exchange(out);
      posts.skipBody();
      return status / 100 == 2;
    }

    private int awaitAnswer(long id, byte[] text) throws IOException {
      while (true) {
        if (!events.next()) {
          throw new EOFException("the SSE stream ended");
        }
        if (events.type == Sse.MESSAGE && events.data.len > 0) {
          int verdict = offer(events.data.b, 0, events.data.len, id, text);
          if (verdict >= 0) {
            return verdict;
          }
        }
      }
    }

    @Override
    public void close() {
      stream.close();
      posts.close();
    }
  }

  /**
   * Classifies one JSON-RPC message for a session waiting for the answer to {@code id} whose
   * result.content[0].text must equal {@code text} (null: any result will do).
   */
  static int classify(byte[] b, int off, int len, long id, byte[] text) throws IOException {
    try (JsonParser p = JSON_FACTORY.createParser(b, off, len)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return OTHER_ID;
      }
      boolean hasId = false;
      boolean idMatches = false;
      boolean isError = false;
      boolean hasResult = false;
      boolean textMatches = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "method" -> {
            return NOT_A_RESPONSE;
          }
          case "id" -> {
            hasId = true;
            if (value == JsonToken.VALUE_NUMBER_INT) {
              idMatches = p.getLongValue() == id;
            } else if (value == JsonToken.VALUE_STRING) {
              idMatches = p.getText().equals(Long.toString(id));
            }
          }
          case "error" -> {
            isError = true;
            p.skipChildren();
          }
          case "result" -> {
            hasResult = true;
            textMatches =
                value == JsonToken.START_OBJECT ? resultTextEquals(p, text) : text == null;
          }
          default -> p.skipChildren();
        }
      }
      if (!hasId || !idMatches) {
        return OTHER_ID;
      }
      if (isError || !hasResult) {
        return OURS_ERROR;
      }
      return text == null || textMatches ? OURS_OK : OURS_WRONG_TEXT;
    }
  }

  /**
   * Walks a result object (the parser is on its START_OBJECT) to its end; whether content[0].text
   * equals text.
   */
  private static boolean resultTextEquals(JsonParser p, byte[] text) throws IOException {
    boolean equal = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (text != null && "content".equals(name) && value == JsonToken.START_ARRAY) {
        boolean first = true;
        while (p.nextToken() != JsonToken.END_ARRAY) {
          if (first && p.currentToken() == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String field = p.currentName();
              if (p.nextToken() == JsonToken.VALUE_STRING && "text".equals(field)) {
                equal = sameText(p, text);
              } else {
                p.skipChildren();
              }
            }
          } else {
            p.skipChildren();
          }
          first = false;
        }
      } else {
        p.skipChildren();
      }
    }
    return text == null || equal;
  }

  private static boolean sameText(JsonParser p, byte[] text) throws IOException {
    char[] chars = p.getTextCharacters();
    int offset = p.getTextOffset();
    int length = p.getTextLength();
    if (length != text.length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (chars[offset + i] != text[i]) {
        return false;
      }
    }
    return true;
  }

  private static String pathOf(URI url) {
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    return url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
  }

  /** A growable byte array. */
  static final class Buf {
    byte[] b;
    int len;

    Buf(int capacity) {
      b = new byte[Math.max(16, capacity)];
    }

    private void room(int more) {
      if (len + more > b.length) {
        b = Arrays.copyOf(b, Math.max(b.length * 2, len + more));
      }
    }

    Buf append(byte[] bytes) {
      return append(bytes, 0, bytes.length);
    }

    Buf append(byte[] bytes, int off, int n) {
      room(n);
      System.arraycopy(bytes, off, b, len, n);
      len += n;
      return this;
    }

    Buf append(byte one) {
      room(1);
      b[len++] = one;
      return this;
    }

    /** ASCII only: request lines and headers. */
    Buf append(String ascii) {
      room(ascii.length());
      for (int i = 0; i < ascii.length(); i++) {
        b[len++] = (byte) ascii.charAt(i);
      }
      return this;
    }

    Buf append(long value) {
      if (value < 0) {
        append((byte) '-');
        value = -value;
      }
      int digits = 1;
      for (long v = value; v >= 10; v /= 10) {
        digits++;
      }
      room(digits);
      for (int i = len + digits - 1; i >= len; i--) {
        b[i] = (byte) ('0' + value % 10);
        value /= 10;
      }
      len += digits;
      return this;
    }
  }

  /** A buffered reader of bytes and lines over a blocking stream. */
  static class Wire {
    InputStream in;
    final byte[] b = new byte[1 << 16];
    int pos;
    int lim;

    Wire(InputStream in) {
      this.in = in;
    }

    /** Reads more into the buffer; -1 at the end of the stream. */
    final int fill() throws IOException {
      if (pos == lim) {
        pos = 0;
        lim = 0;
      } else if (lim == b.length) {
        System.arraycopy(b, pos, b, 0, lim - pos);
        lim -= pos;
        pos = 0;
      }
      int n = in.read(b, lim, b.length - lim);
      if (n > 0) {
        lim += n;
      }
      return n;
    }

    /** One line without its CR LF into {@code line}; its length, or -1 at the end of the stream. */
    final int readLine(Buf line) throws IOException {
      line.len = 0;
      while (true) {
        if (pos == lim && fill() < 0) {
          return line.len == 0 ? -1 : trimCr(line);
        }
        for (int i = pos; i < lim; i++) {
          if (b[i] == '\n') {
            line.append(b, pos, i - pos);
            pos = i + 1;
            return trimCr(line);
          }
        }
        line.append(b, pos, lim - pos);
        pos = lim;
      }
    }

    static int trimCr(Buf line) {
      if (line.len > 0 && line.b[line.len - 1] == '\r') {
        line.len--;
      }
      return line.len;
    }
  }

  /**
   * A minimal HTTP/1.1 client connection: one request at a time, keep-alive, reconnects when
   * closed.
   */
  static final class Http extends Wire implements Closeable {
    private static final int NONE = 0;
    private static final int LENGTH = 1;
    private static final int CHUNKED = 2;
    private static final int UNTIL_CLOSE = 3;
    private static final byte[] CONTENT_LENGTH =
        "content-length".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRANSFER_ENCODING =
        "transfer-encoding".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONNECTION = "connection".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTENT_TYPE = "content-type".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MCP_SESSION_ID =
        "mcp-session-id".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHUNKED_VALUE = "chunked".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE_VALUE = "close".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_STREAM =
        "text/event-stream".getBytes(StandardCharsets.US_ASCII);

    final String host;
    final int port;
    final String hostHeader;
    int timeoutMs;
    Socket socket;
    OutputStream out;
    boolean reused;
    final Buf line = new Buf(256);

    int status;
    boolean keepAlive;
    boolean eventStream;
    boolean captureSessionId;
    String sessionId;
    private int mode;
    private long remaining;
    private boolean firstChunk;

    Http(URI url, int timeoutMs) {
      super(null);
      host = url.getHost();
      port = url.getPort() > 0 ? url.getPort() : 80;
      hostHeader = host + ":" + port;
      this.timeoutMs = timeoutMs;
    }

    boolean isOpen() {
      return socket != null;
    }

    void timeout(int ms) throws IOException {
      timeoutMs = ms;
      if (socket != null) {
        socket.setSoTimeout(ms);
      }
    }

    private void connect() throws IOException {
      Socket s = new Socket();
      s.setTcpNoDelay(true);
      s.setKeepAlive(true);
      s.connect(new InetSocketAddress(host, port), 10_000);
      s.setSoTimeout(timeoutMs);
      socket = s;
      in = s.getInputStream();
      out = s.getOutputStream();
      pos = 0;
      lim = 0;
      reused = false;
    }

    /**
     * Writes a whole request in one go and reads the answer's status line and headers; the status.
     */
    int exchange(Buf request) throws IOException {
      if (socket == null) {
        connect();
      }
      try {
        out.write(request.b, 0, request.len);
        return readHead();
      } catch (EOFException | SocketException stale) {
        if (!reused) {
          throw stale;
        }
        // the server closed a keep-alive connection that sat idle: once more on a new one
        close();
        connect();
        out.write(request.b, 0, request.len);
        return readHead();
      }
    }

    private int readHead() throws IOException {
      while (true) {
        int n;
        do {
          n = readLine(line);
          if (n < 0) {
            throw new EOFException("connection closed before an HTTP answer");
          }
        } while (n == 0);
        byte[] l = line.b;
        if (n < 12 || l[0] != 'H' || l[4] != '/') {
          throw new IOException(
              "not an HTTP status line: " + new String(l, 0, n, StandardCharsets.ISO_8859_1));
        }
        boolean http10 = l[7] == '0';
        status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
        keepAlive = !http10;
        eventStream = false;
        long contentLength = -1;
        boolean chunked = false;
        while ((n = readLine(line)) > 0) {
          l = line.b;
          int colon = 0;
          while (colon < n && l[colon] != ':') {
            colon++;
          }
          int v = colon + 1;
          while (v < n && (l[v] == ' ' || l[v] == '\t')) {
            v++;
          }
          if (nameIs(l, colon, CONTENT_LENGTH)) {
            contentLength = 0;
            for (int i = v; i < n && l[i] >= '0' && l[i] <= '9'; i++) {
              contentLength = contentLength * 10 + (l[i] - '0');
            }
          } else if (nameIs(l, colon, TRANSFER_ENCODING)) {
            chunked = contains(l, v, n, CHUNKED_VALUE);
          } else if (nameIs(l, colon, CONNECTION)) {
            keepAlive = contains(l, v, n, CLOSE_VALUE) ? false : keepAlive || !http10;
          } else if (nameIs(l, colon, CONTENT_TYPE)) {
            eventStream = contains(l, v, n, EVENT_STREAM);
          } else if (captureSessionId && nameIs(l, colon, MCP_SESSION_ID)) {
            sessionId = new String(l, v, n - v, StandardCharsets.ISO_8859_1).trim();
          }
        }
        if (n < 0) {
          throw new EOFException("connection closed inside HTTP headers");
        }
        if (status >= 100 && status < 200) {
          continue; // 100 Continue and the like: the real answer follows
        }
        if (status == 204 || status == 304) {
          mode = NONE;
        } else if (chunked) {
          mode = CHUNKED;
          remaining = 0;
          firstChunk = true;
        } else if (contentLength >= 0) {
          mode = contentLength == 0 ? NONE : LENGTH;
          remaining = contentLength;
        } else {
          mode = UNTIL_CLOSE;
          keepAlive = false;
        }
        reused = true;
        if (mode == NONE) {
          bodyDone();
        }
        return status;
      }
    }

    private void bodyDone() {
      mode = NONE;
      if (!keepAlive) {
        close();
      }
    }

    /** Makes the next body bytes available at b[pos..pos+n); n, or -1 at the end of the body. */
    private int bodyAvailable() throws IOException {
      switch (mode) {
        case LENGTH -> {
          if (remaining == 0) {
            bodyDone();
            return -1;
          }
        }
        case CHUNKED -> {
          if (remaining == 0 && !nextChunk()) {
            bodyDone();
            return -1;
          }
        }
        case UNTIL_CLOSE -> {
          if (pos == lim && fill() < 0) {
            bodyDone();
            return -1;
          }
          return lim - pos;
        }
        default -> {
          return -1;
        }
      }
      if (pos == lim && fill() < 0) {
        throw new EOFException("connection closed inside a body");
      }
      return (int) Math.min(remaining, lim - pos);
    }

    private void consume(int n) {
      pos += n;
      remaining -= n;
    }

    private boolean nextChunk() throws IOException {
      if (!firstChunk && readLine(line) != 0) {
        throw new IOException("no CRLF after a chunk");
      }
      firstChunk = false;
      int n = readLine(line);
      if (n <= 0) {
        throw new EOFException("connection closed at a chunk size");
      }
      long size = 0;
      for (int i = 0; i < n; i++) {
        int d = Character.digit(line.b[i], 16);
        if (d < 0) {
          break;
        }
        size = size * 16 + d;
      }
      if (size == 0) {
        while (readLine(line) > 0) {
          // trailers
        }
        return false;
      }
      remaining = size;
      return true;
    }

    void readBody(Buf into) throws IOException {
      into.len = 0;
      int n;
      while ((n = bodyAvailable()) >= 0) {
        into.append(b, pos, n);
        consume(n);
      }
    }

    void skipBody() throws IOException {
      int n;
      while ((n = bodyAvailable()) >= 0) {
        consume(n);
      }
    }

    /** One line of the body without its CR LF; its length, or -1 at the end of the body. */
    int readBodyLine(Buf into) throws IOException {
      into.len = 0;
      while (true) {
        int n = bodyAvailable();
        if (n < 0) {
          return into.len == 0 ? -1 : trimCr(into);
        }
        int end = pos + n;
        for (int i = pos; i < end; i++) {
          if (b[i] == '\n') {
            into.append(b, pos, i - pos);
            consume(i + 1 - pos);
            return trimCr(into);
          }
        }
        into.append(b, pos, n);
        consume(n);
      }
    }

    private static boolean nameIs(byte[] l, int length, byte[] lowerName) {
      if (length != lowerName.length) {
        return false;
      }
      for (int i = 0; i < length; i++) {
        if ((l[i] | 0x20) != lowerName[i] && l[i] != lowerName[i]) {
          return false;
        }
      }
      return true;
    }

    private static boolean contains(byte[] l, int from, int to, byte[] lowerWord) {
      outer:
      for (int i = from; i + lowerWord.length <= to; i++) {
        for (int j = 0; j < lowerWord.length; j++) {
          if ((l[i + j] | 0x20) != lowerWord[j] && l[i + j] != lowerWord[j]) {
            continue outer;
          }
        }
        return true;
      }
      return false;
    }

    @Override
    public void close() {
      if (socket != null) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing anyway
        }
        socket = null;
      }
      mode = NONE;
    }
  }

  /** Server-sent events off an HTTP body: {@link #next()} reads one event's type and data. */
  static final class Sse {
    static final int MESSAGE = 0;
    static final int ENDPOINT = 1;
    static final int OTHER = 2;
    private static final byte[] DATA = "data".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "event".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MESSAGE_NAME = "message".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ENDPOINT_NAME = "endpoint".getBytes(StandardCharsets.US_ASCII);

    final Http http;
    final Buf line = new Buf(1024);
    final Buf data = new Buf(1024);
    int type;

    Sse(Http http) {
      this.http = http;
    }

    /**
     * The next event with data; false at the end of the stream. Comments (keep-alives) and id/retry
     * fields are skipped.
     */
    boolean next() throws IOException {
      data.len = 0;
      type = MESSAGE;
      boolean hasData = false;
      while (true) {
        int n = http.readBodyLine(line);
        if (n < 0) {
          return false;
        }
        if (n == 0) {
          if (hasData) {
            return true;
          }
          type = MESSAGE;
          continue;
        }
        byte[] l = line.b;
        if (l[0] == ':') {
          continue;
        }
        int colon = 0;
        while (colon < n && l[colon] != ':') {
          colon++;
        }
        int v = colon < n ? colon + 1 : n;
        if (v < n && l[v] == ' ') {
          v++;
        }
        if (same(l, 0, colon, DATA)) {
          if (hasData) {
            data.append((byte) '\n');
          }
          data.append(l, v, n - v);
          hasData = true;
        } else if (same(l, 0, colon, EVENT)) {
          type =
              same(l, v, n, MESSAGE_NAME)
                  ? MESSAGE
                  : same(l, v, n, ENDPOINT_NAME) ? ENDPOINT : OTHER;
        }
      }
    }

    private static boolean same(byte[] l, int from, int to, byte[] word) {
      if (to - from != word.length) {
        return false;
      }
      for (int i = 0; i < word.length; i++) {
        if (l[from + i] != word[i]) {
          return false;
        }
      }
      return true;
    }
  }

  private static long micros(long[] sorted, double quantile) {
    return sorted.length == 0
        ? 0
        : sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)] / 1000;
  }

  private static long ownCpuNanos() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static List<Long> tree(long pid) {
    List<Long> pids = new ArrayList<>();
    pids.add(pid);
    ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
    return pids;
  }

  /**
   * utime + stime + cutime + cstime of a process and its descendants, from /proc (clock ticks of 10
   * ms): a child that ended and was reaped has its time in its parent's cutime/cstime, so children
   * that stop during the window still count.
   */
  private static long treeCpuNanos(long pid) {
    if (pid <= 0) {
      return 0;
    }
    long ticks = 0;
    for (long p : tree(pid)) {
      try {
        String stat = Files.readString(Path.of("/proc/" + p + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        ticks +=
            Long.parseLong(fields[11])
                + Long.parseLong(fields[12])
                + Long.parseLong(fields[13])
                + Long.parseLong(fields[14]);
      } catch (IOException | RuntimeException gone) {
        // a process that ended took its ticks with it
      }
    }
    return ticks * 10_000_000L;
  }

  /** The RSS (KiB) summed over a process tree, and the number of processes in it. */
  private static long[] treeRssKbAndCount(long pid) {
    if (pid <= 0) {
      return new long[] {0, 0};
    }
    long rss = 0;
    long count = 0;
    for (long p : tree(pid)) {
      long kb = rssKb(p);
      if (kb > 0) {
        rss += kb;
        count++;
      }
    }
    return new long[] {rss, count};
  }

  private static long rssKb(long pid) {
    if (pid <= 0) {
      return 0;
    }
    try {
      return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
          .filter(l -> l.startsWith("VmRSS:"))
          .map(l -> Long.parseLong(l.replaceAll("\\D", "")))
          .findFirst()
          .orElse(0L);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
