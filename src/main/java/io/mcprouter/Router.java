package io.mcprouter;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AskPattern;
import com.typesafe.config.Config;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.LiveConfig;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.StartupChecks;
import io.mcprouter.observe.CallTransport;
import io.mcprouter.observe.Observability;
import io.mcprouter.reload.ConfigReloader;
import io.mcprouter.reload.HangupSignal;
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.server.SessionDirectory;
import io.mcprouter.session.OutputBudget;
import io.mcprouter.trace.Tracing;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running router: the actor system, whose root {@link Guardian} spawns the {@link ServerRegistry}
 * and binds the HTTP servers the command asked for ({@link HttpPorts}). Stopping it runs
 * coordinated shutdown, which unbinds, then stops every MCP server gracefully, escalating to
 * signals.
 */
public final class Router {

  private static final Logger log = LoggerFactory.getLogger(Router.class);

  /**
   * The reason {@link #stop()} gives: a shutdown that was asked for, like the JVM's own (SIGTERM,
   * SIGINT).
   */
  private enum StopRequested implements CoordinatedShutdown.Reason {
    INSTANCE
  }

  /** Where the registry's behavior comes from; tests put one that fails where the real one goes. */
  interface RegistryFactory {
    Behavior<ServerRegistry.Command> create(
        LiveConfig config,
        RouterSettings settings,
        SessionDirectory directory,
        Observability observability);
  }

  private final ActorSystem<Void> system;
  private final RouterSettings settings;
  private final Guardian.Started started;

  private Router(ActorSystem<Void> system, RouterSettings settings, Guardian.Started started) {
    this.system = system;
    this.settings = settings;
    this.started = started;
  }

  /** Traced as the {@code OTEL_*} environment variables say (off without them). */
  public static CompletionStage<Router> start(
      RouterConfig config, Config akkaConfig, CommandLine.Command command) {
    Tracing tracing;
    try {
      tracing = Tracing.fromEnvironment();
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return start(config, akkaConfig, command, ServerRegistry::create, tracing);
  }

  /** Traced by {@code tracing} (tests give one with an in-memory exporter). */
  public static CompletionStage<Router> start(
      RouterConfig config, Config akkaConfig, CommandLine.Command command, Tracing tracing) {
    return start(config, akkaConfig, command, ServerRegistry::create, tracing);
  }

  static CompletionStage<Router> start(
      RouterConfig config,
      Config akkaConfig,
      CommandLine.Command command,
      RegistryFactory registryFactory) {
    return start(config, akkaConfig, command, registryFactory, Tracing.OFF);
  }

  /** Fails if a port cannot be bound (with the bind's error) or the system ends before it is. */
  static CompletionStage<Router> start(
      RouterConfig config,
      Config akkaConfig,
      CommandLine.Command command,
      RegistryFactory registryFactory,
      Tracing tracing) {
    RouterSettings settings = RouterSettings.fromConfig(akkaConfig);
    config.loadWarnings().forEach(log::warn);
    StartupChecks.exposure(config, command.runsProxy(), command.runsApi()).forEach(log::warn);
    settings.json().mapper(); // built here, not on the thread of the first request that parses
    SessionDirectory directory = new SessionDirectory();
    LiveConfig live = new LiveConfig(config);
    Observability observability = observability(settings, directory);
    if (tracing.active()) {
      // first, so that the call log after it sees each call's trace id
      observability.addObserver(tracing.observer());
    }
    CompletableFuture<Guardian.Started> started = new CompletableFuture<>();
    ActorSystem<Void> system =
        ActorSystem.create(
            Guardian.create(
                registryFactory.create(live, settings, directory, observability),
                registry ->
                    ConfigReloader.create(
                        config.source(),
                        command.runsProxy(),
                        command.runsApi(),
                        registry,
                        settings),
                new HttpPorts(live, command, settings, directory, observability, tracing.headers()),
                settings,
                started),
            "mcprouter",
            akkaConfig);
    // the spans still buffered are exported before the system ends
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "tracing-shutdown",
            () -> tracing.shutdown().thenApply(done -> Done.getInstance()));
    // a no-op once started; else start-up fails rather than waits for ports that never come
    system
        .getWhenTerminated()
        .thenRun(
            () ->
                started.completeExceptionally(
                    new IllegalStateException("the actor system terminated during start-up")));
    return started.thenApply(ports -> new Router(system, settings, ports));
  }

  /**
   * The router's metrics and logs; the open sessions are counted from the directory at a scrape.
   */
  private static Observability observability(RouterSettings settings, SessionDirectory directory) {
    RouterSettings.Observe observe = settings.observe();
    Observability observability =
        Observability.create(
            new Observability.Settings(
                observe.metricsEnabled(), observe.maxToolsPerKey(), observe.accessLogPerSecond()));
    if (observability.metrics() != null) {
      observability
          .metrics()
          .sessionsOpen(
              () -> {
                Map<String, Map<CallTransport, Integer>> counts = new HashMap<>();
                directory.forEachEntry(
                    entry ->
                        counts
                            .computeIfAbsent(entry.key(), k -> new EnumMap<>(CallTransport.class))
                            .merge(entry.transport().observed(), 1, Integer::sum));
                return counts;
              });
    }
    return observability;
  }

  public ActorSystem<?> system() {
    return system;
  }

  ActorRef<ServerRegistry.Command> registry() {
    return started.registry();
  }

  /** Reads the config file again and applies it, as {@code POST /admin/reload} does. */
  public CompletionStage<ConfigReloader.Outcome> reload(ConfigReloader.Trigger trigger) {
    return AskPattern.ask(
        started.reloader(),
        replyTo -> new ConfigReloader.Reload(trigger, replyTo),
        Duration.ofSeconds(40),
        system.scheduler());
  }

  /**
   * SIGHUP reloads the config file from now until the answer is closed (then the JVM's handler,
   * which exits, is back). For {@link Main}: one router per JVM handles the process's signal.
   */
  public HangupSignal reloadOnHangup() {
    ActorRef<ConfigReloader.Command> reloader = started.reloader();
    ActorRef<ConfigReloader.Outcome> ignore = system.ignoreRef();
    return HangupSignal.install(
        () -> reloader.tell(new ConfigReloader.Reload(ConfigReloader.Trigger.SIGNAL, ignore)));
  }

  public RouterSettings settings() {
    return settings;
  }

  /** Unsent client output, router-wide. */
  public OutputBudget outputBudget() {
    return started.budget();
  }

  public int proxyPort() {
    return started.ports().proxy().orElseThrow().localAddress().getPort();
  }

  public int apiPort() {
    return started.ports().api().orElseThrow().localAddress().getPort();
  }

  /** Coordinated shutdown: unbind, stop every MCP server, terminate the actor system. */
  public CompletionStage<Done> stop() {
    return CoordinatedShutdown.get(system).runAll(StopRequested.INSTANCE);
  }

  /**
   * Completes when the actor system has terminated: empty after a shutdown that was asked for
   * ({@link #stop()}, or the JVM's shutdown hook on SIGTERM/SIGINT), else why the router ended.
   */
  public CompletionStage<Optional<String>> terminated() {
    return system
        .getWhenTerminated()
        .thenApply(t -> unplanned(CoordinatedShutdown.get(system).getShutdownReason()));
  }

  static Optional<String> unplanned(Optional<CoordinatedShutdown.Reason> reason) {
    if (reason.isEmpty()) {
      return Optional.of("the actor system terminated without a coordinated shutdown");
    }
    CoordinatedShutdown.Reason r = reason.get();
    if (r == StopRequested.INSTANCE || r == CoordinatedShutdown.jvmExitReason()) {
      return Optional.empty();
    }
    if (r instanceof Guardian.Unplanned unplanned) {
      return Optional.of(unplanned.reason());
    }
    // ActorSystemTerminateReason: the root actor ended, or something called terminate() directly
    return Optional.of(
        "the actor system terminated (" + r.getClass().getSimpleName().replace("$", "") + ")");
  }
}
