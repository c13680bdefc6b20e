package io.mcprouter.control;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** What stopping a server's children came to. */
public sealed interface StopOutcome
    permits StopOutcome.Stopped, StopOutcome.NotRunning, ControlFailure {

  /**
   * The key's children are gone. The counts are summed over the children and {@code took} is the
   * slowest one's, since they were stopped side by side; a remote report carries only these totals.
   */
  record Stopped(
      String key,
      boolean force,
      List<StoppedChild> children,
      int requestsCompleted,
      int requestsFailed,
      Duration took)
      implements StopOutcome {
    public Stopped {
      children = List.copyOf(children);
    }
  }

  /**
   * {@code exitCode} is empty when the process was reaped without one (killed, or already gone).
   */
  record StoppedChild(long pid, Optional<Integer> exitCode) {}

  /** The key names no running child (an unknown key is not running either). */
  record NotRunning(String key) implements StopOutcome {}
}
