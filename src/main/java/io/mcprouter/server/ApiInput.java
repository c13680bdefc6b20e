package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.modern.ParkedCalls;
import io.mcprouter.modern.RequestState;
import java.time.Duration;

/**
 * A REST caller's opt-in to multi round-trip calls (the REST face of 2026-07-28 {@code
 * input_required}): {@code capabilities} says what it can answer, in the MCP client capabilities'
 * names ({@code elicitation}, {@code sampling}, {@code roots}); {@code given}: the {@code
 * inputResponses} it sent with the call, if any; {@code owner}: the credential the call's states
 * are bound to.
 */
public record ApiInput(Rounds rounds, String owner, JsonNode capabilities, JsonNode given) {

  /** What every REST call's input rounds share: the states' secret, the parked calls. */
  public record Rounds(
      RequestState states, ParkedCalls<ActorRef<ApiCall.Command>> parked, Duration parkTimeout) {}
}
