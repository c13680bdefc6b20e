package io.mcprouter.server;

import io.mcprouter.config.LiveConfig;
import io.mcprouter.config.ServerSpec;
import org.slf4j.Logger;

/**
 * Children of per-session keys started ahead of their sessions ({@code spare_children}): a new
 * session takes a running child instead of waiting for one to start (a Node server takes half a
 * second, an {@code npx} one seconds), which is what makes a per-session key usable by stateless
 * 2026-07-28 clients, whose every request is a session of its own. A key is topped up when the
 * router starts and whenever one of its sessions opens, within the same limits as any child; not
 * when a spare exits or is stopped, so an operator's stop stays a stop and a crashing command is
 * not restarted in a loop.
 */
final class SpareChildren {

  private final LiveConfig config;
  private final Instances<?> instances;
  private final Admission admission;
  private final CrashLoopBars crashLoops;
  private final StartPermits permits;
  private final Logger log;

  SpareChildren(
      LiveConfig config,
      Instances<?> instances,
      Admission admission,
      CrashLoopBars crashLoops,
      StartPermits permits,
      Logger log) {
    this.config = config;
    this.instances = instances;
    this.admission = admission;
    this.crashLoops = crashLoops;
    this.permits = permits;
    this.log = log;
  }

  void fillAll() {
    config.get().servers().values().forEach(this::fill);
  }

  /**
   * Starts spares until the key has its number, or a limit says no (then quietly: retried later).
   */
  void fill(ServerSpec spec) {
    while (!spec.shareProcess()
        && instances.spareCount(spec.key()) < spec.spareChildren()
        && crashLoops.barring(spec.key()).isEmpty()
        // no session is evicted for a spare: only a free child slot is used
        && admission.childrenFull(true, instances.size()).isEmpty()
        && permits.tryAcquire(spec.key())) {
      instances.spawnSpare(spec);
      log.info(
          "spare child starting key={} spares={}/{}",
          spec.key(),
          instances.spareCount(spec.key()),
          spec.spareChildren());
    }
  }
}
