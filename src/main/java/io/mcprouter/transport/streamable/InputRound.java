package io.mcprouter.transport.streamable;

import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.modern.InputGathering;
import io.mcprouter.modern.InputRequests;
import io.mcprouter.modern.ModernAnswers;
import io.mcprouter.modern.ModernProtocol;
import io.mcprouter.server.ServerInstance;
import java.util.Optional;

/**
 * The multi round-trip part of a {@link ModernCall} (MCP 2026-07-28, patterns/mrtr): its timers and
 * its answers on the call's responses, around the {@link InputGathering} every face of the
 * mechanism shares. The call answers its client with {@code input_required}, stays parked with the
 * child's call still running, and on the retry goes on on the retry's response, round after round.
 * Runs on the call's actor, as part of it.
 */
final class InputRound {

  private final ModernCall call;
  private final TimerScheduler<ModernCall.Command> timers;
  private final InputGathering gathering;
  private boolean parked;

  InputRound(ModernCall call, TimerScheduler<ModernCall.Command> timers) {
    this.call = call;
    this.timers = timers;
    this.gathering =
        new InputGathering(
            new InputGathering.Child() {
              @Override
              public void answer(JsonRpcMessage.Response answer) {
                call.deliver(answer);
              }

              @Override
              public void refuse(JsonRpcMessage.Request asked) {
                call.refuse(asked);
              }
            });
  }

  boolean parked() {
    return parked;
  }

  /**
   * A 2025 child asks its client mid-request. A 2026-07-28 client takes no requests from a server:
   * a call that can carry {@code input_required} asks its client for it; otherwise the child is
   * answered with an error at once so it does not wait, and the request fails with the capability
   * it needed.
   */
  Behavior<ModernCall.Command> onChildRequest(
      JsonRpcMessage.Request childRequest, boolean listening) {
    if ("ping".equals(childRequest.method())) {
      call.deliver(
          JsonRpcMessage.success(childRequest.id(), JsonNodeFactory.instance.objectNode()));
      return Behaviors.same();
    }
    Optional<String> capability = ModernProtocol.neededCapability(childRequest.method());
    if (capability.isEmpty() || listening) {
      call.refuse(childRequest);
      return Behaviors.same();
    }
    if (InputGathering.CARRY_INPUT.contains(call.request.method())) {
      if (gathering.childAsked(
          childRequest,
          capability.get(),
          call.request.declares(capability.get()),
          call.request.params().get("inputResponses"))) {
        gather();
      }
      return Behaviors.same();
    }
    call.refuse(childRequest);
    ModernCall.log.info(
        "server request refused key={} session={} method={} reason={}",
        call.key,
        call.prefix(),
        childRequest.method(),
        call.request.declares(capability.get())
            ? "input requests not served"
            : "capability undeclared");
    JsonRpcError error =
        call.request.declares(capability.get())
            ? ModernAnswers.inputNotServed(capability.get(), childRequest.method())
            : ModernAnswers.missingCapability(capability.get(), childRequest.method());
    call.answered = true;
    call.response.answer(JsonRpcMessage.failure(call.request.id(), error));
    return Draining.behavior(call);
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
    InputGathering.Gathered next = gathering.gathered();
    if (next == InputGathering.Gathered.PARK) {
      return park();
    }
    if (next == InputGathering.Gathered.NOTHING || call.answered) {
      return Behaviors.same();
    }
    call.answered = true;
    call.response.answer(
        JsonRpcMessage.failure(
            call.request.id(), ModernAnswers.missingCapability(gathering.undeclared(), "input")));
    return Draining.behavior(call);
  }

  private void gather() {
    if (!timers.isTimerActive(ModernCall.InputTimer.GATHER)) {
      timers.startSingleTimer(ModernCall.InputTimer.GATHER, InputGathering.GATHER_WINDOW);
    }
  }

  /** Answers the client with what the child asked, and waits for the retry. */
  private Behavior<ModernCall.Command> park() {
    var result =
        gathering.park(
            call.router.parkedCalls(),
            call.router.states(),
            call.key,
            call.owner,
            call.getContext().getSelf(),
            call.request.id(),
            System.currentTimeMillis() + call.router.parkTimeout().toMillis());
    call.answered = true;
    parked = true;
    tellInstance(true);
    call.response.answer(JsonRpcMessage.success(call.request.id(), result));
    timers.startSingleTimer(ModernCall.InputTimer.PARK, call.router.parkTimeout());
    ModernCall.log.info(
        "call parked for input key={} session={} method={} round={}",
        call.key,
        call.prefix(),
        call.request.method(),
        gathering.round());
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
    InputRequests.Outcome outcome = gathering.answer(resume.retry().params().get("inputResponses"));
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
    call.router.parkedCalls().retriedAs(gathering.parkedId(), resume.retry().id());
    tellInstance(false);
    timers.cancel(ModernCall.InputTimer.PARK);
    ModernResponse current = call.response;
    call.getContext()
        .pipeToSelf(current.closed(), (done, failure) -> new ModernCall.ClientGone(current));
    return gathering.asksLeft() ? park() : Behaviors.same(); // what was not answered is asked again
  }

  /**
   * The client cancelled the call ({@code notifications/cancelled} naming its request's or a
   * retry's id): its stop closes the session, which cancels the child's call there.
   */
  Behavior<ModernCall.Command> cancelled(ModernCall.Cancel cancel) {
    ModernCall.log.info(
        "call cancelled by its client key={} session={} method={} parked={}",
        call.key,
        call.prefix(),
        call.request.method(),
        parked);
    return Behaviors.stopped();
  }

  /** The call has ended: its state names nothing any more. */
  void ended() {
    gathering.ended(call.router.parkedCalls());
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
