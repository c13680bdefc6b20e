package io.mcprouter;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.ChildFailed;
import akka.actor.typed.PostStop;
import akka.actor.typed.Scheduler;
import akka.actor.typed.Signal;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.Terminated;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.reload.ConfigReloader;
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.session.OutputBudget;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The actor system's root: it spawns the {@link ServerRegistry} under the supervision policy for
 * what the router cannot serve without, then binds the {@link HttpPorts} that ask it. It turns the
 * registry's end, should it come anyway, into a shutdown with a reason ({@link Unplanned}), so that
 * every child is stopped and {@link Main} exits non-zero instead of a router that serves nothing or
 * exits 0. It takes no messages (the registry is handed out once, in {@link Started}); it acts only
 * on its child's end.
 */
public final class Guardian extends AbstractBehavior<Void> {

  /** What the guardian started, reported once every port the command asked for is bound. */
  record Started(
      ActorRef<ServerRegistry.Command> registry,
      ActorRef<ConfigReloader.Command> reloader,
      OutputBudget budget,
      HttpPorts.Bindings ports) {}

  /** Why the router stopped when nobody asked it to; {@link Main} prints it and exits non-zero. */
  public record Unplanned(String reason) implements CoordinatedShutdown.Reason {}

  private static final Logger log = LoggerFactory.getLogger(Guardian.class);

  private final ActorRef<ServerRegistry.Command> registry;
  private final ActorRef<ConfigReloader.Command> reloader;
  private final RouterSettings settings;

  /**
   * Captured here: the shutdown task runs off the actor's thread, where getContext() must not be
   * called.
   */
  private final Scheduler scheduler;

  /**
   * Completes once the registry (and so every server actor, whose PostStop kills its process tree)
   * is gone.
   */
  private final CompletableFuture<Done> registryGone = new CompletableFuture<>();

  /**
   * {@code started} completes with what was started, or fails with the bind's error, after which
   * the actor system terminates: a router without the ports it was asked for serves nothing.
   */
  static Behavior<Void> create(
      Behavior<ServerRegistry.Command> registry,
      Function<ActorRef<ServerRegistry.Command>, Behavior<ConfigReloader.Command>> reloader,
      HttpPorts ports,
      RouterSettings settings,
      CompletableFuture<Started> started) {
    return Behaviors.setup(
        context -> new Guardian(context, registry, reloader, ports, settings, started));
  }

  private Guardian(
      ActorContext<Void> context,
      Behavior<ServerRegistry.Command> registryBehavior,
      Function<ActorRef<ServerRegistry.Command>, Behavior<ConfigReloader.Command>> reloader,
      HttpPorts ports,
      RouterSettings settings,
      CompletableFuture<Started> started) {
    super(context);
    this.settings = settings;
    this.scheduler = context.getSystem().scheduler();
    // Resume, not restart: the registry's maps are the only index of the running servers and their
    // sessions. A restart would begin with empty maps and, by default, stop every server actor (all
    // children and sessions gone for one bad message); keeping the children
    // (withStopChildren(false)) would leave them running unindexed, outside the limits, listing and
    // StopAll. Resuming loses only the message that failed (its caller gets a timeout). Errors are
    // not resumed: they stop the registry, and the router with it (below), since the JVM or the
    // code is then in doubt. (The outer layer only keeps Akka from logging the Error's stack trace:
    // onRegistryGone says it in one line.)
    Behavior<ServerRegistry.Command> resumed =
        Behaviors.supervise(
                Behaviors.intercept(() -> new LogFailure<>("server registry"), registryBehavior))
            .onFailure(Exception.class, SupervisorStrategy.resume().withLoggingEnabled(false));
    this.registry =
        context.spawn(
            Behaviors.supervise(resumed)
                .onFailure(Throwable.class, SupervisorStrategy.stop().withLoggingEnabled(false)),
            "registry");
    context.watch(registry);
    // not watched: a router whose reloader failed still serves, with the config it has
    this.reloader =
        context.spawn(
            Behaviors.supervise(reloader.apply(registry))
                .onFailure(Exception.class, SupervisorStrategy.resume()),
            "config-reloader");
    CoordinatedShutdown.get(context.getSystem())
        .addTask(CoordinatedShutdown.PhaseServiceStop(), "stop-mcp-servers", this::stopServers);
    bind(ports, started);
  }

  /** The callback runs off the actor's thread: it uses only what is captured here. */
  private void bind(HttpPorts ports, CompletableFuture<Started> started) {
    ActorSystem<Void> system = getContext().getSystem();
    ActorRef<ServerRegistry.Command> registry = this.registry;
    ActorRef<ConfigReloader.Command> reloader = this.reloader;
    OutputBudget budget = OutputBudget.of(settings, system);
    ports
        .bind(registry, reloader, budget, system)
        .whenComplete(
            (bindings, failure) -> {
              if (failure != null) {
                started.completeExceptionally(failure);
                system.terminate();
              } else {
                started.complete(new Started(registry, reloader, budget, bindings));
              }
            });
  }

  /**
   * Done when every server has stopped, or at once when the registry (and so every server actor) is
   * gone. Runs on a shutdown thread: it reads only final fields.
   */
  private CompletionStage<Done> stopServers() {
    if (registryGone.isDone()) {
      return registryGone;
    }
    return AskPattern.<ServerRegistry.Command, Done>ask(
            registry, ServerRegistry.StopAll::new, settings.shutdownTimeout(), scheduler)
        .exceptionallyCompose(failure -> registryGone)
        .applyToEither(registryGone, done -> done);
  }

  @Override
  public Receive<Void> createReceive() {
    return newReceiveBuilder()
        .onSignal(
            ChildFailed.class, failed -> onRegistryGone("failed: " + describe(failed.getCause())))
        .onSignal(Terminated.class, terminated -> onRegistryGone("stopped"))
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Void> onRegistryGone(String how) {
    registryGone.complete(Done.getInstance());
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(getContext().getSystem());
    if (shutdown.getShutdownReason().isEmpty()) {
      String reason = "the server registry " + how + "; every MCP server was stopped";
      log.error("router stopping reason={}", reason);
      shutdown.runAll(new Unplanned(reason));
    }
    return this;
  }

  private Behavior<Void> onPostStop() {
    registryGone.complete(Done.getInstance());
    return this;
  }

  /**
   * One line for an operator: the exception's class, its message's first line, where it was thrown.
   */
  static String describe(Throwable failure) {
    String message = String.valueOf(failure.getMessage());
    int newline = message.indexOf('\n');
    message = newline < 0 ? message : message.substring(0, newline);
    message = message.length() > 200 ? message.substring(0, 200) + "..." : message;
    StackTraceElement[] trace = failure.getStackTrace();
    return failure.getClass().getName()
        + ": "
        + message
        + (trace.length == 0 ? "" : " at " + trace[0]);
  }

  /**
   * Logs an exception from a message handler as one line (the message's type, never its content,
   * which may hold session ids) before the supervisor resumes; Akka's own log of it is a stack
   * trace.
   */
  private static final class LogFailure<T> extends BehaviorInterceptor<T, T> {
    private final String name;

    @SuppressWarnings("unchecked")
    LogFailure(String name) {
      super((Class<T>) Object.class);
      this.name = name;
    }

    @Override
    public Behavior<T> aroundReceive(
        TypedActorContext<T> context, T message, ReceiveTarget<T> target) {
      try {
        return target.apply(context, message);
      } catch (Exception e) {
        log.error(
            "{} failed handling {}, resumed with its state: {}",
            name,
            message.getClass().getSimpleName(),
            describe(e));
        throw Guardian.<RuntimeException>rethrow(e);
      }
    }

    @Override
    public Behavior<T> aroundSignal(
        TypedActorContext<T> context, Signal signal, SignalTarget<T> target) {
      try {
        return target.apply(context, signal);
      } catch (Exception e) {
        log.error(
            "{} failed handling {}, resumed with its state: {}",
            name,
            signal.getClass().getSimpleName(),
            describe(e));
        throw Guardian.<RuntimeException>rethrow(e);
      }
    }
  }

  /**
   * Handlers may throw checked exceptions (akka.japi.function); the supervisor must see them
   * unchanged.
   */
  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E rethrow(Throwable e) throws E {
    throw (E) e;
  }
}
