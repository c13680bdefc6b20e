package io.mcprouter.control;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.server.ServerInstance;
import io.mcprouter.server.ServerRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** {@link ServerControl} over this JVM's {@link ServerRegistry}. */
public final class LocalServerControl implements ServerControl {

  /** The registry's report of a stop comes back after its bound: the ask waits this much longer. */
  private static final Duration REPORT_MARGIN = Duration.ofSeconds(5);

  private final ActorRef<ServerRegistry.Command> registry;
  private final RouterSettings settings;
  private final ActorSystem<?> system;

  public LocalServerControl(
      ActorRef<ServerRegistry.Command> registry, RouterSettings settings, ActorSystem<?> system) {
    this.registry = registry;
    this.settings = settings;
    this.system = system;
  }

  @Override
  public CompletionStage<ServerListing> listRunning() {
    return AskPattern.<ServerRegistry.Command, ServerRegistry.RunningServers>ask(
            registry, ServerRegistry.ListRunning::new, settings.askTimeout(), system.scheduler())
        .thenApply(running -> new ServerListing.Running(running.servers()));
  }

  @Override
  public CompletionStage<StopOutcome> stop(String key, ServerInstance.StopMode mode) {
    Duration bound = settings.stopBound().plus(REPORT_MARGIN);
    return AskPattern.<ServerRegistry.Command, ServerRegistry.StopServerReply>ask(
            registry,
            replyTo -> new ServerRegistry.StopServer(key, mode, replyTo),
            bound,
            system.scheduler())
        .thenApply(
            reply ->
                reply instanceof ServerRegistry.StopReport report
                    ? stopped(key, mode, report.stopped())
                    : new StopOutcome.NotRunning(key));
  }

  private static StopOutcome.Stopped stopped(
      String key, ServerInstance.StopMode mode, List<ServerInstance.Stopped> children) {
    int completed = 0;
    int failed = 0;
    Duration took = Duration.ZERO;
    for (ServerInstance.Stopped child : children) {
      completed += child.requestsCompleted();
      failed += child.requestsFailed();
      took = took.compareTo(child.took()) >= 0 ? took : child.took();
    }
    return new StopOutcome.Stopped(
        key,
        mode == ServerInstance.StopMode.FORCE,
        children.stream()
            .map(child -> new StopOutcome.StoppedChild(child.pid(), child.exitCode()))
            .toList(),
        completed,
        failed,
        took);
  }
}
