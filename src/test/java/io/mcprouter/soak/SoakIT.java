package io.mcprouter.soak;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The randomized soak test of issue 11: the packaged router under many concurrent clients doing
 * everything clients, children and attackers do, with invariants checked throughout and the
 * router's resources compared after quiescence.
 *
 * <p>Properties: {@code soak.seed} (default: random, printed), {@code soak.seconds} (60), {@code
 * soak.clients} (10 workers), {@code soak.ops} (e.g. {@code -deep,-hugenum}, see {@link
 * SoakDriver#parseOps}), {@code soak.health-ms} (5000: the bound on /health), {@code
 * soak.settle-seconds} (15: how long quiescence may take), {@code soak.report-seconds} (0: no
 * periodic resource lines), {@code soak.router-opts} (extra JVM options for the router).
 *
 * <p>Reproduce a failure: {@code mvn -B verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false
 * -Dit.test=SoakIT -Dsoak.seed=<seed>} (the same operations per worker; timing may differ).
 */
class SoakIT {

  private static final long HEAP_MARGIN_KB = 48 * 1024;
  private static final int FD_MARGIN = 16;
  private static final int THREAD_MARGIN = 12;
  private static final long THREAD_KEEP_ALIVE_MS = 70_000;

  /** Log lines may carry an 8-character prefix of a session id, never all of it. */
  private static final Pattern FULL_ID = Pattern.compile("\\b[0-9a-f]{32}\\b");

  @Test
  void theRouterSurvivesRandomClientsChildrenAndAttackersAndReleasesEverything() throws Exception {
    long seed = Long.getLong("soak.seed", new Random().nextLong() & 0xffff_ffffL);
    int seconds = Integer.getInteger("soak.seconds", 60);
    int clients = Integer.getInteger("soak.clients", 10);
    int healthMs = Integer.getInteger("soak.health-ms", 5000);
    int settleSeconds = Integer.getInteger("soak.settle-seconds", 15);
    int reportSeconds = Integer.getInteger("soak.report-seconds", 0);
    String opsSpec = System.getProperty("soak.ops", "");
    Predicate<String> enabled = SoakDriver.parseOps(opsSpec);
    Path dir = Path.of("target/soak/seed-" + seed).toAbsolutePath();
    System.out.println(
        "soak: seed="
            + seed
            + " seconds="
            + seconds
            + " clients="
            + clients
            + " ops="
            + (opsSpec.isEmpty() ? "all" : opsSpec)
            + " (reproduce with -Dsoak.seed="
            + seed
            + "); router log in "
            + dir.resolve("router.log"));

    Invariants inv = new Invariants();
    List<String> report = new ArrayList<>();
    try (SoakRouter router = SoakRouter.start(dir, System.getProperty("soak.router-opts", ""))) {
      ResourceProbe probe = new ResourceProbe(router);
      Thread health = inv.watchHealth(router, healthMs, 250);
      warmUp(router, inv);
      ResourceProbe.Snapshot start = probe.snapshot(true);
      report.add("start:  " + start.line());
      System.out.println("soak: start  " + start.line());

      Thread periodic = periodic(probe, reportSeconds, inv);
      long began = System.currentTimeMillis();
      new SoakDriver(router, inv, seed, clients, enabled).run(began + seconds * 1000L);
      if (periodic != null) {
        periodic.interrupt();
      }
      long quiet = System.currentTimeMillis();
      report.add(
          String.format(
              "ran %.1f s (%d s of new operations, then the last ones finishing)",
              (quiet - began) / 1000.0, seconds));

      if (router.alive()) {
        ResourceProbe.Snapshot end = quiescence(probe, inv, start, settleSeconds, report);
        report.add("end:    " + end.line());
        System.out.println("soak: end    " + end.line());
      }
      health.interrupt();
      report.add("health: " + inv.healthFigures());
      report.add(
          "router log: "
              + router.logLines()
              + " lines, "
              + router.stackTraceLines()
              + " stack-trace lines");
      report.add("operations: " + inv.operations());
      report.add("outcomes:   " + inv.outcomes());
      if (router.alive()) {
        int status = router.stop();
        if (status != 0 && status != 143) {
          inv.violation("main", "exit status", "after SIGTERM the router exited with " + status);
        }
      }
      finish(seed, inv, report, router, dir);
    }
  }

  /** Starts the shared children, so the start figures include them. */
  private static void warmUp(SoakRouter router, Invariants inv) throws Exception {
    for (String key : List.of(SoakRouter.SHARED, SoakRouter.CRASHY, SoakRouter.CAPPED)) {
      RawHttp.Response r =
          RawHttp.json(
              router.apiPort(),
              "POST",
              "/v1/call-tool",
              key,
              "{\"name\":\"echo\",\"arguments\":{\"text\":\"warm\"}}",
              60_000);
      if (r.status() != 200) {
        throw new AssertionError("warm-up call on " + key + " -> " + r.status() + " " + r.text());
      }
    }
    // a few more calls, so the JIT and the pools have seen the paths before the start figures
    for (int i = 0; i < 20; i++) {
      RawHttp.json(
          router.apiPort(),
          "POST",
          "/v1/call-tool",
          SoakRouter.SHARED,
          "{\"name\":\"echo\",\"arguments\":{\"text\":\"warm\"}}",
          60_000);
      RawHttp.json(router.proxyPort(), "GET", "/admin/list-clients", null, null, 60_000);
    }
  }

  private static Thread periodic(ResourceProbe probe, int everySeconds, Invariants inv) {
    if (everySeconds <= 0) {
      return null;
    }
    Thread t =
        new Thread(
            () -> {
              long began = System.currentTimeMillis();
              while (!Thread.currentThread().isInterrupted()) {
                try {
                  Thread.sleep(everySeconds * 1000L); // the report's period
                } catch (InterruptedException e) {
                  return;
                }
                System.out.printf(
                    "soak: %5ds %s ops=%d%n",
                    (System.currentTimeMillis() - began) / 1000,
                    probe.snapshot(true).line(),
                    inv.operations().values().stream().mapToLong(Long::longValue).sum());
              }
            },
            "soak-report");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * After the last client closed: no session, no per-session child, one child at most per shared
   * key, no stray descendant, and fds back near the start; then heap and threads back near the
   * start. Waits up to {@code settleSeconds} for that, then records what is left (and, for the
   * notes, how long it lingers).
   */
  private static ResourceProbe.Snapshot quiescence(
      ResourceProbe probe,
      Invariants inv,
      ResourceProbe.Snapshot start,
      int settleSeconds,
      List<String> report)
      throws InterruptedException {
    long began = System.currentTimeMillis();
    long deadline = began + settleSeconds * 1000L;
    ResourceProbe.Snapshot s = probe.snapshot(false);
    while (!settled(s, start) && System.currentTimeMillis() < deadline) {
      Thread.sleep(250); // polling a deadline-bounded wait
      s = probe.snapshot(false);
    }
    long tookMs = System.currentTimeMillis() - began;
    if (!settled(s, start)) {
      String left =
          s.line()
              + (s.untagged().isEmpty() ? "" : " untagged: " + s.untagged())
              + " clients: "
              + probe.clients();
      // how long it lingers says which fix is missing (a keep-alive, an idle timeout, never)
      long lingerDeadline = System.currentTimeMillis() + 45_000;
      ResourceProbe.Snapshot later = s;
      while (!settled(later, start) && System.currentTimeMillis() < lingerDeadline) {
        Thread.sleep(1000); // polling a deadline-bounded wait
        later = probe.snapshot(false);
      }
      String after =
          settled(later, start)
              ? "gone after " + (System.currentTimeMillis() - began) / 1000 + " s"
              : "still there after "
                  + (System.currentTimeMillis() - began) / 1000
                  + " s: "
                  + later.line();
      inv.violation(
          "main",
          "left behind",
          "not settled "
              + settleSeconds
              + " s after the last client closed: "
              + left
              + "; "
              + after);
    } else {
      report.add("quiescence reached in " + tookMs + " ms");
    }
    // idle pool threads (Akka's fork-join dispatchers, the JDK's pools) end only after their
    // keep-alive
    // of 60 s: a thread still there after that is a leak, one that ends before it is not
    long threadDeadline = System.currentTimeMillis() + THREAD_KEEP_ALIVE_MS;
    while (s.threads() > start.threads() + THREAD_MARGIN
        && System.currentTimeMillis() < threadDeadline) {
      Thread.sleep(1000); // polling a deadline-bounded wait
      s = probe.snapshot(false);
    }
    ResourceProbe.Snapshot end = probe.snapshot(true);
    // the heap and thread figures need the blocking threads' keep-alive (2 s) to have passed
    if (start.heapUsedKb() > 0
        && end.heapUsedKb()
            > start.heapUsedKb() + Math.max(HEAP_MARGIN_KB, start.heapUsedKb() / 2)) {
      inv.violation(
          "main",
          "heap grew",
          "live heap after GC "
              + start.heapUsedKb() / 1024
              + " MiB at start, "
              + end.heapUsedKb() / 1024
              + " MiB after quiescence");
    }
    if (end.fds() > start.fds() + FD_MARGIN) {
      inv.violation(
          "main",
          "fds grew",
          start.fds() + " file descriptors at start, " + end.fds() + " after quiescence");
    }
    if (end.threads() > start.threads() + THREAD_MARGIN) {
      inv.violation(
          "main",
          "threads grew",
          start.threads() + " threads at start, " + end.threads() + " after quiescence");
    }
    return end;
  }

  private static boolean settled(ResourceProbe.Snapshot s, ResourceProbe.Snapshot start) {
    Map<String, Integer> p = s.processes();
    // REST calls on the per-session key use one multiplexed child of its own (README "REST API"),
    // so solo may keep one; every child of a session must be gone (the watchdog is one process too)
    boolean sharedOnly =
        p.getOrDefault("other", 0) == 0 && p.entrySet().stream().allMatch(e -> e.getValue() <= 1);
    // threads are judged after their pools' keep-alive (see quiescence), not here
    return s.sessions() == 0 && sharedOnly && s.fds() <= start.fds() + FD_MARGIN;
  }

  private static void finish(
      long seed, Invariants inv, List<String> report, SoakRouter router, Path dir)
      throws Exception {
    List<Invariants.Violation> violations = inv.violations();
    StringBuilder out = new StringBuilder("soak: seed=" + seed + "\n");
    report.forEach(l -> out.append("  ").append(l).append('\n'));
    long fullIds =
        Files.lines(dir.resolve("router.log")).filter(l -> FULL_ID.matcher(l).find()).count();
    if (fullIds > 0) {
      inv.violation(
          "main",
          "full session id logged",
          fullIds
              + " router log lines hold a full 32-hex session id, e.g. "
              + Files.lines(dir.resolve("router.log"))
                  .filter(l -> FULL_ID.matcher(l).find())
                  .findFirst()
                  .orElse(""));
      violations = inv.violations();
    }
    if (!violations.isEmpty()) {
      Map<String, Integer> byKind = new TreeMap<>();
      violations.forEach(v -> byKind.merge(v.kind(), 1, Integer::sum));
      out.append("VIOLATIONS ").append(byKind).append('\n');
      Map<String, Integer> shown = new TreeMap<>();
      for (Invariants.Violation v : violations) {
        if (shown.merge(v.kind(), 1, Integer::sum) <= 3) {
          out.append(String.format("  %7.3f s %s: %s%n", v.atMs() / 1000.0, v.kind(), v.detail()));
        }
      }
      out.append("operation log tail:\n").append(inv.logTail(120)).append('\n');
      out.append("router log tail:\n").append(router.tail(40)).append('\n');
      out.append(
              "reproduce: mvn -B verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=SoakIT -Dsoak.seed=")
          .append(seed)
          .append('\n');
    }
    Files.writeString(
        dir.resolve("report.txt"), out + "\nfull operation log tail:\n" + inv.logTail(3000));
    System.out.println(out);
    if (!violations.isEmpty()) {
      fail(
          "soak seed "
              + seed
              + " broke invariants "
              + violations.stream().map(Invariants.Violation::kind).distinct().toList()
              + "\n"
              + out);
    }
  }
}
