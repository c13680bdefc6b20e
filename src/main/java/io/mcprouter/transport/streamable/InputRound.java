package io.mcprouter.transport.streamable;

import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.modern.InputRequests;
import io.mcprouter.modern.ModernAnswers;
import io.mcprouter.modern.RequestState;
import io.mcprouter.server.ServerInstance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The multi round-trip part of a {@link ModernCall} (MCP 2026-07-28, patterns/mrtr): a 2025-era
 * child asks its client mid-call and waits; the call answers its client with {@code input_required}
 * (the child's requests as input requests, and a state naming this call), stays parked with the
 * child's call still running, and on the retry answers the child with the client's responses and
 * goes on, round after round. Runs on the call's actor, as part of it.
 */
final class InputRound {

  /**
   * Requests a child sends in one burst arrive within this of each other (a Node SDK server
   * compiles a schema before its first elicitation: tens of milliseconds).
   */
  static final Duration GATHER_WINDOW = Duration.ofMillis(100);

  /** The requests whose results may be input_required. */
  private static final Set<String> CARRY_INPUT =
      Set.of("tools/call", "prompts/get", "resources/read");

  /** The undeclared asks held back until the gather window ends; any beyond are refused at once. */
  private static final int MAX_HELD_REFUSALS = 16;

  private final ModernCall call;
  private final TimerScheduler<ModernCall.Command> timers;
  private final InputRequests asks = new InputRequests();

  /**
   * The child's asks for what the request did not declare: refused when the asks that came with
   * them are answered, so the child cannot finish its call before the client hears of them.
   */
  private final List<JsonRpcMessage.Request> refuseLater = new ArrayList<>();

  private String undeclared;
  private String parkedId;
  private int round;
  private boolean parked;

  InputRound(ModernCall call, TimerScheduler<ModernCall.Command> timers) {
    this.call = call;
    this.timers = timers;
  }

  boolean carriesInput() {
    return CARRY_INPUT.contains(call.request.method());
  }

  boolean parked() {
    return parked;
  }

  /**
   * A child's request to its client needing {@code capability}, during a call that may carry it.
   */
  Behavior<ModernCall.Command> childAsked(JsonRpcMessage.Request childRequest, String capability) {
    if (!call.request.declares(capability)) {
      // the child may ask for what was declared next, as a tool with a fallback does
      undeclared = capability;
      if (refuseLater.size() < MAX_HELD_REFUSALS) {
        refuseLater.add(childRequest);
      } else {
        call.refuse(childRequest); // a child asking without end is not held
      }
      gather();
      return Behaviors.same();
    }
    // the client may have given the answer already, with the request (a stateless client does)
    String hint = InputRequests.hintOf(childRequest);
    JsonNode given = hint == null ? null : call.request.params().path("inputResponses").get(hint);
    if (given != null && InputRequests.problem(childRequest.method(), given) == null) {
      call.deliver(JsonRpcMessage.success(childRequest.id(), given));
      return Behaviors.same();
    }
    if (!asks.hasRoom()) {
      call.refuse(childRequest); // more asks than one result takes
      return Behaviors.same();
    }
    asks.add(childRequest); // the child's call keeps running meanwhile
    gather();
    return Behaviors.same();
  }

  Behavior<ModernCall.Command> onTimer(ModernCall.InputTimer timer) {
    if (timer == ModernCall.InputTimer.PARK) {
      ModernCall.log.info(
          "parked call expired key={} session={} method={}: cancelled at the server",
          call.key,
          call.prefix(),
          call.request.method());
      return Behaviors.stopped();
    }
    refuseLater.forEach(call::refuse);
    refuseLater.clear();
    if (!asks.isEmpty()) {
      return park();
    }
    if (undeclared == null || call.answered) {
      return Behaviors.same();
    }
    call.answered = true;
    call.response.answer(
        JsonRpcMessage.failure(
            call.request.id(), ModernAnswers.missingCapability(undeclared, "input")));
    return Draining.behavior(call);
  }

  private void gather() {
    if (!timers.isTimerActive(ModernCall.InputTimer.GATHER)) {
      timers.startSingleTimer(ModernCall.InputTimer.GATHER, GATHER_WINDOW);
    }
  }

  /** Answers the client with what the child asked, and waits for the retry. */
  private Behavior<ModernCall.Command> park() {
    if (parkedId == null) {
      parkedId = UUID.randomUUID().toString();
      call.router.parkedCalls().put(parkedId, call.getContext().getSelf());
    }
    String state =
        call.router
            .states()
            .issue(
                new RequestState.Parked(
                    call.key,
                    call.owner,
                    parkedId,
                    ++round,
                    System.currentTimeMillis() + call.router.parkTimeout().toMillis()));
    call.answered = true;
    parked = true;
    tellInstance(true);
    call.response.answer(JsonRpcMessage.success(call.request.id(), asks.result(state)));
    timers.startSingleTimer(ModernCall.InputTimer.PARK, call.router.parkTimeout());
    ModernCall.log.info(
        "call parked for input key={} session={} method={} round={}",
        call.key,
        call.prefix(),
        call.request.method(),
        round);
    return Behaviors.same();
  }

  /** A retry: its responses answer the child, and the call goes on on the retry's response. */
  Behavior<ModernCall.Command> resume(ModernCall.Resume resume) {
    if (!parked) {
      resume
          .response()
          .answer(
              JsonRpcMessage.failure(
                  resume.retry().id(),
                  new JsonRpcError(
                      JsonRpcError.INVALID_PARAMS, "the call is not waiting for input")));
      return Behaviors.same();
    }
    InputRequests.Outcome outcome = asks.answer(resume.retry().params().get("inputResponses"));
    if (outcome instanceof InputRequests.Invalid invalid) {
      resume
          .response()
          .answer(
              JsonRpcMessage.failure(
                  resume.retry().id(),
                  new JsonRpcError(JsonRpcError.INVALID_PARAMS, invalid.reason())));
      return Behaviors.same(); // still parked: the state stays good for a corrected retry
    }
    call.request = resume.retry();
    call.response = resume.response();
    call.answered = false;
    parked = false;
    tellInstance(false);
    timers.cancel(ModernCall.InputTimer.PARK);
    ModernResponse current = call.response;
    call.getContext()
        .pipeToSelf(current.closed(), (done, failure) -> new ModernCall.ClientGone(current));
    ((InputRequests.Answered) outcome).toChild().forEach(call::deliver);
    return asks.isEmpty() ? Behaviors.same() : park(); // what was not answered is asked again
  }

  /** The call has ended: its state names nothing any more. */
  void ended() {
    if (parkedId != null) {
      call.router.parkedCalls().remove(parkedId);
    }
  }

  /** Whether the session's call is parked, for the shared child's attribution. */
  private void tellInstance(boolean isParked) {
    call.router
        .directory()
        .lookup(call.sessionId)
        .ifPresent(
            entry ->
                entry.server().tell(new ServerInstance.SessionParked(call.sessionId, isParked)));
  }
}
