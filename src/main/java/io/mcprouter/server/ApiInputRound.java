package io.mcprouter.server;

import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.modern.InputGathering;
import io.mcprouter.modern.InputRequests;
import io.mcprouter.modern.ModernProtocol;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST face of multi round-trip calls, the part of an {@link ApiCall} whose caller opted in:
 * the child's asks that come together are answered to the caller as one {@code input_required} (the
 * {@link InputGathering} a 2026-07-28 request's call uses too), the call stays parked with the
 * child's call running, and the caller's retry with {@code inputResponses} answers the child and
 * waits again for the result, or for the next round. Runs on the call's actor, as part of it.
 */
final class ApiInputRound {

  private static final Logger log = LoggerFactory.getLogger(ApiInputRound.class);

  /** The client capabilities a REST caller may answer for. */
  private static final List<String> ANSWERABLE = List.of("elicitation", "sampling", "roots");

  private final ApiCall call;
  private final ApiInput input;
  private final InputGathering gathering;
  private final JsonNode capabilities;
  private JsonNode given;
  private boolean parked;

  ApiInputRound(ApiCall call, ApiInput input) {
    this.call = call;
    this.input = input;
    this.capabilities = input.capabilities();
    this.given = input.given();
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

  /**
   * The client capabilities a call's session declares to the child: those of the names a caller may
   * answer that it declared (the child would refuse to ask an undeclared one).
   */
  static ObjectNode declared(Optional<ApiInput> input) {
    ObjectNode declared = JsonNodeFactory.instance.objectNode();
    input.ifPresent(
        given ->
            ANSWERABLE.forEach(
                name -> {
                  if (given.capabilities().path(name).isObject()) {
                    declared.set(name, given.capabilities().get(name).deepCopy());
                  }
                }));
    return declared;
  }

  /**
   * A child's request during the call: whether it was taken as an ask of the caller (false: the
   * call answers it as for any REST caller).
   */
  boolean childAsked(JsonRpcMessage.Request childRequest) {
    Optional<String> capability = ModernProtocol.neededCapability(childRequest.method());
    if (capability.isEmpty() || "ping".equals(childRequest.method())) {
      return false;
    }
    boolean declared = capabilities.path(capability.get()).isObject();
    if (gathering.childAsked(childRequest, capability.get(), declared, given)
        && !call.timers.isTimerActive(ApiCall.InputTimer.GATHER)) {
      call.timers.startSingleTimer(ApiCall.InputTimer.GATHER, InputGathering.GATHER_WINDOW);
    }
    return true;
  }

  Behavior<ApiCall.Command> onTimer(ApiCall.InputTimer timer) {
    if (timer == ApiCall.InputTimer.PARK) {
      log.info("parked REST call expired key={}: cancelled at the server", call.key);
      return Behaviors.stopped();
    }
    // an ask the caller did not declare was refused to the child, which goes on as it would for
    // any REST call
    return gathering.gathered() == InputGathering.Gathered.PARK ? park() : Behaviors.same();
  }

  private Behavior<ApiCall.Command> park() {
    JsonNode result =
        gathering.park(
            input.rounds().parked(),
            input.rounds().states(),
            call.key,
            input.owner(),
            call.getContext().getSelf(),
            null,
            System.currentTimeMillis() + input.rounds().parkTimeout().toMillis());
    parked = true;
    call.timers.cancel(ApiCall.CallTimeout.INSTANCE);
    call.timers.startSingleTimer(ApiCall.InputTimer.PARK, input.rounds().parkTimeout());
    call.instance.tell(new ServerInstance.SessionParked(call.sessionId, true));
    call.reply(new ApiCall.CallInputRequired(result));
    log.info("REST call parked for input key={} round={}", call.key, gathering.round());
    return Behaviors.same();
  }

  /** A retry: its responses answer the child, and the call waits on for the retry's caller. */
  Behavior<ApiCall.Command> resume(ApiCall.Resume resume) {
    if (!parked) {
      resume.replyTo().tell(new ApiCall.RetryRefused("the call is not waiting for input"));
      return Behaviors.same();
    }
    // _meta (a trace context, say) may differ per HTTP request: the call is its name and arguments
    if (!call.params.path("name").equals(resume.params().path("name"))
        || !call.params.path("arguments").equals(resume.params().path("arguments"))) {
      resume
          .replyTo()
          .tell(
              new ApiCall.RetryRefused(
                  "a retry must repeat the call's name and arguments as they were"));
      return Behaviors.same();
    }
    InputRequests.Outcome outcome = gathering.answer(resume.inputResponses());
    if (outcome instanceof InputRequests.Invalid invalid) {
      resume.replyTo().tell(new ApiCall.RetryRefused(invalid.reason()));
      return Behaviors.same(); // still parked: the state stays good for a corrected retry
    }
    parked = false;
    call.replyTo = resume.replyTo();
    given = resume.inputResponses();
    call.timers.cancel(ApiCall.InputTimer.PARK);
    call.timers.startSingleTimer(ApiCall.CallTimeout.INSTANCE, call.timeout);
    call.instance.tell(new ServerInstance.SessionParked(call.sessionId, false));
    return gathering.asksLeft() ? park() : Behaviors.same(); // what was not answered is asked again
  }

  /** The call has ended: its state names nothing any more. */
  void ended() {
    gathering.ended(input.rounds().parked());
  }
}
