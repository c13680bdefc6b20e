package io.mcprouter.soak;

import io.mcprouter.testsupport.FakeServerCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged router as operators run it ({@code java -jar target/mcprouter.jar serve -c <toml>}),
 * with small limits so the soak reaches them, and its log kept (a tail in memory, all of it in a
 * file).
 */
final class SoakRouter implements AutoCloseable {

  /**
   * The keys of the generated config; the tag is on each child's command line, for the process
   * census.
   */
  static final String SHARED = "shared";

  static final String SOLO = "solo";
  static final String CRASHY = "crashy";
  static final String CAPPED = "capped";
  static final List<String> KEYS = List.of(SHARED, SOLO, CRASHY, CAPPED);

  static final int REQUEST_TIMEOUT_MS = 4000;
  static final int MAX_SESSIONS_PER_KEY = 40;
  static final int MAX_IN_FLIGHT = 16;
  static final int CALL_TIMEOUT_MS = 6000;

  private static final Path JAR = Path.of("target/mcprouter.jar").toAbsolutePath();
  private static final Pattern LISTENING =
      Pattern.compile("(proxy|api) listening on http://127\\.0\\.0\\.1:(\\d+)");

  private final Process process;
  private final ArrayDeque<String> tail = new ArrayDeque<>();
  private final AtomicLong logLines = new AtomicLong();
  private final AtomicLong stackLines = new AtomicLong();
  private final PrintWriter logFile;
  private final AtomicInteger proxyPort = new AtomicInteger();
  private final AtomicInteger apiPort = new AtomicInteger();
  private final CountDownLatch bound = new CountDownLatch(2);

  private SoakRouter(Process process, Path logPath) throws IOException {
    this.process = process;
    this.logFile = new PrintWriter(Files.newBufferedWriter(logPath, StandardCharsets.UTF_8), true);
    pump(process.getInputStream(), "");
    pump(process.getErrorStream(), "stderr: ");
  }

  static SoakRouter start(Path workDir, String extraJvmOptions) throws Exception {
    Files.createDirectories(workDir);
    Path toml = workDir.resolve("soak.toml");
    StringBuilder t =
        new StringBuilder("[proxy_server]\nport = 0\n[api_server]\nport = 0\n[mcp_servers]\n");
    for (String key : KEYS) {
      String command = FakeServerCommand.commandLine("--tag", "soak-" + key);
      t.append(key)
          .append(" = { command = \"")
          .append(command.replace("\\", "\\\\").replace("\"", "\\\""))
          .append("\", share_process = ")
          .append(!SOLO.equals(key))
          .append(", request_timeout = \"")
          .append(REQUEST_TIMEOUT_MS)
          .append("ms\" }\n");
    }
    Files.writeString(toml, t.toString());
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                // small limits, so that the soak reaches them; short timeouts, so that quiescence
                // comes soon
                "-Dmcprouter.limits.max-sessions-per-key=" + MAX_SESSIONS_PER_KEY,
                "-Dmcprouter.limits.max-in-flight-per-session=" + MAX_IN_FLIGHT,
                "-Dmcprouter.limits.max-children=32",
                "-Dmcprouter.restart.max-crashes=3",
                "-Dmcprouter.restart.crash-window=8s",
                "-Dmcprouter.restart.max-backoff=1s",
                "-Dmcprouter.streamable.session-idle-timeout=8s",
                "-Dmcprouter.streamable.detached-timeout=3s",
                "-Dmcprouter.api.call-timeout=" + CALL_TIMEOUT_MS + "ms",
                "-Dmcprouter.stop.drain-timeout=2s",
                "-Dmcprouter.stop.grace-period=1s",
                "-Dmcprouter.stop.kill-period=1s",
                "-Dmcprouter.stop.shutdown-timeout=8s",
                // idle blocking threads end soon, so the thread count can come back to its start
                "-Dmcprouter.blocking-dispatcher.blocking-io-executor.keep-alive-time=2s"));
    for (String option : extraJvmOptions.trim().split("\\s+")) {
      if (!option.isEmpty()) {
        command.add(option);
      }
    }
    command.addAll(List.of("-jar", JAR.toString(), "serve", "-c", toml.toString()));
    Process process = new ProcessBuilder(command).directory(workDir.toFile()).start();
    SoakRouter router = new SoakRouter(process, workDir.resolve("router.log"));
    if (!router.bound.await(90, TimeUnit.SECONDS)) {
      router.close();
      throw new AssertionError("router did not report both ports; log tail:\n" + router.tail(40));
    }
    return router;
  }

  private void pump(InputStream in, String prefix) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                  onLine(prefix + line);
                }
              } catch (IOException ignored) {
                // the router ended
              }
            },
            "soak-router-log");
    t.setDaemon(true);
    t.start();
  }

  private void onLine(String line) {
    logLines.incrementAndGet();
    if (line.startsWith("\tat ") || line.startsWith("stderr: \tat ")) {
      stackLines.incrementAndGet();
    }
    synchronized (tail) {
      tail.addLast(line);
      if (tail.size() > 400) {
        tail.removeFirst();
      }
    }
    logFile.println(line);
    Matcher m = LISTENING.matcher(line);
    if (m.find()) {
      ("proxy".equals(m.group(1)) ? proxyPort : apiPort).set(Integer.parseInt(m.group(2)));
      bound.countDown();
    }
  }

  String tail(int lines) {
    synchronized (tail) {
      List<String> all = new ArrayList<>(tail);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
  }

  long logLines() {
    return logLines.get();
  }

  long stackTraceLines() {
    return stackLines.get();
  }

  int proxyPort() {
    return proxyPort.get();
  }

  int apiPort() {
    return apiPort.get();
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  /** The exit status, or null while it runs. */
  Integer exitCode() {
    return process.isAlive() ? null : process.exitValue();
  }

  /**
   * SIGTERM, as a service manager stops it; SIGKILL if it does not exit in time. Returns the exit
   * status.
   */
  int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    return process.exitValue();
  }

  @Override
  public void close() {
    process.destroyForcibly();
    logFile.close();
  }
}
