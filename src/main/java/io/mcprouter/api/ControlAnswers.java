package io.mcprouter.api;

import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.control.ControlFailure;
import io.mcprouter.control.ServerListing;
import io.mcprouter.control.StopOutcome;
import io.mcprouter.http.ApiResult;
import io.mcprouter.server.ServerInstance;

/**
 * The REST envelopes of the operator actions, the one rendering that {@code /v1} and {@code /admin}
 * share (and that {@code RemoteServerControl} reads back, so a field renamed here is renamed
 * there).
 */
public final class ControlAnswers {

  /**
   * A child's last stderr lines in a listing: the operator's (/admin, the admin token), never a key
   * holder's.
   */
  private static final String STDERR_FIELD = "stderr_tail";

  private ControlAnswers() {}

  /** Who reads a listing: only the operator sees the children's stderr. */
  public enum Audience {
    OPERATOR,
    KEY_HOLDER
  }

  /** {@code data.servers}: one entry per running child. */
  public static ApiResult listing(ServerListing listing, Audience audience) {
    if (listing instanceof ControlFailure failure) {
      return failure(failure);
    }
    ServerListing.Running running = (ServerListing.Running) listing;
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    ArrayNode servers = data.putArray("servers");
    for (ServerInstance.Status server : running.servers()) {
      ObjectNode entry = servers.addObject();
      entry.put("server_key", server.key());
      entry.put("status", server.status());
      entry.put("pid", server.pid());
      entry.put("sessions", server.sessions());
      entry.put("in_flight", server.inFlight());
      entry.put("started_at", server.startedAt().map(Object::toString).orElse(null));
      entry.put("restarts", server.restarts());
      entry.put("share_process", server.shareProcess());
      if (audience == Audience.OPERATOR) {
        server.stderrTail().forEach(entry.putArray(STDERR_FIELD)::add);
      }
    }
    return ApiResult.ok(running.servers().size() + " running", data);
  }

  public static ApiResult stop(StopOutcome outcome) {
    if (outcome instanceof ControlFailure failure) {
      return failure(failure);
    }
    if (outcome instanceof StopOutcome.NotRunning notRunning) {
      return ApiResult.error(
          StatusCodes.NOT_FOUND, "server '" + notRunning.key() + "' is not running");
    }
    StopOutcome.Stopped stopped = (StopOutcome.Stopped) outcome;
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    data.put("server_key", stopped.key());
    data.put("force", stopped.force());
    data.put("processes_stopped", stopped.children().size());
    ArrayNode pids = data.putArray("pids");
    ArrayNode exitCodes = data.putArray("exit_codes");
    for (StopOutcome.StoppedChild child : stopped.children()) {
      pids.add(child.pid());
      child.exitCode().ifPresentOrElse(exitCodes::add, exitCodes::addNull);
    }
    data.put("requests_completed", stopped.requestsCompleted());
    data.put("requests_failed", stopped.requestsFailed());
    data.put("duration_ms", stopped.took().toMillis());
    return ApiResult.ok(
        "server '"
            + stopped.key()
            + "' "
            + (stopped.force() ? "force-stopped" : "stopped gracefully"),
        data);
  }

  private static ApiResult failure(ControlFailure failure) {
    if (failure instanceof ControlFailure.ProxyRefused refused) {
      // a status Akka does not know came from no mcprouter: the proxy answered, but nothing usable
      StatusCode status = StatusCodes.lookup(refused.httpStatus()).orElse(StatusCodes.BAD_GATEWAY);
      return new ApiResult(status, refused.code(), refused.message(), NullNode.getInstance());
    }
    return ApiResult.error(
        StatusCodes.BAD_GATEWAY, ((ControlFailure.ProxyUnreachable) failure).reason());
  }
}
