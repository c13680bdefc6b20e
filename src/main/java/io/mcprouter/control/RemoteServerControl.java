package io.mcprouter.control;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.Http;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.Authorization;
import akka.http.javadsl.model.headers.HttpCredentials;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.server.ServerInstance;
import io.mcprouter.server.ServerInstance.StopMode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@link ServerControl} for {@code api} running on its own: the MCP servers belong to the proxy
 * process, so operator actions go to its /admin endpoints (with the admin token when configured),
 * and their JSON envelopes are read back into the same records {@link LocalServerControl} gives.
 */
public final class RemoteServerControl implements ServerControl {

  private static final Duration RESPONSE_READ = Duration.ofSeconds(10);

  /** The envelope's {@code code} for a success; any other code is an error the proxy explains. */
  private static final int ENVELOPE_OK = 0;

  private static final int ENVELOPE_ERROR = -1;

  private final String proxyUrl;

  /** Read per request: a reload may replace the admin token. */
  private final Supplier<Optional<String>> adminToken;

  private final ActorSystem<?> system;

  public RemoteServerControl(String proxyUrl, Optional<String> adminToken, ActorSystem<?> system) {
    this(proxyUrl, () -> adminToken, system);
  }

  public RemoteServerControl(
      String proxyUrl, Supplier<Optional<String>> adminToken, ActorSystem<?> system) {
    this.proxyUrl = proxyUrl;
    this.adminToken = adminToken;
    this.system = system;
  }

  @Override
  public CompletionStage<ServerListing> listRunning() {
    return send(
        HttpRequest.GET(proxyUrl + "/admin/list-running-servers"),
        RemoteServerControl::listing,
        failure -> failure);
  }

  @Override
  public CompletionStage<StopOutcome> stop(String key, StopMode mode) {
    boolean force = mode == StopMode.FORCE;
    String body =
        JsonNodeFactory.instance.objectNode().put("server_key", key).put("force", force).toString();
    return send(
        HttpRequest.POST(proxyUrl + "/admin/stop-server")
            .withEntity(ContentTypes.APPLICATION_JSON, body),
        data -> stopped(key, force, data),
        // the one error envelope /admin/stop-server answers with a 404
        failure ->
            failure instanceof ControlFailure.ProxyRefused refused
                    && refused.httpStatus() == StatusCodes.NOT_FOUND.intValue()
                    && refused.code() == ENVELOPE_ERROR
                ? new StopOutcome.NotRunning(key)
                : failure);
  }

  /**
   * {@code ok} reads a success envelope's {@code data}, {@code null} when it does not fit; {@code
   * failed} turns a failure into the action's answer (every {@link ControlFailure} is one of each
   * action).
   */
  private <T> CompletionStage<T> send(
      HttpRequest request, Function<JsonNode, T> ok, Function<ControlFailure, T> failed) {
    HttpRequest authorized =
        adminToken
            .get()
            .map(
                token ->
                    request.addHeader(
                        Authorization.create(HttpCredentials.createOAuth2BearerToken(token))))
            .orElse(request);
    return Http.get(system)
        .singleRequest(authorized)
        .thenCompose(
            response ->
                response
                    .entity()
                    .toStrict(RESPONSE_READ.toMillis(), system)
                    .thenApply(
                        strict ->
                            answer(
                                response.status().intValue(),
                                strict.getData().utf8String(),
                                ok,
                                failed)))
        .exceptionally(
            failure ->
                failed.apply(
                    new ControlFailure.ProxyUnreachable(
                        "the proxy at " + proxyUrl + " did not answer: " + rootMessage(failure))));
  }

  private <T> T answer(
      int status, String body, Function<JsonNode, T> ok, Function<ControlFailure, T> failed) {
    JsonNode envelope;
    try {
      envelope =
          Optional.ofNullable(JsonRpcCodec.MAPPER.readTree(body)).orElse(MissingNode.getInstance());
    } catch (IOException e) {
      return failed.apply(notAnEnvelope(status));
    }
    int code = envelope.path("code").asInt(ENVELOPE_ERROR);
    if (code != ENVELOPE_OK) {
      return failed.apply(
          new ControlFailure.ProxyRefused(status, code, envelope.path("message").asText("")));
    }
    T read = ok.apply(envelope.path("data"));
    return read != null ? read : failed.apply(notAnEnvelope(status));
  }

  private ControlFailure notAnEnvelope(int status) {
    return new ControlFailure.ProxyUnreachable(
        "the proxy at " + proxyUrl + " answered " + status + " without a JSON envelope");
  }

  private static ServerListing listing(JsonNode data) {
    JsonNode servers = data.path("servers");
    if (!servers.isArray()) {
      return null;
    }
    List<ServerInstance.Status> running = new ArrayList<>();
    for (JsonNode s : servers) {
      List<String> stderr = new ArrayList<>();
      s.path("stderr_tail").forEach(line -> stderr.add(line.asText()));
      running.add(
          new ServerInstance.Status(
              s.path("server_key").asText(),
              s.path("status").asText(),
              s.path("pid").asLong(),
              s.path("sessions").asInt(),
              s.path("in_flight").asInt(),
              instant(s.path("started_at")),
              s.path("restarts").asInt(),
              s.path("share_process").asBoolean(),
              stderr));
    }
    return new ServerListing.Running(running);
  }

  private static StopOutcome stopped(String key, boolean force, JsonNode data) {
    if (!data.path("pids").isArray()) {
      return null;
    }
    JsonNode exitCodes = data.path("exit_codes");
    List<StopOutcome.StoppedChild> children = new ArrayList<>();
    for (int i = 0; i < data.path("pids").size(); i++) {
      JsonNode exit = exitCodes.path(i);
      children.add(
          new StopOutcome.StoppedChild(
              data.path("pids").path(i).asLong(),
              exit.isIntegralNumber() ? Optional.of(exit.asInt()) : Optional.empty()));
    }
    return new StopOutcome.Stopped(
        key,
        force,
        children,
        data.path("requests_completed").asInt(),
        data.path("requests_failed").asInt(),
        Duration.ofMillis(data.path("duration_ms").asLong()));
  }

  private static Optional<Instant> instant(JsonNode node) {
    try {
      return node.isTextual() ? Optional.of(Instant.parse(node.asText())) : Optional.empty();
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private static String rootMessage(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return String.valueOf(t.getMessage());
  }
}
