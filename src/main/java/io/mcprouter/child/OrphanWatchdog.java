package io.mcprouter.child;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small {@code sh} process that outlives the router by an instant: its stdin is a pipe from this
 * JVM that nothing is ever written to, so it reaches EOF exactly when the JVM is gone, however it
 * died (SIGKILL and the OOM killer included), and the watchdog then SIGKILLs every process carrying
 * this run's {@link ChildMarkers#RUN} marker. It costs nothing while the router runs (one blocked
 * {@code read}, about 1 MB). It ignores the terminal's and a process group's signals and runs in a
 * session of its own, so Ctrl-C or a signal to the router's group does not take it with the router.
 * Linux only (/proc): elsewhere it is not started.
 */
public final class OrphanWatchdog {

  private static final Logger log = LoggerFactory.getLogger(OrphanWatchdog.class);

  /**
   * $1 is the marker entry, $2 the router's pid for the log line. The sweep repeats while it finds
   * marked processes, to catch a fork in flight when its parent was killed; bounded in case of a
   * fork bomb.
   */
  private static final String SCRIPT =
      String.join(
          "\n",
          "trap '' HUP INT TERM QUIT PIPE",
          "while read -r _; do :; done",
          "killed=",
          "round=0",
          "while [ $round -lt 20 ]; do",
          "  found=",
          "  for f in $(grep -lzxF -e \"$1\" /proc/[0-9]*/environ 2>/dev/null); do",
          "    p=${f#/proc/}; p=${p%/environ}",
          "    found=\"$found $p\"",
          "    case \" $killed \" in *\" $p \"*) ;; *) killed=\"$killed $p\" ;; esac",
          "  done",
          "  [ -z \"$found\" ] && break",
          "  kill -9 $found 2>/dev/null",
          "  round=$((round + 1))",
          "done",
          "[ -n \"$killed\" ] && echo \"mcprouter watchdog: router pid $2 has ended; killed processes it left:$killed\" >&2",
          "exit 0");

  /** A watchdog that dies at once (no sh, no grep) is not restarted in a tight loop. */
  private static final long RESTART_DELAY_MS = 1000;

  /**
   * Strongly held for the JVM's lifetime: a collected Process would have its stdin closed by a
   * cleaner, and that EOF would make the watchdog sweep away every child of a router still running.
   */
  private static Process process;

  private OrphanWatchdog() {}

  /**
   * Starts the watchdog if it is not running. Blocking (a process start): the blocking dispatcher
   * only.
   */
  static synchronized void ensureRunning() {
    if (!ProcTable.AVAILABLE || process != null && process.isAlive()) {
      return;
    }
    List<String> argv = new ArrayList<>();
    if (ProcessTree.setsid() != null) {
      argv.add(ProcessTree.setsid());
    }
    argv.addAll(
        List.of(
            "sh",
            "-c",
            SCRIPT,
            "mcprouter-watchdog",
            ChildMarkers.RUN_VARIABLE + "=" + ChildMarkers.RUN,
            Long.toString(ProcessHandle.current().pid())));
    ProcessBuilder builder =
        new ProcessBuilder(argv)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    // a router started by a router inherits the outer markers: the outer sweep must not kill this
    // watchdog, which is what stops this router's children when this router is killed by that sweep
    builder.environment().remove(ChildMarkers.RUN_VARIABLE);
    builder.environment().remove(ChildMarkers.INSTANCE_VARIABLE);
    // it needs nothing of the router's own (the admin token among them)
    builder
        .environment()
        .keySet()
        .removeIf(name -> name.startsWith(ChildEnvironment.ROUTER_PREFIX));
    try {
      Process started = builder.start();
      process = started;
      log.info("orphan watchdog started pid={}", started.pid());
      started
          .onExit()
          .thenRunAsync(
              () -> restart(started),
              CompletableFuture.delayedExecutor(RESTART_DELAY_MS, TimeUnit.MILLISECONDS));
    } catch (IOException e) {
      log.error(
          "orphan watchdog could not be started ({}); children's descendants may outlive a killed router",
          e.getMessage());
    }
  }

  private static void restart(Process dead) {
    synchronized (OrphanWatchdog.class) {
      if (process != dead) {
        return;
      }
    }
    log.warn(
        "orphan watchdog pid={} exited with code {}; starting a new one",
        dead.pid(),
        dead.exitValue());
    ensureRunning();
  }

  /** For tests: the running watchdog's pid, or -1. */
  static synchronized long pid() {
    return process != null && process.isAlive() ? process.pid() : -1;
  }
}
