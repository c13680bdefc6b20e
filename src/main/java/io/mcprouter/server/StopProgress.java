package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A stop in progress and the report each asker gets when it ends: the mode (a forced stop may
 * overtake a graceful one, never the reverse), when it began, and what became of the requests that
 * were in flight at that moment.
 */
final class StopProgress {

  private final List<ActorRef<ServerInstance.Stopped>> waiters = new ArrayList<>();
  private ServerInstance.StopMode mode;
  private Instant startedAt;
  private int inFlightAtStart;
  private int failed;

  /** True once a stop (asked for, or decided by the instance itself) has begun. */
  boolean begun() {
    return mode != null;
  }

  Optional<ServerInstance.StopMode> mode() {
    return Optional.ofNullable(mode);
  }

  boolean forced() {
    return mode == ServerInstance.StopMode.FORCE;
  }

  /**
   * Records a stop; true when it changes the mode (the first stop, or a forced one overtaking a
   * graceful one), which is when the instance acts on it.
   */
  boolean begin(ServerInstance.StopMode requested, int inFlight) {
    if (mode == null) {
      startedAt = Instant.now();
      inFlightAtStart = inFlight;
      mode = requested;
      return true;
    }
    if (requested == ServerInstance.StopMode.FORCE && mode == ServerInstance.StopMode.GRACEFUL) {
      mode = requested;
      return true;
    }
    return false;
  }

  void await(ActorRef<ServerInstance.Stopped> waiter) {
    waiters.add(waiter);
  }

  /** Requests failed by the router (not answered by the child) while the stop ran. */
  void failed(int count) {
    if (mode != null) {
      failed += count;
    }
  }

  ServerInstance.Stopped report(String key, long pid, Optional<Integer> exitCode) {
    int failedOfThem = Math.min(failed, inFlightAtStart);
    return new ServerInstance.Stopped(
        key,
        pid,
        exitCode,
        mode == null ? ServerInstance.StopMode.GRACEFUL : mode,
        inFlightAtStart - failedOfThem,
        failedOfThem,
        startedAt == null ? Duration.ZERO : Duration.between(startedAt, Instant.now()));
  }

  /** Tells every asker how the stop went. */
  void answer(ServerInstance.Stopped report) {
    waiters.forEach(waiter -> waiter.tell(report));
    waiters.clear();
  }
}
