package io.mcprouter.bench;

import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.TestRouter;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The cost of {@code interactive = "serialize"} (issue 12): N Streamable HTTP sessions on one
 * shared key call a tool at once, sequentially each, in attribute mode and in serialize mode (for
 * clients that declare sampling and elicitation, and for clients that declare neither, whose calls
 * a serialized key lets share the child); prints a markdown table of calls/s. The tool is
 * FakeMcpServer's {@code sleep} (a tool that takes its time without CPU, as one waiting on an API
 * or a user does) or {@code echo} (as fast as the child goes).
 *
 * <pre>bench/isolation.sh [calls-per-session] [sleep-ms]</pre>
 */
public final class SharedKeyModes {

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int sleepMs = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    try (TestRouter router =
        TestRouter.start(
            TestRouter.servers(
                TestRouter.fake("attribute", true),
                TestRouter.fake("serialize", true)
                    .withIsolation(ServerSpec.Interactive.SERIALIZE, List.of(), false)),
            "mcprouter.limits.max-in-flight-per-session = 1000")) {
      McpHttp http = new McpHttp(router.proxyPort());
      System.out.println(
          "| tool | sessions | attribute calls/s | serialize calls/s, clients that can be asked"
              + " nothing | serialize calls/s, interactive clients | interactive serialize /"
              + " attribute |");
      System.out.println("|---|---:|---:|---:|---:|---:|");
      for (String tool : List.of("echo", "sleep")) {
        for (int sessions : new int[] {1, 5, 20}) {
          Map<String, Object> arguments =
              tool.equals("echo") ? Map.of("text", "x".repeat(64)) : Map.of("ms", sleepMs);
          int warmUp = Math.max(10, calls / 5);
          run(http, "attribute", tool, arguments, sessions, warmUp, true);
          run(http, "serialize", tool, arguments, sessions, warmUp, true);
          double attribute = run(http, "attribute", tool, arguments, sessions, calls, true);
          double plain = run(http, "serialize", tool, arguments, sessions, calls, false);
          double serialize = run(http, "serialize", tool, arguments, sessions, calls, true);
          System.out.printf(
              "| %s | %d | %.0f | %.0f | %.0f | %.2f |%n",
              tool.equals("sleep") ? "sleep " + sleepMs + " ms" : tool,
              sessions,
              attribute,
              plain,
              serialize,
              serialize / attribute);
        }
      }
    }
  }

  /** Calls per second over all sessions; every answer is checked. */
  private static double run(
      McpHttp http,
      String key,
      String tool,
      Map<String, Object> arguments,
      int sessions,
      int calls,
      boolean interactive)
      throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < sessions; i++) {
      ids.add(http.openSession(key, interactive));
    }
    ExecutorService pool = Executors.newFixedThreadPool(sessions);
    try {
      long began = System.nanoTime();
      List<CompletableFuture<Void>> done = new ArrayList<>();
      for (String id : ids) {
        done.add(
            CompletableFuture.runAsync(
                () -> {
                  try {
                    for (int c = 0; c < calls; c++) {
                      HttpResponse<String> answer = http.call(key, id, c + 2, tool, arguments);
                      if (answer.statusCode() != 200 || !answer.body().contains("\"result\"")) {
                        throw new IllegalStateException(
                            "call failed: " + answer.statusCode() + " " + answer.body());
                      }
                    }
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                pool));
      }
      for (CompletableFuture<Void> d : done) {
        d.get(10, TimeUnit.MINUTES);
      }
      return sessions * (double) calls / ((System.nanoTime() - began) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }
}
