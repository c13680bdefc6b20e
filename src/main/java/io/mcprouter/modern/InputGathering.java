package io.mcprouter.modern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The part of a multi round-trip call (MCP 2026-07-28, patterns/mrtr) that every face of it shares,
 * a 2026-07-28 request on {@code /mcp/{key}} and a REST call alike: a 2025-era child asks its
 * client mid-call and waits; its asks that come together are gathered into one {@code
 * input_required} result with a state naming the call, the call is registered as parked, and a
 * retry's responses are checked and become the child's answers, round after round. No actor, no
 * timer: the call that owns it runs the gather window and the park timeout, and is told what to do
 * at their end.
 */
public final class InputGathering {

  /** Where what the call owes the child goes (the call's delivery to its session). */
  public interface Child {
    void answer(JsonRpcMessage.Response answer);

    /** Refuses a child's request its client cannot answer. */
    void refuse(JsonRpcMessage.Request asked);
  }

  /**
   * Requests a child sends in one burst arrive within this of each other (a Node SDK server
   * compiles a schema before its first elicitation: tens of milliseconds).
   */
  public static final Duration GATHER_WINDOW = Duration.ofMillis(100);

  /** The requests whose results may be input_required. */
  public static final Set<String> CARRY_INPUT =
      Set.of("tools/call", "prompts/get", "resources/read");

  /** The undeclared asks held back until the gather window ends; any beyond are refused at once. */
  private static final int MAX_HELD_REFUSALS = 16;

  /** What the end of a gather window asks of the call. */
  public enum Gathered {
    /** Answer {@code input_required} with {@link #park} and wait for the retry. */
    PARK,
    /** Only asks for what the client did not declare came: {@link #undeclared} names one. */
    UNDECLARED,
    NOTHING
  }

  private final Child child;
  private final InputRequests asks = new InputRequests();

  /**
   * The child's asks for what the request did not declare: refused when the asks that came with
   * them are answered, so the child cannot finish its call before the client hears of them.
   */
  private final List<JsonRpcMessage.Request> refuseLater = new ArrayList<>();

  private String undeclared;
  private String parkedId;
  private int round;

  public InputGathering(Child child) {
    this.child = child;
  }

  /**
   * A child's request to its client needing {@code capability}, which the client {@code declared}
   * or not; {@code given}: the {@code inputResponses} the client sent with its request (a stateless
   * client may answer before it is asked). Returns whether the gather window must run.
   */
  public boolean childAsked(
      JsonRpcMessage.Request childRequest, String capability, boolean declared, JsonNode given) {
    if (!declared) {
      // the child may ask for what was declared next, as a tool with a fallback does
      undeclared = capability;
      if (refuseLater.size() < MAX_HELD_REFUSALS) {
        refuseLater.add(childRequest);
      } else {
        child.refuse(childRequest); // a child asking without end is not held
      }
      return true;
    }
    String hint = InputRequests.hintOf(childRequest);
    JsonNode answer = hint == null || given == null ? null : given.get(hint);
    if (answer != null && InputRequests.problem(childRequest.method(), answer) == null) {
      child.answer(JsonRpcMessage.success(childRequest.id(), answer));
      return false;
    }
    if (!asks.hasRoom()) {
      child.refuse(childRequest); // more asks than one result takes
      return false;
    }
    asks.add(childRequest); // the child's call keeps running meanwhile
    return true;
  }

  /**
   * The gather window ended: the undeclared asks are refused now, and the call is told what next.
   */
  public Gathered gathered() {
    refuseLater.forEach(child::refuse);
    refuseLater.clear();
    if (!asks.isEmpty()) {
      return Gathered.PARK;
    }
    return undeclared == null ? Gathered.NOTHING : Gathered.UNDECLARED;
  }

  /** A capability the child asked for and the client did not declare, or null. */
  public String undeclared() {
    return undeclared;
  }

  /**
   * The {@code input_required} result asking for everything pending, with a new state (the next
   * round) good until {@code expiresAtMillis}; the first round registers {@code call} as parked.
   */
  public <R> ObjectNode park(
      ParkedCalls<R> parked,
      RequestState states,
      String key,
      String owner,
      R call,
      JsonNode requestId,
      long expiresAtMillis) {
    if (parkedId == null) {
      parkedId = parked.register(key, owner, call, requestId);
    }
    String state =
        states.issue(new RequestState.Parked(key, owner, parkedId, ++round, expiresAtMillis));
    return asks.result(state);
  }

  /**
   * A retry's {@code inputResponses}: when they can be taken, the answered asks go to the child and
   * the rest stay pending (asked again); when not, nothing reaches the child and the call stays
   * parked.
   */
  public InputRequests.Outcome answer(JsonNode inputResponses) {
    InputRequests.Outcome outcome = asks.answer(inputResponses);
    if (outcome instanceof InputRequests.Answered answered) {
      answered.toChild().forEach(child::answer);
    }
    return outcome;
  }

  /** Whether asks are still pending after a retry: the call parks again for them. */
  public boolean asksLeft() {
    return !asks.isEmpty();
  }

  public int round() {
    return round;
  }

  /** The id the call's states name (null until it first parks), for its retries' ids. */
  public String parkedId() {
    return parkedId;
  }

  /** The call has ended: its state names nothing any more. */
  public void ended(ParkedCalls<?> parked) {
    if (parkedId != null) {
      parked.remove(parkedId);
    }
  }
}
