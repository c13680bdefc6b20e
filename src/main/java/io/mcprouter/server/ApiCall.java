package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.jsonrpc.ProtocolVersions;
import io.mcprouter.session.ActorOutbound;
import java.time.Duration;
import java.util.Optional;

/**
 * One REST call (the IoT tutorial's per-request query actor): it opens an ordinary session on its
 * server instance, sends initialize, notifications/initialized and its one request through the
 * normal delivery, replies and stops. So a REST call gets id rewriting, progress isolation and the
 * limits of a session; and its end closes its session, which cancels a call still in flight at the
 * child by the mechanism every session uses.
 */
public final class ApiCall extends AbstractBehavior<ApiCall.Command> {

  public sealed interface Command {}

  private record Opened(ServerInstance.OpenSessionReply reply) implements Command {}

  private record FromCache(ServerInstance.CachedTools cached) implements Command {}

  /** A message of the session's outbound: an answer, a server request, a notification. */
  private record FromServer(JsonRpcMessage message) implements Command {}

  private record Delivered(ServerInstance.DeliverReply reply) implements Command {}

  /** The session's outbound ended (the instance closed the session, or it overflowed). */
  private enum SessionEnded implements Command {
    INSTANCE
  }

  private enum CallTimeout implements Command {
    INSTANCE
  }

  public sealed interface CallReply {}

  public record CallResult(JsonNode result) implements CallReply {}

  /**
   * {@code kind} says who failed: the MCP server answered an error, or the router could not get an
   * answer.
   */
  public record CallFailed(CallFailure kind, JsonRpcError error) implements CallReply {}

  public enum CallFailure {
    SERVER_ERROR,
    SERVER_GONE,
    UNAVAILABLE,
    TIMEOUT
  }

  private static final JsonNode INITIALIZE_ID = TextNode.valueOf("initialize");
  private static final JsonNode CALL_ID = TextNode.valueOf("call");
  private static final int MAX_UNHANDLED = 1024;

  public static Behavior<Command> create(
      ActorRef<ServerInstance.Command> instance,
      String sessionId,
      String key,
      String method,
      JsonNode params,
      Duration timeout,
      ActorRef<CallReply> replyTo) {
    return Behaviors.withTimers(
        timers ->
            Behaviors.setup(
                context -> {
                  timers.startSingleTimer(CallTimeout.INSTANCE, timeout);
                  return new ApiCall(context, instance, sessionId, key, method, params, replyTo);
                }));
  }

  private final ActorRef<ServerInstance.Command> instance;
  private final String sessionId;
  private final String key;
  private final String method;
  private final JsonNode params;
  private final ActorRef<CallReply> replyTo;
  private final ActorOutbound<Command> outbound;
  private final ActorRef<ServerInstance.DeliverReply> delivered;

  /**
   * The tool list's version when this call found no cached list: its result is cached only for it.
   */
  private long toolsVersion = -1;

  private ApiCall(
      ActorContext<Command> context,
      ActorRef<ServerInstance.Command> instance,
      String sessionId,
      String key,
      String method,
      JsonNode params,
      ActorRef<CallReply> replyTo) {
    super(context);
    this.instance = instance;
    this.sessionId = sessionId;
    this.key = key;
    this.method = method;
    this.params = params;
    this.replyTo = replyTo;
    this.outbound =
        new ActorOutbound<>(context.getSelf(), FromServer::new, MAX_UNHANDLED, "the REST call");
    this.delivered = context.messageAdapter(ServerInstance.DeliverReply.class, Delivered::new);
    context.pipeToSelf(outbound.terminated(), (done, failure) -> SessionEnded.INSTANCE);
    if (listsTools()) {
      instance.tell(
          new ServerInstance.GetCachedTools(
              context.messageAdapter(ServerInstance.CachedTools.class, FromCache::new)));
    } else {
      openSession();
    }
  }

  private boolean listsTools() {
    return "tools/list".equals(method) && (params == null || params.isEmpty());
  }

  private void openSession() {
    instance.tell(
        new ServerInstance.OpenSession(
            sessionId,
            outbound,
            Optional.of(
                new JsonRpcMessage.Request(INITIALIZE_ID, "initialize", initializeParams())),
            SessionDirectory.Transport.API,
            getContext().messageAdapter(ServerInstance.OpenSessionReply.class, Opened::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Opened.class, this::onOpened)
        .onMessage(FromCache.class, this::onFromCache)
        .onMessage(FromServer.class, this::onFromServer)
        .onMessage(Delivered.class, this::onDelivered)
        .onMessageEquals(
            SessionEnded.INSTANCE,
            () -> fail(CallFailure.SERVER_GONE, ServerErrors.gone(key, "ended the call's session")))
        .onMessageEquals(
            CallTimeout.INSTANCE, () -> fail(CallFailure.TIMEOUT, ServerErrors.callTimeout(key)))
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onFromCache(FromCache fromCache) {
    if (fromCache.cached().tools().isPresent()) {
      replyTo.tell(new CallResult(fromCache.cached().tools().get()));
      return Behaviors.stopped();
    }
    toolsVersion = fromCache.cached().version();
    openSession();
    return this;
  }

  private Behavior<Command> onOpened(Opened opened) {
    if (opened.reply() instanceof ServerInstance.OpenRejected rejected) {
      return fail(
          CallFailure.UNAVAILABLE, new JsonRpcError(JsonRpcError.UNAVAILABLE, rejected.reason()));
    }
    if (opened.reply() instanceof ServerInstance.UnknownServer unknown) {
      return fail(
          CallFailure.UNAVAILABLE,
          new JsonRpcError(JsonRpcError.UNAVAILABLE, "unknown server key '" + unknown.key() + "'"));
    }
    return this; // the instance routes the initialize that came with the opening
  }

  private Behavior<Command> onFromServer(FromServer from) {
    outbound.taken();
    JsonRpcMessage message = from.message();
    if (message instanceof JsonRpcMessage.Response response) {
      if (INITIALIZE_ID.equals(response.id())) {
        if (response.isError()) {
          return fail(CallFailure.SERVER_ERROR, toError(response.error()));
        }
        deliver(new JsonRpcMessage.Notification("notifications/initialized", null));
        deliver(new JsonRpcMessage.Request(CALL_ID, method, params));
      } else if (CALL_ID.equals(response.id())) {
        if (!response.isError()) {
          if (listsTools()) {
            instance.tell(new ServerInstance.CacheTools(response.result(), toolsVersion));
          }
          replyTo.tell(new CallResult(response.result()));
          return Behaviors.stopped();
        }
        JsonRpcError error = toError(response.error());
        return fail(madeByRouter(error) ? kindOf(error) : CallFailure.SERVER_ERROR, error);
      }
    } else if (message instanceof JsonRpcMessage.Request request) {
      // a REST caller has no user to ask: pings are answered, anything else is declined at once
      deliver(
          "ping".equals(request.method())
              ? JsonRpcMessage.success(request.id(), JsonNodeFactory.instance.objectNode())
              : JsonRpcMessage.failure(
                  request.id(),
                  new JsonRpcError(
                      JsonRpcError.METHOD_NOT_FOUND,
                      "a REST API call cannot answer " + request.method())));
    }
    return this;
  }

  private Behavior<Command> onDelivered(Delivered delivered) {
    if (delivered.reply() instanceof ServerInstance.Rejected rejected) {
      JsonRpcError error = rejected.error();
      return fail(
          error.code() == JsonRpcError.SERVER_GONE
              ? CallFailure.SERVER_GONE
              : CallFailure.UNAVAILABLE,
          error);
    }
    if (delivered.reply() instanceof ServerInstance.SessionNotFound) {
      return fail(CallFailure.SERVER_GONE, ServerErrors.gone(key, "ended the call's session"));
    }
    return this;
  }

  private void deliver(JsonRpcMessage message) {
    instance.tell(new ServerInstance.Deliver(sessionId, message, delivered));
  }

  private Behavior<Command> fail(CallFailure kind, JsonRpcError error) {
    replyTo.tell(new CallFailed(kind, error));
    return Behaviors.stopped();
  }

  /** Ending the session is what cancels the call at the child if it is still in flight there. */
  private Behavior<Command> onPostStop() {
    outbound.end();
    return this;
  }

  /**
   * Errors the router answers for the server (timeouts, a dead child, stopping) use the router's
   * own codes.
   */
  private static boolean madeByRouter(JsonRpcError error) {
    return error.code() <= JsonRpcError.SERVER_GONE && error.code() >= JsonRpcError.TIMEOUT;
  }

  private static CallFailure kindOf(JsonRpcError error) {
    return error.code() == JsonRpcError.TIMEOUT
        ? CallFailure.TIMEOUT
        : error.code() == JsonRpcError.UNAVAILABLE
            ? CallFailure.UNAVAILABLE
            : CallFailure.SERVER_GONE;
  }

  private static JsonRpcError toError(JsonNode error) {
    return new JsonRpcError(
        error.path("code").asInt(JsonRpcError.INTERNAL_ERROR),
        error.path("message").asText("error"),
        error.get("data"));
  }

  private static ObjectNode initializeParams() {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("protocolVersion", ProtocolVersions.LATEST);
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "mcprouter-api").put("version", "1.0.0");
    return params;
  }
}
