package io.mcprouter.soak;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The seeded random driver: {@code clients} workers, worker {@code i} drawing its operations from
 * {@code new Random(seed * 1_000_003 + i)}, until the time is up or the router is lost. The same
 * seed gives every worker the same sequence of operations and arguments; how they interleave in
 * time depends on the machine.
 */
final class SoakDriver {

  /** Operation kinds with their weights; names are what -Dsoak.ops lists. */
  static final Map<String, Integer> WEIGHTS = new LinkedHashMap<>();

  static {
    WEIGHTS.put("sse-shared", 14);
    WEIGHTS.put("sse-solo", 5);
    WEIGHTS.put("sse-crashy", 3);
    WEIGHTS.put("mcp-shared", 14);
    WEIGHTS.put("mcp-solo", 5);
    WEIGHTS.put("mcp-crashy", 2);
    WEIGHTS.put("rest", 12);
    WEIGHTS.put("list", 6);
    WEIGHTS.put("stop", 2);
    WEIGHTS.put("crash-rest", 1);
    WEIGHTS.put("limit-sessions", 1);
    WEIGHTS.put("kill-client", 2);
    WEIGHTS.put("deep", 1);
    WEIGHTS.put("hugenum", 1);
    WEIGHTS.put("malformed", 5);
    WEIGHTS.put("garbage-connection", 3);
  }

  private final long seed;
  private final int clients;
  private final Invariants inv;
  private final Predicate<String> enabled;
  private final SessionOps sessions;
  private final Operations ops;
  private final HostileOps hostile;
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "soak-pool");
            t.setDaemon(true);
            return t;
          });

  /** Node clients are costly to start on a small machine: one at a time. */
  private final Semaphore nodeClients = new Semaphore(1);

  private final Semaphore limitRuns = new Semaphore(1);
  private final AtomicInteger sessionSeq = new AtomicInteger();

  SoakDriver(SoakRouter router, Invariants inv, long seed, int clients, Predicate<String> enabled) {
    this.seed = seed;
    this.clients = clients;
    this.inv = inv;
    this.enabled = enabled;
    this.sessions = new SessionOps(router, inv, pool, new Tools(inv, enabled));
    this.ops = new Operations(router, inv);
    this.hostile = new HostileOps(router, inv);
  }

  /**
   * Parses -Dsoak.ops: empty or {@code all} enables everything; {@code a,b} enables only those;
   * {@code -a,-b} everything but those. A trailing {@code *} matches a prefix ({@code -call-*}).
   */
  static Predicate<String> parseOps(String spec) {
    List<String> include = new ArrayList<>();
    List<String> exclude = new ArrayList<>();
    for (String part : spec.split(",")) {
      String p = part.trim();
      if (p.isEmpty() || p.equals("all")) {
        continue;
      }
      (p.startsWith("-") ? exclude : include).add(p.startsWith("-") ? p.substring(1) : p);
    }
    return name ->
        (include.isEmpty() || include.stream().anyMatch(p -> matches(p, name)))
            && exclude.stream().noneMatch(p -> matches(p, name));
  }

  private static boolean matches(String pattern, String name) {
    return pattern.endsWith("*")
        ? name.startsWith(pattern.substring(0, pattern.length() - 1))
        : pattern.equals(name);
  }

  /**
   * Runs the workers until {@code endMs} (or a fatal violation) and waits for them to finish their
   * operation.
   */
  void run(long endMs) throws InterruptedException {
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      String name = "w" + i;
      Random rnd = new Random(seed * 1_000_003L + i);
      Thread t = new Thread(() -> work(name, rnd, endMs), "soak-" + name);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
    for (Thread t : workers) {
      // a worker runs until endMs: only what it is still doing 120 s after that is stuck
      t.join(Math.max(1, endMs + 120_000 - System.currentTimeMillis()));
      if (t.isAlive()) {
        inv.violation(
            t.getName(),
            "worker stuck",
            "a worker did not finish its operation within 120 s after the end:\n" + stack(t));
      }
    }
    pool.shutdownNow();
  }

  private static String stack(Thread t) {
    StringBuilder b = new StringBuilder();
    for (StackTraceElement e : t.getStackTrace()) {
      b.append("    at ").append(e).append('\n');
    }
    return b.toString();
  }

  private void work(String worker, Random rnd, long endMs) {
    List<String> kinds = WEIGHTS.keySet().stream().filter(enabled).toList();
    int total = kinds.stream().mapToInt(WEIGHTS::get).sum();
    if (total == 0) {
      return;
    }
    while (System.currentTimeMillis() < endMs && !inv.isFatal()) {
      int r = rnd.nextInt(total);
      String kind = kinds.get(0);
      for (String k : kinds) {
        if ((r -= WEIGHTS.get(k)) < 0) {
          kind = k;
          break;
        }
      }
      String tag = worker + "-s" + sessionSeq.incrementAndGet();
      inv.operation(kind);
      inv.log(worker, "op " + kind + " " + tag);
      try {
        perform(worker, tag, kind, rnd);
      } catch (IOException e) {
        if (!inv.isFatal()) {
          inv.violation(worker, "io error", kind + " " + tag + ": " + e);
        }
      } catch (InterruptedException e) {
        return;
      } catch (Exception | AssertionError e) {
        inv.violation(worker, "harness error", kind + " " + tag + ": " + e);
      }
    }
  }

  private void perform(String worker, String tag, String kind, Random rnd) throws Exception {
    switch (kind) {
      case "sse-shared" -> sessions.sse(worker, tag, SoakRouter.SHARED, rnd);
      case "sse-solo" -> sessions.sse(worker, tag, SoakRouter.SOLO, rnd);
      case "sse-crashy" -> sessions.sse(worker, tag, SoakRouter.CRASHY, rnd);
      case "mcp-shared" -> sessions.streamable(worker, tag, SoakRouter.SHARED, rnd);
      case "mcp-solo" -> sessions.streamable(worker, tag, SoakRouter.SOLO, rnd);
      case "mcp-crashy" -> sessions.streamable(worker, tag, SoakRouter.CRASHY, rnd);
      case "rest" ->
          ops.rest(worker, tag, rnd.nextInt(3) == 0 ? SoakRouter.SOLO : SoakRouter.SHARED, rnd);
      case "list" -> ops.list(worker, rnd);
      case "stop" -> ops.stop(worker, rnd);
      case "crash-rest" -> ops.crash(worker);
      case "limit-sessions" -> {
        if (limitRuns.tryAcquire()) {
          try {
            ops.limitSessions(worker);
          } finally {
            limitRuns.release();
          }
        }
      }
      case "kill-client" -> {
        if (nodeClients.tryAcquire()) {
          try {
            ops.killClient(worker, rnd.nextBoolean() ? SoakRouter.SOLO : SoakRouter.SHARED, rnd);
          } finally {
            nodeClients.release();
          }
        }
      }
      case "deep" -> hostile.deep(worker, rnd);
      case "hugenum" -> hostile.hugeNumber(worker, rnd);
      case "malformed" -> hostile.malformed(worker, rnd);
      case "garbage-connection" -> hostile.garbageConnection(worker, rnd);
      default -> throw new IllegalStateException("unknown operation " + kind);
    }
  }
}
