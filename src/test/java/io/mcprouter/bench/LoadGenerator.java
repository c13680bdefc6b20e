package io.mcprouter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Drives N sessions, each doing its own initialize and then M sequential {@code tools/call echo},
 * over direct stdio (the floor), Streamable HTTP or legacy SSE, and prints one markdown table row:
 * latency percentiles, throughput, errors, mismatched answers, the router process tree's CPU per
 * call and RSS (from /proc), and the generator's own CPU so a saturated generator shows.
 *
 * <pre>--target=stdio|streamable|sse --url=... --command=... --sessions=N --calls=M --payload=BYTES --router-pid=PID</pre>
 */
public final class LoadGenerator {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private LoadGenerator() {}

  /** One session's way of making a call and waiting for its answer. */
  private interface Session extends AutoCloseable {
    JsonNode call(long id, String method, String paramsJson) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      options.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    String target = options.get("target");
    int sessions = Integer.parseInt(options.getOrDefault("sessions", "1"));
    int calls = Integer.parseInt(options.getOrDefault("calls", "1000"));
    String text = "x".repeat(Integer.parseInt(options.getOrDefault("payload", "64")));
    long routerPid = Long.parseLong(options.getOrDefault("router-pid", "-1"));

    long[] latencies = new long[sessions * calls];
    AtomicLong errors = new AtomicLong();
    AtomicLong mismatches = new AtomicLong();
    CountDownLatch ready = new CountDownLatch(sessions);
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(sessions);
    List<Session> opened = new ArrayList<>();
    for (int s = 0; s < sessions; s++) {
      int offset = s * calls;
      Thread worker = new Thread(() -> {
        try (Session session = open(target, options)) {
          synchronized (opened) {
            opened.add(session);
          }
          session.call(0, "initialize", "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
              + "\"clientInfo\":{\"name\":\"bench\",\"version\":\"1\"}}");
          ready.countDown();
          go.await();
          String params = "{\"name\":\"echo\",\"arguments\":{\"text\":\"" + text + "\"}}";
          for (int i = 0; i < calls; i++) {
            long id = i + 1;
            long sent = System.nanoTime();
            JsonNode answer = session.call(id, "tools/call", params);
            latencies[offset + i] = System.nanoTime() - sent;
            if (answer == null || answer.has("error")) {
              errors.incrementAndGet();
            } else if (answer.path("id").asLong() != id
                || !text.equals(answer.path("result").path("content").path(0).path("text").asText())) {
              mismatches.incrementAndGet();
            }
          }
        } catch (Exception e) {
          errors.incrementAndGet();
          System.err.println("session failed: " + e);
          ready.countDown();
        } finally {
          done.countDown();
        }
      });
      worker.start();
    }
    ready.await(120, TimeUnit.SECONDS);
    long routerCpuBefore = treeCpuNanos(routerPid);
    long ownCpuBefore = ownCpuNanos();
    long began = System.nanoTime();
    go.countDown();
    done.await();
    long wall = System.nanoTime() - began;
    long routerCpu = treeCpuNanos(routerPid) - routerCpuBefore;
    long ownCpu = ownCpuNanos() - ownCpuBefore;

    long total = (long) sessions * calls;
    long[] sorted = Arrays.stream(latencies).filter(l -> l > 0).sorted().toArray();
    System.out.printf("| %s | %d | %d | %d | %.0f | %d | %d | %d | %d | %d | %d | %s | %s | %.0f%% |%n",
        target, sessions, calls, text.length(), total / (wall / 1e9),
        micros(sorted, 0.50), micros(sorted, 0.90), micros(sorted, 0.99), sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1000,
        errors.get(), mismatches.get(),
        routerPid > 0 ? String.valueOf(routerCpu / 1000 / Math.max(1, total)) : "n/a",
        routerPid > 0 ? String.valueOf(rssKb(routerPid) / 1024) : "n/a",
        100.0 * ownCpu / wall);
  }

  private static Session open(String target, Map<String, String> options) throws Exception {
    return switch (target) {
      case "stdio" -> stdio(options.get("command"));
      case "streamable" -> streamable(options.get("url"));
      case "sse" -> sse(options.get("url"));
      default -> throw new IllegalArgumentException("--target must be stdio, streamable or sse");
    };
  }

  private static String request(long id, String method, String paramsJson) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + paramsJson + "}";
  }

  /** The floor: the echo server's own stdio, no router. */
  private static Session stdio(String command) throws IOException {
    Process process = new ProcessBuilder("sh", "-c", command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    OutputStream in = process.getOutputStream();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    return new Session() {
      public JsonNode call(long id, String method, String params) throws Exception {
        in.write((request(id, method, params) + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        String line = out.readLine();
        return line == null ? null : JSON.readTree(line);
      }

      public void close() {
        process.destroy();
      }
    };
  }

  /** Streamable HTTP with JSON answers (Accept: application/json), keep-alive connections. */
  private static Session streamable(String url) {
    String[] sessionId = {null};
    return new Session() {
      public JsonNode call(long id, String method, String params) throws Exception {
        HttpRequest.Builder post = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
            .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofString(request(id, method, params)));
        if (sessionId[0] != null) {
          post.header("Mcp-Session-Id", sessionId[0]).header("MCP-Protocol-Version", "2025-06-18");
        }
        HttpResponse<String> response = HTTP.send(post.build(), HttpResponse.BodyHandlers.ofString());
        if (sessionId[0] == null) {
          sessionId[0] = response.headers().firstValue("Mcp-Session-Id").orElseThrow();
          HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
              .header("Mcp-Session-Id", sessionId[0])
              .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")).build(),
              HttpResponse.BodyHandlers.discarding());
        }
        return response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
      }

      public void close() throws Exception {
        if (sessionId[0] != null) {
          HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Mcp-Session-Id", sessionId[0]).DELETE().build(),
              HttpResponse.BodyHandlers.discarding());
        }
      }
    };
  }

  /** Legacy SSE: answers arrive on the event stream, read by one thread per session. */
  private static Session sse(String sseUrl) throws Exception {
    HttpResponse<Stream<String>> stream = HTTP.send(HttpRequest.newBuilder(URI.create(sseUrl)).GET().build(),
        HttpResponse.BodyHandlers.ofLines());
    BlockingQueue<String> data = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try {
        stream.body().forEach(line -> {
          if (line.startsWith("data: ")) {
            data.add(line.substring(6));
          }
        });
      } catch (java.io.UncheckedIOException closedAtTheEnd) {
        // the session is over
      }
    });
    reader.setDaemon(true);
    reader.start();
    String endpoint = data.poll(10, TimeUnit.SECONDS);
    URI base = URI.create(sseUrl);
    URI post = base.resolve(endpoint);
    return new Session() {
      public JsonNode call(long id, String method, String params) throws Exception {
        HTTP.send(HttpRequest.newBuilder(post).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(request(id, method, params))).build(), HttpResponse.BodyHandlers.discarding());
        if (id == 0) {
          HTTP.send(HttpRequest.newBuilder(post).header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")).build(),
              HttpResponse.BodyHandlers.discarding());
        }
        String answer = data.poll(30, TimeUnit.SECONDS);
        return answer == null ? null : JSON.readTree(answer);
      }

      public void close() {
        stream.body().close();
      }
    };
  }

  private static long micros(long[] sorted, double quantile) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)] / 1000;
  }

  private static long ownCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** utime + stime of a process and its descendants, from /proc (clock ticks of 10 ms). */
  private static long treeCpuNanos(long pid) {
    if (pid <= 0) {
      return 0;
    }
    List<Long> pids = new ArrayList<>();
    pids.add(pid);
    ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
    long ticks = 0;
    for (long p : pids) {
      try {
        String stat = Files.readString(Path.of("/proc/" + p + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
      } catch (IOException | RuntimeException gone) {
        // a process that ended took its ticks with it
      }
    }
    return ticks * 10_000_000L;
  }

  private static long rssKb(long pid) {
    try {
      return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("VmRSS:"))
          .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(0L);
    } catch (IOException e) {
      return 0;
    }
  }
}
