package io.mcprouter.transport.streamable;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.delete;
import static akka.http.javadsl.server.Directives.entity;
import static akka.http.javadsl.server.Directives.extractRequest;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.Directives.withSizeLimit;
import static io.mcprouter.transport.streamable.StreamableHttp.accepts;
import static io.mcprouter.transport.streamable.StreamableHttp.error;
import static io.mcprouter.transport.streamable.StreamableHttp.header;
import static io.mcprouter.transport.streamable.StreamableHttp.sessionNotFound;
import static io.mcprouter.transport.streamable.StreamableHttp.sse;

import akka.NotUsed;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
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
import io.mcprouter.jsonrpc.ProtocolVersions;
import io.mcprouter.modern.EraClassifier;
import io.mcprouter.modern.ModernProtocol;
import io.mcprouter.server.ServerInstance;
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.server.SessionDirectory;
import io.mcprouter.server.SessionOpening;
import io.mcprouter.session.OutputBudget;
import io.mcprouter.trace.TraceHeaders;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

/**
 * The Streamable HTTP transport (MCP 2025-03-26 to 2025-11-25) on {@code /mcp/{key}}: POST one
 * message (a request is answered on its own SSE stream, or as JSON when the client accepts only
 * JSON), GET the session's stream for server-initiated messages or resume one with {@code
 * Last-Event-ID}, DELETE to end the session.
 */
public final class StreamableHttpRoutes {

  public static final String SESSION_HEADER = "Mcp-Session-Id";
  public static final String VERSION_HEADER = "MCP-Protocol-Version";

  /**
   * Revisions whose clients understand priming events (an id with empty data) and resume with them.
   */
  private static final String PRIMING_SINCE = "2025-11-25";

  private final ActorRef<ServerRegistry.Command> registry;
  private final SessionDirectory directory;
  private final RouterSettings settings;
  private final ActorSystem<?> system;
  private final McpAccess access;
  private final OutputBudget budget;
  private final ModernRoutes modern;
  private final TraceHeaders traceHeaders;

  /**
   * {@code sharedKey}: whether a key's sessions share one child (its modern clients may listen).
   */
  public StreamableHttpRoutes(
      ActorRef<ServerRegistry.Command> registry,
      SessionDirectory directory,
      RouterSettings settings,
      ActorSystem<?> system,
      McpAccess access,
      OutputBudget budget,
      Predicate<String> sharedKey) {
    this(registry, directory, settings, system, access, budget, sharedKey, TraceHeaders.OFF);
  }

  /** {@code traceHeaders}: carries a POSTed message's trace headers into its {@code _meta}. */
  public StreamableHttpRoutes(
      ActorRef<ServerRegistry.Command> registry,
      SessionDirectory directory,
      RouterSettings settings,
      ActorSystem<?> system,
      McpAccess access,
      OutputBudget budget,
      Predicate<String> sharedKey,
      TraceHeaders traceHeaders) {
    this.traceHeaders = traceHeaders;
    this.modern = new ModernRoutes(registry, directory, settings, system, budget, sharedKey);
    this.access = access;
    this.budget = budget;
    this.registry = registry;
    this.directory = directory;
    this.settings = settings;
    this.system = system;
  }

  public Route routes() {
    return pathPrefix(
        "mcp",
        () ->
            access.server(
                "mcp",
                grant ->
                    extractRequest(
                        request ->
                            concat(
                                post(() -> postMessage(grant, request)),
                                get(() -> openStream(grant, request)),
                                delete(() -> endSession(grant, request))))));
  }

  private Route postMessage(McpAccess.Grant grant, HttpRequest request) {
    Optional<String> version = header(request, VERSION_HEADER);
    boolean sse = accepts(request, MediaTypes.TEXT_EVENT_STREAM.toString());
    if (!sse && !accepts(request, MediaTypes.APPLICATION_JSON.toString())) {
      return error(
          StatusCodes.NOT_ACCEPTABLE,
          JsonRpcError.INVALID_REQUEST,
          "Accept must include application/json and text/event-stream");
    }
    return withSizeLimit(
        settings.maxBodyBytes(),
        () ->
            entity(
                Unmarshaller.entityToByteString(),
                body -> {
                  JsonRpcCodec.Parsed parsed = JsonRpcCodec.parse(body, settings.json());
                  if (parsed instanceof JsonRpcCodec.Failure failure) {
                    return complete(
                        ErrorHandling.jsonRpcError(
                            StatusCodes.BAD_REQUEST, failure.id(), failure.error()));
                  }
                  JsonRpcMessage message =
                      traceHeaders.intoMeta(((JsonRpcCodec.Ok) parsed).message(), request);
                  EraClassifier.Era era = ModernRoutes.classify(request, message);
                  if (era != EraClassifier.Legacy.INSTANCE) {
                    return modern.serve(
                        grant,
                        era,
                        sse,
                        accepts(request, MediaTypes.APPLICATION_JSON.toString()),
                        ClientConnection.of(request));
                  }
                  // checked against the router's revisions, not the session's: each session is
                  // answered its own revision at initialize, and the spec asks only that an
                  // unsupported value be refused
                  if (version.isPresent() && !ProtocolVersions.isSupported(version.get())) {
                    return error(
                        StatusCodes.BAD_REQUEST,
                        JsonRpcError.INVALID_REQUEST,
                        "unsupported MCP-Protocol-Version '"
                            + version.get()
                            + "' (supported: "
                            + String.join(", ", ProtocolVersions.SUPPORTED)
                            + ", "
                            + String.join(", ", ModernProtocol.VERSIONS)
                            + ")");
                  }
                  if (message instanceof JsonRpcMessage.Request r
                      && "initialize".equals(r.method())) {
                    return initialize(grant, r, sse, ClientConnection.of(request));
                  }
                  Optional<String> sessionId = header(request, SESSION_HEADER);
                  if (sessionId.isEmpty()) {
                    return error(
                        StatusCodes.BAD_REQUEST,
                        JsonRpcError.INVALID_REQUEST,
                        "Mcp-Session-Id header is required after initialize");
                  }
                  Optional<StreamableSession> session = session(sessionId.get(), grant);
                  if (session.isEmpty()) {
                    return sessionNotFound(sessionId.get());
                  }
                  return deliver(
                      sessionId.get(),
                      session.get(),
                      message,
                      sse,
                      primes(version),
                      ClientConnection.of(request));
                }));
  }

  private Route initialize(
      McpAccess.Grant grant,
      JsonRpcMessage.Request initialize,
      boolean sse,
      Optional<ClientConnection> connection) {
    String key = grant.serverKey();
    StreamableSession session =
        new StreamableSession(
            system,
            settings.sessionBufferMessages(),
            settings.sessionBufferBytes(),
            settings.sseKeepAlive(),
            budget);
    String requested =
        initialize.params() == null ? "" : initialize.params().path("protocolVersion").asText("");
    StreamableSession.Answer answer =
        session.attachRequest(
            initialize.id(),
            progressToken(initialize),
            sse,
            primes(Optional.of(requested)),
            connection);
    CompletionStage<ServerInstance.OpenSessionReply> reply =
        SessionOpening.open(
            registry,
            key,
            session,
            Optional.of(initialize),
            SessionDirectory.Transport.STREAMABLE,
            grant.owner(),
            settings.askTimeout(),
            system);
    return FutureResponse.complete(
        reply.thenComposeAsync(
            opened -> {
              if (opened instanceof ServerInstance.SessionOpened ok) {
                return respond(answer, List.of(RawHeader.create(SESSION_HEADER, ok.sessionId())));
              }
              SessionOpening.Refusal refusal = SessionOpening.refusal(opened);
              return CompletableFuture.completedFuture(
                  ErrorHandling.jsonRpcError(
                      StatusCodes.get(refusal.httpStatus()), refusal.error()));
            },
            system.executionContext()));
  }

  private Route deliver(
      String sessionId,
      StreamableSession session,
      JsonRpcMessage message,
      boolean sse,
      boolean prime,
      Optional<ClientConnection> connection) {
    JsonRpcMessage.Request request = message instanceof JsonRpcMessage.Request r ? r : null;
    StreamableSession.Answer answer =
        request == null
            ? null
            : session.attachRequest(request.id(), progressToken(request), sse, prime, connection);
    CompletionStage<ServerInstance.DeliverReply> reply =
        directory.deliver(sessionId, message, settings.askTimeout(), system.scheduler());
    if (request != null) {
      // no reply in time (the client gets 504): the stream must not wait for an answer for ever, or
      // the session would count as connected and never reach its idle or detached timeout
      // on the completing thread: a dispatcher hop for every request cost the hot path a fifth of
      // its CPU
      reply.whenCompleteAsync(
          (delivered, failure) -> {
            if (failure != null) {
              session.abandonRequest(request.id());
            }
          },
          Runnable::run);
    }
    return FutureResponse.complete(
        reply.thenComposeAsync(
            delivered -> {
              if (delivered == ServerInstance.Accepted.INSTANCE) {
                cancelledRequestId(message).ifPresent(session::cancelRequest);
                return answer == null
                    ? CompletableFuture.completedFuture(
                        HttpResponse.create().withStatus(StatusCodes.ACCEPTED))
                    : respond(answer, List.of());
              }
              if (request != null) {
                session.abandonRequest(request.id());
              }
              JsonNode id = request == null ? NullNode.getInstance() : request.id();
              if (delivered instanceof ServerInstance.SessionNotFound) {
                return CompletableFuture.completedFuture(
                    ErrorHandling.jsonRpcError(
                        StatusCodes.NOT_FOUND,
                        id,
                        new JsonRpcError(
                            JsonRpcError.SESSION_NOT_FOUND, "unknown or ended session")));
              }
              return CompletableFuture.completedFuture(
                  ErrorHandling.jsonRpcError(
                      StatusCodes.SERVICE_UNAVAILABLE,
                      id,
                      ((ServerInstance.Rejected) delivered).error()));
            },
            system.executionContext()));
  }

  /** The request a {@code notifications/cancelled} names, if this is one. */
  private static Optional<JsonNode> cancelledRequestId(JsonRpcMessage message) {
    if (message instanceof JsonRpcMessage.Notification n
        && "notifications/cancelled".equals(n.method())
        && n.params() != null
        && n.params().hasNonNull("requestId")) {
      return Optional.of(n.params().get("requestId"));
    }
    return Optional.empty();
  }

  private Route openStream(McpAccess.Grant grant, HttpRequest request) {
    Optional<String> sessionId = header(request, SESSION_HEADER);
    if (sessionId.isEmpty()) {
      return error(
          StatusCodes.BAD_REQUEST,
          JsonRpcError.INVALID_REQUEST,
          "Mcp-Session-Id header is required");
    }
    Optional<StreamableSession> session = session(sessionId.get(), grant);
    if (session.isEmpty()) {
      return sessionNotFound(sessionId.get());
    }
    if (!accepts(request, MediaTypes.TEXT_EVENT_STREAM.toString())) {
      return error(
          StatusCodes.NOT_ACCEPTABLE,
          JsonRpcError.INVALID_REQUEST,
          "Accept must include text/event-stream");
    }
    Source<ByteString, NotUsed> events =
        session
            .get()
            .attachGet(
                header(request, "Last-Event-ID"),
                primes(header(request, VERSION_HEADER)),
                ClientConnection.of(request));
    return complete(sse(events, List.of()));
  }

  private Route endSession(McpAccess.Grant grant, HttpRequest request) {
    Optional<String> sessionId = header(request, SESSION_HEADER);
    if (sessionId.isEmpty()) {
      return error(
          StatusCodes.BAD_REQUEST,
          JsonRpcError.INVALID_REQUEST,
          "Mcp-Session-Id header is required");
    }
    Optional<StreamableSession> session = session(sessionId.get(), grant);
    if (session.isEmpty()) {
      return sessionNotFound(sessionId.get());
    }
    session.get().closeByClient(); // its actor sees the client gone; a per-session child is stopped
    return complete(StatusCodes.NO_CONTENT);
  }

  /**
   * The open session with this id, when it was opened on this transport, for the grant's key and by
   * the grant's credential: anything else is answered as no session at all.
   */
  private Optional<StreamableSession> session(String sessionId, McpAccess.Grant grant) {
    return directory
        .lookup(sessionId)
        .filter(entry -> entry.transport() == SessionDirectory.Transport.STREAMABLE)
        .filter(
            entry -> entry.key().equals(grant.serverKey()) && entry.owner().equals(grant.owner()))
        .map(entry -> (StreamableSession) entry.outbound())
        .filter(session -> !session.isClosed());
  }

  private CompletionStage<HttpResponse> respond(
      StreamableSession.Answer answer, List<HttpHeader> headers) {
    if (answer instanceof StreamableSession.SseAnswer sse) {
      return CompletableFuture.completedFuture(sse(sse.events(), headers));
    }
    CompletionStage<JsonRpcMessage> response = ((StreamableSession.JsonAnswer) answer).response();
    return response.handleAsync(
        (message, failure) ->
            failure == null
                ? HttpResponse.create()
                    .withHeaders(headers)
                    .withEntity(
                        HttpEntities.create(
                            ContentTypes.APPLICATION_JSON, JsonRpcCodec.encode(message)))
                : ErrorHandling.jsonRpcError(
                    StatusCodes.NOT_FOUND,
                    new JsonRpcError(
                        JsonRpcError.SESSION_NOT_FOUND, "the session ended before the answer")),
        system.executionContext());
  }

  private static JsonNode progressToken(JsonRpcMessage.Request request) {
    return request.params() == null ? null : request.params().path("_meta").get("progressToken");
  }

  private static boolean primes(Optional<String> version) {
    return version.map(v -> v.compareTo(PRIMING_SINCE) >= 0).orElse(false);
  }
}
