package io.mcprouter.child;

import io.mcprouter.config.ServerSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Starts an MCP server command and signals everything it left running. Blocking: call it only on
 * the blocking dispatcher.
 *
 * <p>The command runs as {@code setsid sh -c COMMAND}, so the child leads a process group of its
 * own (pid == pgid), with the {@link ChildMarkers} in its environment. A signal goes to the group,
 * to every process carrying the child's instance marker, and to the descendants of all of them:
 * that reaches {@code node} under {@code npx} after the {@code sh} wrapper has exited and its
 * children were re-parented, and a grandchild that left the group with {@code setsid} and was
 * re-parented away from the tree, which neither the group nor {@code descendants()} alone would
 * find.
 */
public final class ProcessTree {

  private static final String SETSID = findSetsid();

  /**
   * A SIGKILL sweep repeats while it finds processes it has not signalled yet (a fork in flight
   * when its parent was killed); a tree that forks faster than the kills land is given up on after
   * this many.
   */
  private static final int MAX_KILL_ROUNDS = 10;

  private ProcessTree() {}

  /**
   * Starts {@code spec}'s command marked with {@code instance} (see {@link
   * ChildMarkers#newInstance}).
   */
  public static Process start(ServerSpec spec, String instance, ChildEnvironment environment)
      throws IOException {
    OrphanWatchdog.ensureRunning(); // before the child, so no child ever runs without it
    List<String> argv = new ArrayList<>();
    if (SETSID != null) {
      argv.add(SETSID);
    }
    argv.add("sh");
    argv.add("-c");
    argv.add(spec.command());
    ProcessBuilder builder = new ProcessBuilder(argv);
    environment.apply(spec, builder.environment());
    // after the operator's env, so a configured value cannot switch the clean-up off
    builder.environment().put(ChildMarkers.RUN_VARIABLE, ChildMarkers.RUN);
    builder.environment().put(ChildMarkers.INSTANCE_VARIABLE, instance);
    spec.cwd().ifPresent(dir -> builder.directory(new File(dir)));
    return builder.start();
  }

  /**
   * SIGTERM (forcibly == false) or SIGKILL to the group led by {@code pid}, to every process marked
   * with {@code instance}, and to their descendants. A SIGKILL is repeated until a scan finds
   * nothing new. Returns how many processes were signalled.
   */
  public static int signal(long pid, String instance, boolean forcibly) {
    if (!ProcTable.AVAILABLE) {
      return signalWithoutProc(pid, forcibly);
    }
    byte[] marker = ChildMarkers.entry(ChildMarkers.INSTANCE_VARIABLE, instance);
    long self = ProcessHandle.current().pid();
    Set<Long> signalled = new HashSet<>();
    for (int round = 0; round < (forcibly ? MAX_KILL_ROUNDS : 1); round++) {
      ProcTable table = ProcTable.scan(marker);
      Set<Long> roots = new LinkedHashSet<>(table.marked());
      roots.add(pid);
      if (SETSID != null) {
        roots.addAll(table.groupMembers(pid));
      }
      List<Long> fresh = new ArrayList<>();
      for (long target : table.withDescendants(roots)) {
        if (target != self && table.running(target) && signalled.add(target)) {
          fresh.add(target);
        }
      }
      if (fresh.isEmpty()) {
        break;
      }
      fresh.forEach(
          target ->
              ProcessHandle.of(target)
                  .ifPresent(
                      p -> {
                        if (forcibly) {
                          p.destroyForcibly();
                        } else {
                          p.destroy();
                        }
                      }));
    }
    return signalled.size();
  }

  /** Processes whose process group is {@code pgid}, read from /proc (Linux). */
  public static List<ProcessHandle> groupMembers(long pgid) {
    if (!ProcTable.AVAILABLE) {
      return List.of();
    }
    List<ProcessHandle> members = new ArrayList<>();
    ProcTable.scan(null)
        .groupMembers(pgid)
        .forEach(pid -> ProcessHandle.of(pid).ifPresent(members::add));
    return members;
  }

  /** Elsewhere than Linux: the child and the descendants the JDK can see. */
  private static int signalWithoutProc(long pid, boolean forcibly) {
    Set<ProcessHandle> targets = new LinkedHashSet<>();
    ProcessHandle.of(pid)
        .ifPresent(
            root -> {
              targets.add(root);
              root.descendants().forEach(targets::add);
            });
    int signalled = 0;
    for (ProcessHandle process : targets) {
      if (process.isAlive() && (forcibly ? process.destroyForcibly() : process.destroy())) {
        signalled++;
      }
    }
    return signalled;
  }

  static String setsid() {
    return SETSID;
  }

  private static String findSetsid() {
    for (String dir : List.of("/usr/bin", "/bin", "/usr/local/bin")) {
      if (Files.isExecutable(Path.of(dir, "setsid"))) {
        return dir + "/setsid";
      }
    }
    return null;
  }
}
