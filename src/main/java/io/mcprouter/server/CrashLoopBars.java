package io.mcprouter.server;

import io.mcprouter.config.RouterSettings;
import io.mcprouter.jsonrpc.JsonRpcError;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * The one place where crashes are counted, per key, with one {@link RestartPolicy} each: a shared
 * child with sessions that crashed (its instance is told to restart after a backoff or to give up),
 * and children that die one after another without sessions to keep them restarting (REST-only use,
 * a per-session key). A crash loop bars the key for the crash window, or until an operator stops
 * it. Used only by the registry actor, on its thread.
 */
final class CrashLoopBars {

  private final RouterSettings.Restart restart;
  private final Logger log;
  private final Map<String, ServerInstance.KeyFailed> barred = new HashMap<>();
  private final Map<String, RestartPolicy> history = new HashMap<>();

  CrashLoopBars(RouterSettings.Restart restart, Logger log) {
    this.restart = restart;
    this.log = log;
  }

  /** An instance gave up on its key. */
  void bar(ServerInstance.KeyFailed failed) {
    barred.put(failed.key(), failed);
  }

  /**
   * A shared child with sessions crashed: what its instance is told to do, restart after a backoff
   * or give up.
   */
  ServerInstance.Command crashed(String key, JsonRpcError error) {
    RestartPolicy.Decision decision = count(key, error);
    return decision.crashLoop()
        ? new ServerInstance.GiveUp(crashLoop(decision, error))
        : new ServerInstance.RestartAfter(decision.backoff());
  }

  /** A child of {@code key} failed and is gone; a key already barred was counted when it was. */
  void childGone(String key, JsonRpcError error) {
    if (!barred.containsKey(key)) {
      count(key, error);
    }
  }

  private RestartPolicy.Decision count(String key, JsonRpcError error) {
    RestartPolicy policy =
        history.computeIfAbsent(
            key,
            k ->
                new RestartPolicy(
                    restart.minBackoff(),
                    restart.maxBackoff(),
                    restart.randomFactor(),
                    restart.maxCrashes(),
                    restart.window()));
    RestartPolicy.Decision decision = policy.crashed(System.nanoTime());
    if (decision.crashLoop() && !barred.containsKey(key)) {
      String reason = "server '" + key + "' " + crashLoop(decision, error);
      log.error("server failed key={} reason={}", key, reason);
      barred.put(
          key,
          new ServerInstance.KeyFailed(
              key,
              Instant.now().plus(restart.window()),
              new JsonRpcError(JsonRpcError.SERVER_GONE, reason, error.data())));
    }
    return decision;
  }

  private String crashLoop(RestartPolicy.Decision decision, JsonRpcError last) {
    return "is crash-looping ("
        + decision.crashesInWindow()
        + " failures within "
        + restart.window().toSeconds()
        + " s; last: "
        + last.message()
        + ")";
  }

  /** The crash loop that still bars this key, if any; an expired one is forgotten. */
  Optional<ServerInstance.KeyFailed> barring(String key) {
    ServerInstance.KeyFailed failed = barred.get(key);
    if (failed != null && Instant.now().isAfter(failed.until())) {
      barred.remove(key);
      return Optional.empty();
    }
    return Optional.ofNullable(failed);
  }

  /** An operator's stop clears a crash loop and its history; true when the key was barred. */
  boolean clear(String key) {
    history.remove(key);
    return barred.remove(key) != null;
  }

  /** The keys barred now; expired bars are forgotten first, in a pass of their own. */
  List<String> barredKeys() {
    Instant now = Instant.now();
    barred.values().removeIf(failed -> now.isAfter(failed.until()));
    return List.copyOf(barred.keySet());
  }

  /**
   * What a client refused for this bar is told: the reason and the last lines the child wrote to
   * stderr.
   */
  static String refusal(ServerInstance.KeyFailed failed) {
    List<String> lines = new ArrayList<>();
    if (failed.error().data() != null) { // a failure without a child's output has none
      failed.error().data().path("stderr").forEach(line -> lines.add(line.asText()));
    }
    String tail =
        lines.isEmpty()
            ? ""
            : "Last stderr: "
                + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    return failed.error().message() + " " + tail;
  }
}
