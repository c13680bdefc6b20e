package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
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

  enum CallTimeout implements Command {
    INSTANCE
  }

  /**
   * The retry of a call that answered {@link CallInputRequired}: the same tool and arguments, and
   * the caller's {@code inputResponses}. The call's capabilities stay those of its first call: its
   * session declared them to the child.
   */
  public record Resume(JsonNode params, JsonNode inputResponses, ActorRef<CallReply> replyTo)
      implements Command {}

  /** The timers of a call's input rounds ({@link ApiInputRound}). */
  enum InputTimer implements Command {
    /** The child's requests that come together go into one input_required answer. */
    GATHER,
    /** A parked call whose retry did not come. */
    PARK
  }

  public sealed interface CallReply {}

  public record CallResult(JsonNode result) implements CallReply {}

  /**
   * The child asked what the caller opted in to answer: {@code result} is the {@code
   * input_required} result (its input requests and the state its retry must echo).
   */
  public record CallInputRequired(JsonNode result) implements CallReply {}

  /** A retry that cannot be taken (nothing reached the child): why, for a 400. */
  public record RetryRefused(String reason) implements CallReply {}

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
      Optional<ApiInput> input,
      ActorRef<CallReply> replyTo) {
    return Behaviors.withTimers(
        timers ->
            Behaviors.setup(
                context -> {
                  timers.startSingleTimer(CallTimeout.INSTANCE, timeout);
                  return new ApiCall(
                      context, timers, instance, sessionId, key, method, params, timeout, input,
                      replyTo);
                }));
  }

  final ActorRef<ServerInstance.Command> instance;
  final String sessionId;
  final String key;
  private final String method;
  final JsonNode params;
  final Duration timeout;
  final TimerScheduler<Command> timers;

  /** Who hears the answer; none while the call is parked for its caller's input. */
  ActorRef<CallReply> replyTo;

  /** Present when the caller opted in to answering the child's asks. */
  private final Optional<ApiInputRound> inputs;

  /** What the session declares at initialize: what the caller opted in to answer. */
  private final ObjectNode capabilities;

  private final ActorOutbound<Command> outbound;
  private final ActorRef<ServerInstance.DeliverReply> delivered;

  /**
   * The tool list's version when this call found no cached list: its result is cached only for it.
   */
  private long toolsVersion = -1;

  private ApiCall(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ActorRef<ServerInstance.Command> instance,
      String sessionId,
      String key,
      String method,
      JsonNode params,
      Duration timeout,
      Optional<ApiInput> input,
      ActorRef<CallReply> replyTo) {
    super(context);
    this.timers = timers;
    this.instance = instance;
    this.sessionId = sessionId;
    this.key = key;
    this.method = method;
    this.params = params;
    this.timeout = timeout;
    this.replyTo = replyTo;
    this.inputs = input.map(given -> new ApiInputRound(this, given));
    this.capabilities = ApiInputRound.declared(input);
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
                new JsonRpcMessage.Request(
                    INITIALIZE_ID, "initialize", initializeParams(capabilities))),
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
        .onMessage(InputTimer.class, this::onInputTimer)
        .onMessage(Resume.class, this::onResume)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onFromCache(FromCache fromCache) {
    if (fromCache.cached().tools().isPresent()) {
      reply(new CallResult(fromCache.cached().tools().get()));
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
          reply(new CallResult(response.result()));
          return Behaviors.stopped();
        }
        JsonRpcError error = toError(response.error());
        return fail(madeByRouter(error) ? kindOf(error) : CallFailure.SERVER_ERROR, error);
      }
    } else if (message instanceof JsonRpcMessage.Request request) {
      if (inputs.isPresent() && inputs.get().childAsked(request)) {
        return this; // asked of a caller that opted in
      }
      // a REST caller that did not opt in has no user to ask: pings are answered, anything else
      // is declined at once
      if ("ping".equals(request.method())) {
        deliver(JsonRpcMessage.success(request.id(), JsonNodeFactory.instance.objectNode()));
      } else {
        refuse(request);
      }
    }
    return this;
  }

  void refuse(JsonRpcMessage.Request request) {
    deliver(
        JsonRpcMessage.failure(
            request.id(),
            new JsonRpcError(
                JsonRpcError.METHOD_NOT_FOUND,
                "a REST API call cannot answer " + request.method())));
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

  private Behavior<Command> onInputTimer(InputTimer timer) {
    return inputs.isPresent() ? inputs.get().onTimer(timer) : this;
  }

  private Behavior<Command> onResume(Resume resume) {
    if (inputs.isEmpty()) {
      resume.replyTo().tell(new RetryRefused("the call is not waiting for input"));
      return this;
    }
    return inputs.get().resume(resume);
  }

  void deliver(JsonRpcMessage message) {
    instance.tell(new ServerInstance.Deliver(sessionId, message, delivered));
  }

  /** Tells the caller waiting, if one is (a parked call has none until its retry). */
  void reply(CallReply reply) {
    if (replyTo != null) {
      replyTo.tell(reply);
      replyTo = null;
    }
  }

  private Behavior<Command> fail(CallFailure kind, JsonRpcError error) {
    reply(new CallFailed(kind, error));
    return Behaviors.stopped();
  }

  /** Ending the session is what cancels the call at the child if it is still in flight there. */
  private Behavior<Command> onPostStop() {
    inputs.ifPresent(ApiInputRound::ended);
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

  private static ObjectNode initializeParams(ObjectNode capabilities) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("protocolVersion", ProtocolVersions.LATEST);
    params.set("capabilities", capabilities);
    params.putObject("clientInfo").put("name", "mcprouter-api").put("version", "1.0.0");
    return params;
  }
}
