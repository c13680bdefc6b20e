package io.mcprouter.transport.streamable;

import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.jsonrpc.ProtocolVersions;
import io.mcprouter.modern.ListenFilter;
import io.mcprouter.modern.ModernAnswers;
import io.mcprouter.modern.ModernProtocol;
import io.mcprouter.modern.ModernRequest;
import io.mcprouter.server.ServerInstance;
import io.mcprouter.server.SessionDirectory;
import io.mcprouter.server.SessionOpening;
import io.mcprouter.session.ActorOutbound;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MCP 2026-07-28 request (the IoT tutorial's per-request actor): it opens an ordinary session
 * on the key, as a 2025 client would (initialize from the request's {@code _meta}, answered from
 * the shared child's cache or by a child of its own), sends its one request through the normal
 * delivery, writes what belongs to that request to its HTTP response, and stops. So a modern
 * request gets the id rewriting, limits, crash handling and stops of a session; and its end closes
 * the session, which cancels the request at the child if it is still in flight there: that is how
 * closing a request's stream cancels it.
 *
 * <p>{@code subscriptions/listen} is a session that stays open: it receives the child's broadcast
 * notifications and passes on those its filter accepts.
 */
final class ModernCall extends AbstractBehavior<ModernCall.Command> {

  sealed interface Command {}

  record Opened(ServerInstance.OpenSessionReply reply, Throwable failure) implements Command {}

  /** A message of the session's outbound. */
  record FromServer(JsonRpcMessage message) implements Command {}

  record Delivered(ServerInstance.DeliverReply reply, Throwable failure) implements Command {}

  /** The session's outbound ended: the instance closed the session (stop, crash loop, eviction). */
  enum SessionEnded implements Command {
    INSTANCE
  }

  /** The client of this response went away: its stream ended or its connection closed. */
  record ClientGone(ModernResponse response) implements Command {}

  /**
   * A retry of a parked call (multi round-trip requests): its {@code inputResponses} answer what
   * the child asked, and {@code response} is where the call goes on.
   */
  record Resume(ModernRequest retry, ModernResponse response) implements Command {}

  /**
   * The client cancelled the call, parked or resumed: {@code notifications/cancelled} naming its
   * request's id or a retry's, found for the same key and owner only ({@code ModernRoutes}).
   */
  enum Cancel implements Command {
    INSTANCE
  }

  /** The timers of a call's input rounds ({@link InputRound}). */
  enum InputTimer implements Command {
    /** The child's requests that come together go into one input_required result. */
    GATHER,
    /** A parked call whose retry did not come. */
    PARK
  }

  /** Waiting for the child to finish a call whose client was already answered took too long. */
  enum DrainTimeout implements Command {
    INSTANCE
  }

  /**
   * How long a call the router answered early (the child asked its client for something) waits for
   * the child to finish before it is cancelled there.
   */
  static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);

  static final Logger log = LoggerFactory.getLogger(ModernCall.class);
  private static final JsonNode INITIALIZE_ID = TextNode.valueOf("initialize");

  static Behavior<Command> create(
      ModernCallContext router,
      String key,
      Optional<String> owner,
      boolean listens,
      ModernRequest request,
      ModernResponse response) {
    return Behaviors.withTimers(
        timers ->
            Behaviors.setup(
                context ->
                    new ModernCall(
                        context, timers, router, key, owner, listens, request, response)));
  }

  final TimerScheduler<Command> timers;
  final ModernCallContext router;
  final String key;
  private final boolean listens;
  final String owner;
  final ActorOutbound<Command> outbound;

  /** The id the child's call was sent with: a retry has its own id, the child's call does not. */
  final JsonNode childCallId;

  ModernRequest request;
  ModernResponse response;
  final InputRound inputs;

  String sessionId;
  private ListenFilter filter;
  boolean answered;
  private boolean initialized;

  /** The initialize answer, when the instance routed it before the opening's reply came back. */
  private JsonRpcMessage.Response earlyInitialize;

  private ModernCall(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ModernCallContext router,
      String key,
      Optional<String> owner,
      boolean listens,
      ModernRequest request,
      ModernResponse response) {
    super(context);
    this.timers = timers;
    this.router = router;
    this.key = key;
    this.listens = listens;
    this.request = request;
    this.response = response;
    this.owner = owner.orElse("");
    this.childCallId = request.id();
    this.inputs = new InputRound(this, timers);
    this.outbound =
        new ActorOutbound<>(context.getSelf(), FromServer::new, 1024, "the modern request");
    context.pipeToSelf(outbound.terminated(), (done, failure) -> SessionEnded.INSTANCE);
    context.pipeToSelf(response.closed(), (done, failure) -> new ClientGone(response));
    context.pipeToSelf(
        SessionOpening.open(
            router.registry(),
            key,
            outbound,
            Optional.of(
                new JsonRpcMessage.Request(
                    INITIALIZE_ID,
                    "initialize",
                    request.initializeParams(ProtocolVersions.LATEST))),
            SessionDirectory.Transport.MODERN,
            owner,
            router.askTimeout(),
            router.system()),
        Opened::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Opened.class, this::onOpened)
        .onMessage(FromServer.class, this::onFromServer)
        .onMessage(Delivered.class, this::onDelivered)
        .onMessageEquals(SessionEnded.INSTANCE, this::onSessionEnded)
        .onMessage(ClientGone.class, this::onClientGone)
        .onMessage(Resume.class, inputs::resume)
        .onMessage(InputTimer.class, inputs::onTimer)
        .onMessage(Cancel.class, inputs::cancelled)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  /** Only the current response's client matters; a parked call has none until its retry. */
  private Behavior<Command> onClientGone(ClientGone gone) {
    return gone.response() == response && !inputs.parked() ? Behaviors.stopped() : this;
  }

  private Behavior<Command> onOpened(Opened opened) {
    if (opened.failure() != null) {
      return fail(
          503,
          new JsonRpcError(JsonRpcError.TIMEOUT, "server '" + key + "' did not answer in time"));
    }
    if (opened.reply() instanceof ServerInstance.SessionOpened ok) {
      sessionId = ok.sessionId();
      // the instance routes the initialize that came with the opening, maybe ahead of this reply
      return earlyInitialize == null ? this : onInitialized(earlyInitialize);
    }
    SessionOpening.Refusal refusal = SessionOpening.refusal(opened.reply());
    return fail(refusal.httpStatus(), refusal.error());
  }

  private Behavior<Command> onFromServer(FromServer from) {
    outbound.taken();
    JsonRpcMessage message = from.message();
    if (message instanceof JsonRpcMessage.Response answer) {
      if (!initialized && INITIALIZE_ID.equals(answer.id())) {
        initialized = true;
        if (sessionId == null) {
          earlyInitialize = answer;
          return this;
        }
        return onInitialized(answer);
      }
      if (childCallId.equals(answer.id())) {
        return answer(ModernAnswers.answer(request, answer));
      }
      return this; // the answer to a subscription the listen made
    }
    if (message instanceof JsonRpcMessage.Request childRequest) {
      return inputs.onChildRequest(childRequest, filter != null);
    }
    JsonRpcMessage.Notification notification = (JsonRpcMessage.Notification) message;
    boolean keep =
        filter != null
            ? filter.wants(notification)
            : "notifications/progress".equals(notification.method())
                ? request.progressToken().isPresent()
                : "notifications/message".equals(notification.method())
                    && ModernAnswers.logWanted(request, notification);
    if (keep
        && !response.stream(
            filter != null ? ListenFilter.tagged(notification, request.id()) : notification)) {
      log.warn(
          "modern response overflowed key={} session={} method={}: its client is not reading",
          key,
          prefix(),
          request.method());
      return Behaviors.stopped();
    }
    return this;
  }

  private Behavior<Command> onInitialized(JsonRpcMessage.Response initialize) {
    if (initialize.isError()) {
      return answer(ModernAnswers.answer(request, initialize));
    }
    if (request.is(ModernProtocol.DISCOVER)) {
      return answer(
          JsonRpcMessage.success(
              request.id(),
              ModernAnswers.discover(
                  initialize.result(),
                  listens && !ModernAnswers.fromModernChild(initialize.result()))));
    }
    boolean modernChild = ModernAnswers.fromModernChild(initialize.result());
    deliver(new JsonRpcMessage.Notification("notifications/initialized", null));
    if (!request.is(ModernProtocol.LISTEN)) {
      // a 2026 child gets the request as the client sent it, its _meta included
      deliver(modernChild ? request.asSent() : request.toChild());
      return this;
    }
    if (modernChild) {
      return answer(
          JsonRpcMessage.failure(
              request.id(),
              new JsonRpcError(
                  JsonRpcError.METHOD_NOT_FOUND,
                  "subscriptions/listen is not served for a server that speaks MCP 2026-07-28")));
    }
    JsonNode capabilities =
        ModernAnswers.discover(initialize.result(), listens).get("capabilities");
    filter = ListenFilter.accepted(request.params().path("notifications"), capabilities);
    response.stream(filter.acknowledgement(request.id()));
    int subscription = 0;
    for (String uri : filter.resources()) {
      deliver(
          new JsonRpcMessage.Request(
              TextNode.valueOf("listen-subscribe-" + (++subscription)),
              "resources/subscribe",
              JsonNodeFactory.instance.objectNode().put("uri", uri)));
    }
    return this;
  }

  void refuse(JsonRpcMessage.Request childRequest) {
    deliver(
        JsonRpcMessage.failure(
            childRequest.id(),
            new JsonRpcError(
                JsonRpcError.METHOD_NOT_FOUND,
                "the client cannot answer " + childRequest.method() + " in MCP 2026-07-28")));
  }

  private Behavior<Command> onDelivered(Delivered delivered) {
    if (delivered.failure() != null) {
      return fail(
          503, new JsonRpcError(JsonRpcError.TIMEOUT, "server '" + key + "' is not answering"));
    }
    if (delivered.reply() instanceof ServerInstance.Rejected rejected) {
      return fail(503, rejected.error());
    }
    if (delivered.reply() instanceof ServerInstance.SessionNotFound) {
      return onSessionEnded();
    }
    return this;
  }

  private Behavior<Command> onSessionEnded() {
    if (filter != null) {
      // a listen the router ends gracefully: the result names the subscription it closes
      return answer(JsonRpcMessage.success(request.id(), ListenFilter.closedResult(request.id())));
    }
    return fail(
        503, new JsonRpcError(JsonRpcError.SERVER_GONE, "server '" + key + "' ended the request"));
  }

  void deliver(JsonRpcMessage message) {
    if (sessionId == null) {
      return;
    }
    getContext()
        .pipeToSelf(
            router
                .directory()
                .deliver(sessionId, message, router.askTimeout(), router.system().scheduler()),
            Delivered::new);
  }

  private Behavior<Command> fail(int httpStatus, JsonRpcError error) {
    if (!answered) {
      answered = true;
      response.fail(
          httpStatus, JsonRpcMessage.failure(request.id(), ModernAnswers.routerError(error)));
    }
    return Behaviors.stopped();
  }

  private Behavior<Command> answer(JsonRpcMessage.Response answer) {
    if (!answered) {
      answered = true;
      response.answer(answer);
    }
    return Behaviors.stopped();
  }

  /** Ending the session is what cancels the request at the child if it is still in flight. */
  Behavior<Command> onPostStop() {
    inputs.ended();
    outbound.end();
    if (!answered) {
      response.end();
    }
    return this;
  }

  String prefix() {
    return sessionId == null ? "-" : sessionId.substring(0, 8);
  }
}
