package io.mcprouter.soak;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The soak's bookkeeping and judgement: the operation log, counters by kind, the violations seen,
 * the keys' disruptions (a crash or a stop makes some errors legitimate), and the /health watcher.
 */
final class Invariants {

  /** A broken invariant, with the worker and operation that saw it. */
  record Violation(long atMs, String kind, String detail) {}

  private final long startMs = System.currentTimeMillis();
  private final ArrayDeque<String> log = new ArrayDeque<>();
  private final List<Violation> violations = new ArrayList<>();
  private final Map<String, LongAdder> operations = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> disruptions = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> disruptedUntil = new ConcurrentHashMap<>();
  private final AtomicLong healthWorstMs = new AtomicLong();
  private final AtomicLong healthChecks = new AtomicLong();
  private volatile boolean fatal;

  /** One line in the operation log (the tail is printed on failure). */
  void log(String worker, String line) {
    String entry =
        String.format("%7.3f %s %s", (System.currentTimeMillis() - startMs) / 1000.0, worker, line);
    synchronized (log) {
      log.addLast(entry);
      if (log.size() > 3000) {
        log.removeFirst();
      }
    }
  }

  String logTail(int lines) {
    synchronized (log) {
      List<String> all = new ArrayList<>(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
  }

  void operation(String kind) {
    operations.computeIfAbsent(kind, k -> new LongAdder()).increment();
  }

  /**
   * An outcome worth counting (a documented error, a refusal, a reset): not a failure by itself.
   */
  void outcome(String kind) {
    outcomes.computeIfAbsent(kind, k -> new LongAdder()).increment();
  }

  void violation(String worker, String kind, String detail) {
    Violation v = new Violation(System.currentTimeMillis() - startMs, kind, detail);
    synchronized (violations) {
      if (violations.size() < 500) {
        violations.add(v);
      }
    }
    outcome("VIOLATION " + kind);
    log(worker, "VIOLATION " + kind + ": " + detail);
  }

  /** The router is gone or unusable: the workers stop early, there is nothing more to learn. */
  void fatal(String worker, String kind, String detail) {
    violation(worker, kind, detail);
    fatal = true;
  }

  boolean isFatal() {
    return fatal;
  }

  List<Violation> violations() {
    synchronized (violations) {
      return List.copyOf(violations);
    }
  }

  Map<String, Long> operations() {
    return counts(operations);
  }

  Map<String, Long> outcomes() {
    return counts(outcomes);
  }

  private static Map<String, Long> counts(Map<String, LongAdder> from) {
    Map<String, Long> out = new TreeMap<>();
    from.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  // ------------------------------------------------------------ disruptions

  /**
   * A crash or stop of the key begins: until {@link #disruptionEnds} plus a grace, errors on it are
   * legitimate.
   */
  void disrupt(String key) {
    disruptions.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
    disruptedUntil
        .computeIfAbsent(key, k -> new AtomicLong())
        .accumulateAndGet(System.currentTimeMillis() + 60_000, Math::max);
  }

  /** The disruption's effects (a restart, a crash-loop bar) last a few seconds after it is over. */
  void disruptionEnds(String key, long graceMs) {
    disruptedUntil
        .computeIfAbsent(key, k -> new AtomicLong())
        .set(System.currentTimeMillis() + graceMs);
  }

  long disruptionCount(String key) {
    return disruptions.computeIfAbsent(key, k -> new AtomicLong()).get();
  }

  /**
   * Whether the key was crashed or stopped since {@code count} was read, or is still recovering.
   */
  boolean disruptedSince(String key, long count) {
    return disruptionCount(key) != count
        || System.currentTimeMillis()
            < disruptedUntil.computeIfAbsent(key, k -> new AtomicLong()).get();
  }

  // ------------------------------------------------------------ statuses

  /**
   * Judges an HTTP status on a request that is not hostile. 2xx is fine; 503 naming a limit or a
   * stopping or failed server, 502 of a crash-looping key and 504 are documented outcomes; 404 and
   * 502 are legitimate only while the key is disrupted; anything else is a violation. Returns
   * whether the status is 2xx.
   */
  boolean judgeStatus(
      String worker, String what, String key, long disruption, int status, String body) {
    if (status >= 200 && status < 300) {
      return true;
    }
    String b = body == null ? "" : body.substring(0, Math.min(300, body.length()));
    if (status == 503 && (b.contains("mcprouter.limits") || b.contains("limit"))) {
      outcome("503 limit " + limitName(b));
    } else if (status == 503
        && (b.contains("stopping")
            || b.contains("failed")
            || b.contains("crash")
            || b.contains("busy"))) {
      outcome("503 stopping/failed/busy");
    } else if (status == 504) {
      outcome("504 timeout");
    } else if (status == 502 && b.contains("crash-looping")) {
      // documented: a key that crashed too often within restart.crash-window is refused for that
      // window,
      // which can outlast the grace the harness gives a disruption
      outcome("502 crash-looping key");
    } else if ((status == 404 || status == 502 || status == 503)
        && key != null
        && disruptedSince(key, disruption)) {
      outcome(status + " during a stop or crash");
    } else {
      violation(worker, "unexpected " + status, what + " -> " + status + " " + b);
    }
    return false;
  }

  static String limitName(String body) {
    Matcher m = Pattern.compile("mcprouter\\.[a-z.-]+").matcher(body);
    return m.find() ? m.group() : "(unnamed)";
  }

  // ------------------------------------------------------------ health

  /**
   * Polls /health on both ports until stopped; a slow or missing answer is a violation, a dead
   * router fatal.
   */
  Thread watchHealth(SoakRouter router, int boundMs, int everyMs) {
    Thread t =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                if (!router.alive()) {
                  fatal(
                      "health",
                      "router exited",
                      "exit status " + router.exitCode() + "; log tail:\n" + router.tail(30));
                  return;
                }
                for (int port : new int[] {router.proxyPort(), router.apiPort()}) {
                  long began = System.nanoTime();
                  try {
                    RawHttp.Response r =
                        RawHttp.json(port, "GET", "/health", null, null, boundMs * 4);
                    long ms = (System.nanoTime() - began) / 1_000_000;
                    healthChecks.incrementAndGet();
                    healthWorstMs.accumulateAndGet(ms, Math::max);
                    if (r.status() != 200) {
                      violation(
                          "health",
                          "health status",
                          "port " + port + " -> " + r.status() + " " + r.text());
                    } else if (ms > boundMs) {
                      violation(
                          "health",
                          "health slow",
                          "port " + port + " answered in " + ms + " ms (bound " + boundMs + " ms)");
                    }
                  } catch (IOException e) {
                    if (router.alive()) {
                      violation("health", "health unreachable", "port " + port + ": " + e);
                    }
                  }
                }
                try {
                  Thread.sleep(everyMs); // the probe's period, not a synchronisation
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "soak-health");
    t.setDaemon(true);
    t.start();
    return t;
  }

  String healthFigures() {
    return healthChecks.get() + " checks, slowest " + healthWorstMs.get() + " ms";
  }
}
