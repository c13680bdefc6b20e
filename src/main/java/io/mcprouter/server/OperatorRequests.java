package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.ActorContext;
import io.mcprouter.config.LiveConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.server.ServerRegistry.Client;
import io.mcprouter.server.ServerRegistry.Clients;
import io.mcprouter.server.ServerRegistry.KeyState;
import io.mcprouter.server.ServerRegistry.KeyStates;
import io.mcprouter.server.ServerRegistry.NotRunning;
import io.mcprouter.server.ServerRegistry.RunningServers;
import io.mcprouter.server.ServerRegistry.StopReport;
import io.mcprouter.server.ServerRegistry.StopServerReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The registry's answers to the operator (/v1 and /admin): what runs, who is connected, and
 * stopping one key's servers. What needs the instances' answers fans out through a {@link
 * Collector}, so the registry stays free while they answer. Used only by the registry actor, on its
 * thread.
 */
final class OperatorRequests {

  /** Bound for collecting status answers; a server that cannot answer in this time is left out. */
  private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(3);

  private final ActorContext<?> context;
  private final LiveConfig config;
  private final RouterSettings settings;
  private final SessionDirectory directory;
  private final Instances<?> instances;
  private final CrashLoopBars crashLoops;

  OperatorRequests(
      ActorContext<?> context,
      LiveConfig config,
      RouterSettings settings,
      SessionDirectory directory,
      Instances<?> instances,
      CrashLoopBars crashLoops) {
    this.context = context;
    this.config = config;
    this.settings = settings;
    this.directory = directory;
    this.instances = instances;
    this.crashLoops = crashLoops;
  }

  /** Every instance's status, and a "failed" row for each key barred after a crash loop. */
  void listRunning(ActorRef<RunningServers> replyTo) {
    List<ServerInstance.Status> failed =
        crashLoops.barredKeys().stream()
            .map(
                key ->
                    new ServerInstance.Status(
                        key,
                        "failed",
                        -1,
                        0,
                        0,
                        Optional.empty(),
                        0,
                        config.get().server(key).map(ServerSpec::shareProcess).orElse(true),
                        List.of()))
            .toList();
    context.spawnAnonymous(
        Collector.create(
            instances.all(),
            ServerInstance.GetStatus::new,
            ServerInstance.Status.class,
            STATUS_TIMEOUT,
            Collector.WhenStopped.SKIP,
            statuses -> {
              List<ServerInstance.Status> all = new ArrayList<>(statuses);
              all.addAll(failed);
              replyTo.tell(new RunningServers(all));
            }));
  }

  /** Stops every instance of {@code key} and lifts its crash-loop bar, if it has one. */
  void stopServer(String key, ServerInstance.StopMode mode, ActorRef<StopServerReply> replyTo) {
    List<ActorRef<ServerInstance.Command>> servers = instances.ofKey(key);
    boolean wasFailed = crashLoops.clear(key);
    if (servers.isEmpty()) {
      replyTo.tell(wasFailed ? new StopReport(key, List.of()) : new NotRunning(key));
      return;
    }
    context.spawnAnonymous(
        Collector.create(
            servers,
            collector -> new ServerInstance.Stop(mode, collector),
            ServerInstance.Stopped.class,
            settings.stopBound(),
            Collector.WhenStopped.AWAIT_ANSWER,
            stopped -> replyTo.tell(new StopReport(key, stopped))));
  }

  /** Each configured key: failed (barred), running (a child alive) or idle. */
  void keyStates(ActorRef<KeyStates> replyTo) {
    Set<String> running = instances.keysRunning();
    List<KeyState> states = new ArrayList<>();
    for (String key : config.get().servers().keySet()) {
      Optional<ServerInstance.KeyFailed> failed = crashLoops.barring(key);
      states.add(
          failed.isPresent()
              // the message alone, which every client of the key is refused with; never the stderr
              ? new KeyState(
                  key, KeyState.State.FAILED, Optional.of(failed.get().error().message()))
              : new KeyState(
                  key,
                  running.contains(key) ? KeyState.State.RUNNING : KeyState.State.IDLE,
                  Optional.empty()));
    }
    replyTo.tell(new KeyStates(states));
  }

  /** Every session in the directory, oldest first. */
  void listClients(ActorRef<Clients> replyTo) {
    List<Client> clients = new ArrayList<>();
    directory.forEach((id, entry) -> clients.add(new Client(id, entry.key(), entry.openedAt())));
    clients.sort(Comparator.comparing(Client::openedAt));
    replyTo.tell(new Clients(clients));
  }
}
