package io.mcprouter.control;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One running child as an operator action reports it. {@code stderrTail} is the child's last stderr
 * lines: for the operator only (a shared child's stderr may hold any of its users' data).
 */
public record RunningServer(
    String key,
    String status,
    long pid,
    int sessions,
    int inFlight,
    Optional<Instant> startedAt,
    int restarts,
    boolean shareProcess,
    List<String> stderrTail) {

  public RunningServer {
    stderrTail = List.copyOf(stderrTail);
  }
}
