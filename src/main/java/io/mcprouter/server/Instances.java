package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import io.mcprouter.config.LiveConfig;
import io.mcprouter.config.ServerSpec;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The registry's children: every instance alive with the spec it runs (a per-session key has one
 * per session), and which one takes each key's shared sessions. Used only by the registry actor, on
 * its thread.
 */
final class Instances<C> {

  private final ActorContext<C> context;
  private final LiveConfig config;
  private final InstanceFactory factory;
  private final ActorRef<ServerInstance.Lifecycle> lifecycle;
  private final StartPermits permits;
  private final Function<ActorRef<ServerInstance.Command>, C> onTerminated;
  private final Map<String, ActorRef<ServerInstance.Command>> sharedByKey = new HashMap<>();
  private final Map<ActorRef<ServerInstance.Command>, ServerSpec> running = new LinkedHashMap<>();

  /** What the children of a key turned out to speak, when it was not configured. */
  private final Map<String, ServerSpec.ChildProtocol> learnedEras = new HashMap<>();

  /** Per-session instances started ahead of their session, oldest first, by key. */
  private final Map<String, ArrayDeque<ActorRef<ServerInstance.Command>>> spares = new HashMap<>();

  private long spawned;

  /** {@code onTerminated}: what the registry is told when an instance has stopped. */
  Instances(
      ActorContext<C> context,
      LiveConfig config,
      InstanceFactory factory,
      ActorRef<ServerInstance.Lifecycle> lifecycle,
      StartPermits permits,
      Function<ActorRef<ServerInstance.Command>, C> onTerminated) {
    this.context = context;
    this.config = config;
    this.factory = factory;
    this.lifecycle = lifecycle;
    this.permits = permits;
    this.onTerminated = onTerminated;
  }

  /**
   * The instance that takes the shared sessions of this spec's key, started now if there is none.
   */
  ActorRef<ServerInstance.Command> shared(ServerSpec spec) {
    return sharedByKey.computeIfAbsent(sharedName(spec), name -> spawn(spec, true));
  }

  /** Whether a session of this spec would start one more child (a shared key's may already run). */
  boolean needsChild(ServerSpec spec) {
    return !spec.shareProcess() || !sharedByKey.containsKey(sharedName(spec));
  }

  void eraLearned(String key, ServerSpec.ChildProtocol protocol) {
    learnedEras.put(key, protocol);
  }

  ActorRef<ServerInstance.Command> spawn(ServerSpec configured, boolean startNow) {
    ServerSpec spec =
        configured.protocol() == ServerSpec.ChildProtocol.AUTO
                && learnedEras.containsKey(configured.key())
            ? configured.withProtocol(learnedEras.get(configured.key()))
            : configured;
    // An exception inside the actor is a bug, not a server crash (those are handled in its state
    // machine): restart it with backoff; PreRestart has already killed its process tree.
    Behavior<ServerInstance.Command> supervised =
        Behaviors.supervise(factory.create(spec, lifecycle, permits, startNow))
            .onFailure(
                SupervisorStrategy.restartWithBackoff(
                        Duration.ofMillis(200), Duration.ofSeconds(10), 0.2)
                    .withMaxRestarts(5));
    // the REST calls' instance of a per-session key (shared name "key#api"; '#' is not allowed in
    // an actor name)
    String role = spec.shareProcess() && perSessionKey(spec.key()) ? "-api-" : "-";
    ActorRef<ServerInstance.Command> server =
        context.spawn(supervised, "server-" + spec.key() + role + (++spawned));
    context.watchWith(server, onTerminated.apply(server));
    running.put(server, spec);
    return server;
  }

  /**
   * Its child is gone: new sessions of its key start a fresh instance instead of being refused by
   * this one.
   */
  void retire(ActorRef<ServerInstance.Command> server) {
    sharedByKey.values().remove(server);
  }

  void terminated(ActorRef<ServerInstance.Command> server) {
    running.remove(server);
    sharedByKey.values().remove(server);
    spares.values().forEach(keySpares -> keySpares.remove(server));
  }

  /** Starts a per-session instance with no session yet, for the next session of its key. */
  void spawnSpare(ServerSpec spec) {
    ActorRef<ServerInstance.Command> spare = spawn(spec, true);
    spare.tell(ServerInstance.HoldAsSpare.INSTANCE);
    spares.computeIfAbsent(spec.key(), key -> new ArrayDeque<>()).add(spare);
  }

  int spareCount(String key) {
    ArrayDeque<ActorRef<ServerInstance.Command>> keySpares = spares.get(key);
    return keySpares == null ? 0 : keySpares.size();
  }

  /** The oldest spare of the key, now no longer a spare. */
  Optional<ActorRef<ServerInstance.Command>> takeSpare(String key) {
    ArrayDeque<ActorRef<ServerInstance.Command>> keySpares = spares.get(key);
    return keySpares == null ? Optional.empty() : Optional.ofNullable(keySpares.poll());
  }

  /** The newest spare of the key, now no longer a spare (to stop it: fewer are configured). */
  Optional<ActorRef<ServerInstance.Command>> takeNewestSpare(String key) {
    ArrayDeque<ActorRef<ServerInstance.Command>> keySpares = spares.get(key);
    return keySpares == null ? Optional.empty() : Optional.ofNullable(keySpares.pollLast());
  }

  Optional<ServerSpec> specOf(ActorRef<ServerInstance.Command> server) {
    return Optional.ofNullable(running.get(server));
  }

  List<ActorRef<ServerInstance.Command>> all() {
    return List.copyOf(running.keySet());
  }

  List<ActorRef<ServerInstance.Command>> ofKey(String key) {
    return running.entrySet().stream()
        .filter(e -> e.getValue().key().equals(key))
        .map(Map.Entry::getKey)
        .toList();
  }

  /** The keys with at least one instance alive. */
  Set<String> keysRunning() {
    Set<String> keys = new HashSet<>();
    running.values().forEach(spec -> keys.add(spec.key()));
    return keys;
  }

  int size() {
    return running.size();
  }

  boolean isEmpty() {
    return running.isEmpty();
  }

  /** The shared instance of a key; a per-session key has one too, for REST calls. */
  private String sharedName(ServerSpec spec) {
    return spec.key() + (perSessionKey(spec.key()) ? "#api" : "");
  }

  private boolean perSessionKey(String key) {
    ServerSpec configured = config.get().servers().get(key);
    return configured != null && !configured.shareProcess();
  }

  /**
   * A reload removed the key or changed how it is launched: its next session starts a new instance
   * (of the spec configured then), not one of these; its spares leave the pool and are returned
   * (the caller stops them), and what its children spoke is learned again.
   */
  List<ActorRef<ServerInstance.Command>> retireKey(String key) {
    sharedByKey.remove(key);
    sharedByKey.remove(key + "#api");
    learnedEras.remove(key);
    ArrayDeque<ActorRef<ServerInstance.Command>> keySpares = spares.remove(key);
    return keySpares == null ? List.of() : List.copyOf(keySpares);
  }

  /** A reload changed settings the running instances of the key take in place. */
  void settingsChanged(String key, ServerSpec next) {
    running.replaceAll((server, spec) -> spec.key().equals(key) ? spec.withSettingsOf(next) : spec);
  }
}
