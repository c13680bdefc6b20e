package io.mcprouter.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** OS-level facts about processes, for "no child left behind" assertions. */
public final class Processes {
  private Processes() {}

  /**
   * Alive and not a zombie. A killed orphan is re-parented to PID 1, which in a container may reap
   * it late; as a zombie it holds no resources and runs no code, so it counts as gone.
   */
  public static boolean alive(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException e) {
      return false;
    }
  }

  /** SIGKILL, for a test's own clean-up after a failure. */
  public static void kill(long... pids) {
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }
}
