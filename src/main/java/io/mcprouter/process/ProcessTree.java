package io.mcprouter.process;

import io.mcprouter.config.ServerSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Starts an MCP server command and signals its whole process tree. Blocking: call it only on the
 * blocking dispatcher.
 *
 * <p>The command runs as {@code setsid sh -c COMMAND}, so the child leads a process group of its own
 * (pid == pgid). Signalling that group, plus every descendant found through {@link ProcessHandle},
 * reaches {@code node} under {@code npx} even after the {@code sh} wrapper has exited and its
 * children were re-parented, which {@code descendants()} alone would miss.
 */
public final class ProcessTree {

  private static final String SETSID = findSetsid();

  private ProcessTree() {}

  public static Process start(ServerSpec spec) throws IOException {
    List<String> argv = new ArrayList<>();
    if (SETSID != null) {
      argv.add(SETSID);
    }
    argv.add("sh");
    argv.add("-c");
    argv.add(spec.command());
    ProcessBuilder builder = new ProcessBuilder(argv);
    builder.environment().putAll(spec.env());
    spec.cwd().ifPresent(dir -> builder.directory(new File(dir)));
    return builder.start();
  }

  /** SIGTERM (forcibly == false) or SIGKILL to the group led by {@code pid} and to its descendants. */
  public static int signal(long pid, boolean forcibly) {
    Set<ProcessHandle> targets = new LinkedHashSet<>();
    ProcessHandle.of(pid).ifPresent(root -> {
      targets.add(root);
      root.descendants().forEach(targets::add);
    });
    if (SETSID != null) {
      groupMembers(pid).forEach(member -> {
        targets.add(member);
        member.descendants().forEach(targets::add);
      });
    }
    int signalled = 0;
    for (ProcessHandle process : targets) {
      if (process.isAlive() && (forcibly ? process.destroyForcibly() : process.destroy())) {
        signalled++;
      }
    }
    return signalled;
  }

  /** Processes whose process group is {@code pgid}, read from /proc (Linux). */
  static List<ProcessHandle> groupMembers(long pgid) {
    Path proc = Path.of("/proc");
    if (!Files.isDirectory(proc)) {
      return List.of();
    }
    List<ProcessHandle> members = new ArrayList<>();
    try (Stream<Path> entries = Files.list(proc)) {
      entries.forEach(dir -> {
        String name = dir.getFileName().toString();
        if (!name.isEmpty() && Character.isDigit(name.charAt(0)) && processGroup(dir) == pgid) {
          ProcessHandle.of(Long.parseLong(name)).ifPresent(members::add);
        }
      });
    } catch (IOException | RuntimeException e) {
      // /proc changes under our feet; a process that vanished needs no signal
    }
    return members;
  }

  private static long processGroup(Path procDir) {
    try {
      String stat = Files.readString(procDir.resolve("stat"));
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse from the last ')'
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[2]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
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
