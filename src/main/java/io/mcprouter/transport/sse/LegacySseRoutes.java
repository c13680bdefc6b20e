package io.mcprouter.transport.sse;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.entity;
import static akka.http.javadsl.server.Directives.extractRequest;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.Directives.reject;
import static akka.http.javadsl.server.Directives.withSizeLimit;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.NotUsed;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.Query;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.CacheControl;
import akka.http.javadsl.model.headers.CacheDirectives;
import akka.http.javadsl.server.Route;
import akka.http.javadsl.unmarshalling.Unmarshaller;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.mcprouter.access.McpAccess;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.http.ErrorHandling;
import io.mcprouter.http.FutureResponse;
import io.mcprouter.http.connection.ClientConnection;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.server.ServerInstance;
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.server.SessionDirectory;
import io.mcprouter.server.SessionOpening;
import io.mcprouter.session.OutputBudget;
import io.mcprouter.trace.TraceHeaders;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The HTTP+SSE transport of MCP 2024-11-05: {@code GET /sse/{key}} opens a session whose first
 * event names the endpoint to POST to; {@code POST /messages?sessionid=} carries one client
 * message, whose answer arrives on the session's event stream.
 */
public final class LegacySseRoutes {

  private static final HttpResponse ACCEPTED =
      HttpResponse.create()
          .withStatus(StatusCodes.ACCEPTED)
          .withEntity(HttpEntities.create("Accepted"));

  private final ActorRef<ServerRegistry.Command> registry;
  private final SessionDirectory directory;
  private final RouterSettings settings;
  private final ActorSystem<?> system;
  private final McpAccess access;
  private final OutputBudget budget;
  private final TraceHeaders traceHeaders;

  public LegacySseRoutes(
      ActorRef<ServerRegistry.Command> registry,
      SessionDirectory directory,
      RouterSettings settings,
      ActorSystem<?> system,
      McpAccess access,
      OutputBudget budget) {
    this(registry, directory, settings, system, access, budget, TraceHeaders.OFF);
  }

  /** {@code traceHeaders}: carries a POSTed message's trace headers into its {@code _meta}. */
  public LegacySseRoutes(
      ActorRef<ServerRegistry.Command> registry,
      SessionDirectory directory,
      RouterSettings settings,
      ActorSystem<?> system,
      McpAccess access,
      OutputBudget budget,
      TraceHeaders traceHeaders) {
    this.traceHeaders = traceHeaders;
    this.access = access;
    this.budget = budget;
    this.registry = registry;
    this.directory = directory;
    this.settings = settings;
    this.system = system;
  }

  public Route routes() {
    Route sse =
        pathPrefix(
            "sse",
            () ->
                access.server(
                    "sse",
                    grant -> get(() -> extractRequest(request -> openSession(grant, request)))));
    // a client that cannot set headers opened /sse/<secret>: its endpoint carries the secret the
    // same way. Whether access keys are on is asked per request (a reload may switch it).
    return concat(
        sse,
        pathPrefix(
            "messages",
            () ->
                concat(
                    pathEndOrSingleSlash(
                        () ->
                            post(
                                () ->
                                    access.enabled()
                                        ? access.owner(
                                            Optional.empty(),
                                            owner -> postMessage(Optional.of(owner)))
                                        : postMessage(Optional.empty()))),
                    path(
                        segment(),
                        secret ->
                            access.enabled()
                                ? post(
                                    () ->
                                        access.owner(
                                            Optional.of(secret),
                                            owner -> postMessage(Optional.of(owner))))
                                : reject()))));
  }

  private Route openSession(McpAccess.Grant grant, HttpRequest request) {
    String key = grant.serverKey();
    SseOutbound outbound =
        new SseOutbound(
            system,
            settings.sessionBufferMessages(),
            settings.sessionBufferBytes(),
            settings.sseKeepAlive(),
            budget);
    ClientConnection.of(request).ifPresent(outbound::endWhenClosed);
    CompletionStage<ServerInstance.OpenSessionReply> reply =
        SessionOpening.open(
            registry,
            key,
            outbound,
            Optional.empty(),
            SessionDirectory.Transport.SSE,
            grant.owner(),
            settings.askTimeout(),
            system);
    return FutureResponse.complete(
        reply.thenApplyAsync(
            opened -> {
              if (opened instanceof ServerInstance.SessionOpened session) {
                String endpoint =
                    grant.pathSecret().map(secret -> "/messages/" + secret).orElse("/messages");
                Source<ByteString, NotUsed> events =
                    outbound.events(endpoint + "?sessionid=" + session.sessionId());
                return HttpResponse.create()
                    .withHeaders(List.of(CacheControl.create(CacheDirectives.NO_CACHE)))
                    .withEntity(
                        HttpEntities.create(
                            ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM), events));
              }
              SessionOpening.Refusal refusal = SessionOpening.refusal(opened);
              return ErrorHandling.jsonRpcError(
                  StatusCodes.get(refusal.httpStatus()), refusal.error());
            },
            system.executionContext()));
  }

  /** {@code owner}: with access keys, the credential of the request, which must own the session. */
  private Route postMessage(Optional<String> owner) {
    return extractRequest(
        request -> {
          Query query =
              request
                  .getUri()
                  .query(); // parsed once: each parameter directive would parse it again
          Optional<String> sessionId = query.get("sessionid").or(() -> query.get("sessionId"));
          if (sessionId.isEmpty()) {
            return complete(
                ErrorHandling.jsonRpcError(
                    StatusCodes.BAD_REQUEST,
                    new JsonRpcError(
                        JsonRpcError.INVALID_REQUEST, "missing query parameter 'sessionid'")));
          }
          // the body's type was checked for every path by the port's RequestGuard
          return withSizeLimit(
              settings.maxBodyBytes(),
              () ->
                  entity(
                      Unmarshaller.entityToByteString(),
                      body -> deliver(sessionId.get(), owner, body, request)));
        });
  }

  private Route deliver(
      String sessionId, Optional<String> owner, ByteString body, HttpRequest http) {
    JsonRpcCodec.Parsed parsed = JsonRpcCodec.parse(body, settings.json());
    if (parsed instanceof JsonRpcCodec.Failure failure) {
      return complete(
          ErrorHandling.jsonRpcError(StatusCodes.BAD_REQUEST, failure.id(), failure.error()));
    }
    JsonRpcMessage message = traceHeaders.intoMeta(((JsonRpcCodec.Ok) parsed).message(), http);
    JsonNode requestId =
        message instanceof JsonRpcMessage.Request request ? request.id() : NullNode.getInstance();
    if (!servesHere(sessionId, owner)) {
      // another transport's session, or another credential's: the same answer as no session at all
      return complete(sessionNotFound(requestId));
    }
    CompletionStage<ServerInstance.DeliverReply> reply =
        directory.deliver(sessionId, message, settings.askTimeout(), system.scheduler());
    return FutureResponse.complete(
        reply.thenApplyAsync(
            delivered -> {
              if (delivered == ServerInstance.Accepted.INSTANCE) {
                return ACCEPTED;
              }
              if (delivered instanceof ServerInstance.SessionNotFound) {
                return sessionNotFound(requestId);
              }
              return ErrorHandling.jsonRpcError(
                  StatusCodes.SERVICE_UNAVAILABLE,
                  requestId,
                  ((ServerInstance.Rejected) delivered).error());
            },
            system.executionContext()));
  }

  /**
   * Whether the session was opened on this transport, by {@code owner} when access keys name one,
   * and its stream is still open: without the transport check a Streamable HTTP session's id POSTed
   * here would inject messages into that session.
   */
  private boolean servesHere(String sessionId, Optional<String> owner) {
    return directory
        .lookup(sessionId)
        .filter(entry -> entry.transport() == SessionDirectory.Transport.SSE)
        .filter(entry -> owner.isEmpty() || entry.owner().orElse("").equals(owner.get()))
        .filter(entry -> !entry.streamEnded())
        .isPresent();
  }

  private static HttpResponse sessionNotFound(JsonNode requestId) {
    return ErrorHandling.jsonRpcError(
        StatusCodes.NOT_FOUND,
        requestId,
        new JsonRpcError(
            JsonRpcError.SESSION_NOT_FOUND,
            "unknown or closed session (the sessionid of a session that has ended, or of none)"));
  }
}
