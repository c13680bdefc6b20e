package io.mcprouter.transport.streamable;

import static akka.http.javadsl.server.Directives.complete;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.mcprouter.access.McpAccess;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.http.ErrorHandling;
import io.mcprouter.http.FutureResponse;
import io.mcprouter.http.connection.ClientConnection;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.modern.EraClassifier;
import io.mcprouter.modern.InputGathering;
import io.mcprouter.modern.ModernProtocol;
import io.mcprouter.modern.ModernRequest;
import io.mcprouter.modern.ParkedCalls;
import io.mcprouter.modern.RequestState;
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.server.SessionDirectory;
import io.mcprouter.session.OutputBudget;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * MCP 2026-07-28 on {@code /mcp/{key}}: each request is classified by era; a modern one is served
 * by a {@link ModernCall} of its own and answered on its own response. The legacy path is not
 * touched.
 */
final class ModernRoutes {

  private final ModernCallContext router;
  private final RouterSettings settings;
  private final OutputBudget budget;
  private final Predicate<String> sharedKey;
  private final AtomicLong calls = new AtomicLong();

  ModernRoutes(
      ActorRef<ServerRegistry.Command> registry,
      SessionDirectory directory,
      RouterSettings settings,
      ActorSystem<?> system,
      OutputBudget budget,
      Predicate<String> sharedKey) {
    Config mrtr = system.settings().config().getConfig("mcprouter.mrtr");
    this.router =
        new ModernCallContext(
            registry,
            directory,
            settings.askTimeout(),
            system,
            RequestState.forSecret(mrtr.getString("secret")),
            new ParkedCalls<>(),
            mrtr.getDuration("park-timeout"));
    this.settings = settings;
    this.budget = budget;
    this.sharedKey = sharedKey;
  }

  static EraClassifier.Era classify(HttpRequest request, JsonRpcMessage message) {
    return EraClassifier.classify(
        new EraClassifier.Headers(
            StreamableHttp.header(request, StreamableHttpRoutes.VERSION_HEADER),
            StreamableHttp.header(request, ModernProtocol.METHOD_HEADER),
            StreamableHttp.header(request, ModernProtocol.NAME_HEADER),
            StreamableHttp.header(request, StreamableHttpRoutes.SESSION_HEADER).isPresent()),
        message);
  }

  /** Serves a modern message: {@code era} is what {@link #classify} said, other than legacy. */
  Route serve(
      McpAccess.Grant grant,
      EraClassifier.Era era,
      boolean acceptsSse,
      boolean acceptsJson,
      Optional<ClientConnection> connection) {
    if (era instanceof EraClassifier.Refused refused) {
      return complete(
          ErrorHandling.jsonRpcError(
              StatusCodes.get(refused.httpStatus()), refused.id(), refused.error()));
    }
    if (era instanceof EraClassifier.ModernNotification notification) {
      cancel(grant, notification.notification());
      return complete(StatusCodes.ACCEPTED);
    }
    ModernRequest request = ((EraClassifier.Modern) era).request();
    String key = grant.serverKey();
    boolean listens = sharedKey.test(key);
    if (request.is(ModernProtocol.LISTEN) && !listens) {
      // each request of a per-session key has a child of its own: no child outlives a request to
      // tell a listener what changed
      return complete(
          ErrorHandling.jsonRpcError(
              StatusCodes.NOT_FOUND,
              request.id(),
              new JsonRpcError(
                  JsonRpcError.METHOD_NOT_FOUND,
                  "subscriptions/listen is served only for keys that share one child")));
    }
    JsonNode state = request.params().get("requestState");
    if (state != null && InputGathering.CARRY_INPUT.contains(request.method())) {
      return resume(grant, request, state, acceptsSse, acceptsJson, connection);
    }
    ModernResponse response = response(acceptsSse, acceptsJson);
    ActorRef<ModernCall.Command> call =
        router
            .system()
            .systemActorOf(
                ModernCall.create(router, key, grant.owner(), listens, request, response),
                "modern-" + calls.incrementAndGet(),
                Props.empty());
    watch(connection, call, response);
    return FutureResponse.complete(response.http());
  }

  /**
   * A retry of a parked call: its state must be one this router issued, unexpired, for this key and
   * credential, naming a call still parked; anything else is -32602 and reaches no child.
   */
  private Route resume(
      McpAccess.Grant grant,
      ModernRequest request,
      JsonNode state,
      boolean acceptsSse,
      boolean acceptsJson,
      Optional<ClientConnection> connection) {
    Optional<ActorRef<ModernCall.Command>> call =
        router
            .states()
            .verify(
                state.asText(null),
                grant.serverKey(),
                grant.owner().orElse(""),
                System.currentTimeMillis())
            .flatMap(
                parked ->
                    router
                        .parkedCalls()
                        .find(parked.callId(), grant.serverKey(), grant.owner().orElse("")));
    if (call.isEmpty()) {
      return complete(
          ErrorHandling.jsonRpcError(
              StatusCodes.BAD_REQUEST,
              request.id(),
              new JsonRpcError(
                  JsonRpcError.INVALID_PARAMS,
                  "requestState is not valid: altered, expired, or not from this server")));
    }
    ModernResponse response = response(acceptsSse, acceptsJson);
    call.get().tell(new ModernCall.Resume(request, response));
    watch(connection, call.get(), response);
    return FutureResponse.complete(response.http());
  }

  /**
   * A stateless {@code notifications/cancelled} names a request id and no session: it reaches only
   * a call that parked for input under this key and credential, so another user's cancel with the
   * same id does nothing. Answered 202 whatever it found (a notification has no answer), so it
   * tells nobody which ids are in use.
   */
  private void cancel(McpAccess.Grant grant, JsonRpcMessage.Notification notification) {
    if (!"notifications/cancelled".equals(notification.method()) || notification.params() == null) {
      return;
    }
    router
        .parkedCalls()
        .named(grant.serverKey(), grant.owner().orElse(""), notification.params().get("requestId"))
        .ifPresent(call -> call.tell(ModernCall.Cancel.INSTANCE));
  }

  private void watch(
      Optional<ClientConnection> connection,
      ActorRef<ModernCall.Command> call,
      ModernResponse response) {
    connection.ifPresent(
        open -> {
          ClientConnection.Registration registration =
              open.onClose(() -> call.tell(new ModernCall.ClientGone(response)));
          response.closed().thenRun(registration::cancel);
        });
  }

  private ModernResponse response(boolean acceptsSse, boolean acceptsJson) {
    return new ModernResponse(
        router.system(),
        acceptsSse,
        acceptsJson,
        settings.sessionBufferMessages(),
        settings.sessionBufferBytes(),
        settings.sseKeepAlive(),
        budget);
  }
}
