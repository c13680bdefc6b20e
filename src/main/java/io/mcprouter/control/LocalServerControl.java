package io.mcprouter.control;

import io.mcprouter.http.ApiResult;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.model.StatusCodes;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.server.ServerInstance;
import io.mcprouter.server.ServerRegistry;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/** {@link ServerControl} over this JVM's {@link ServerRegistry}. */
public final class LocalServerControl implements ServerControl {

  /** A child's last stderr lines in a listing: the operator's (/admin, the admin token), never a key holder's. */
  public static final String STDERR_FIELD = "stderr_tail";

  private final ActorRef<ServerRegistry.Command> registry;
  private final RouterSettings settings;
  private final ActorSystem<?> system;

  public LocalServerControl(ActorRef<ServerRegistry.Command> registry, RouterSettings settings, ActorSystem<?> system) {
    this.registry = registry;
    this.settings = settings;
    this.system = system;
  }

  @Override
  public CompletionStage<ApiResult> listRunning() {
    return AskPattern.<ServerRegistry.Command, ServerRegistry.RunningServers>ask(registry, ServerRegistry.ListRunning::new,
        settings.askTimeout(), system.scheduler()).thenApplyAsync(running -> {
          ObjectNode data = JsonNodeFactory.instance.objectNode();
          ArrayNode servers = data.putArray("servers");
          running.servers().forEach(status -> {
            ObjectNode entry = servers.addObject();
            entry.put("server_key", status.key());
            entry.put("status", status.status());
            entry.put("pid", status.pid());
            entry.put("sessions", status.sessions());
            entry.put("in_flight", status.inFlight());
            entry.put("started_at", status.startedAt().map(Object::toString).orElse(null));
            entry.put("restarts", status.restarts());
            entry.put("share_process", status.shareProcess());
            status.stderrTail().forEach(entry.putArray(STDERR_FIELD)::add);
          });
          return ApiResult.ok(running.servers().size() + " running", data);
        }, system.executionContext());
  }

  @Override
  public CompletionStage<ApiResult> stop(String key, boolean force) {
    Duration bound = settings.drainTimeout().plus(settings.gracePeriod()).plus(settings.killPeriod()).plusSeconds(10);
    ServerInstance.StopMode mode = force ? ServerInstance.StopMode.FORCE : ServerInstance.StopMode.GRACEFUL;
    return AskPattern.<ServerRegistry.Command, ServerRegistry.StopServerReply>ask(registry,
        replyTo -> new ServerRegistry.StopServer(key, mode, replyTo), bound, system.scheduler()).thenApplyAsync(reply -> {
          if (reply instanceof ServerRegistry.NotRunning) {
            return ApiResult.error(StatusCodes.NOT_FOUND, "server '" + key + "' is not running");
          }
          ServerRegistry.StopReport report = (ServerRegistry.StopReport) reply;
          ObjectNode data = JsonNodeFactory.instance.objectNode();
          data.put("server_key", key);
          data.put("force", force);
          data.put("processes_stopped", report.stopped().size());
          ArrayNode pids = data.putArray("pids");
          ArrayNode exitCodes = data.putArray("exit_codes");
          int completed = 0;
          int failed = 0;
          long tookMs = 0;
          for (ServerInstance.Stopped stopped : report.stopped()) {
            pids.add(stopped.pid());
            stopped.exitCode().ifPresentOrElse(exitCodes::add, exitCodes::addNull);
            completed += stopped.requestsCompleted();
            failed += stopped.requestsFailed();
            tookMs = Math.max(tookMs, stopped.took().toMillis());
          }
          data.put("requests_completed", completed);
          data.put("requests_failed", failed);
          data.put("duration_ms", tookMs);
          return ApiResult.ok("server '" + key + "' " + (force ? "force-stopped" : "stopped gracefully"), data);
        }, system.executionContext());
  }
}
