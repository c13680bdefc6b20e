package io.mcprouter.modern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RequestStateTest {

  private static final byte[] SECRET =
      "a-shared-secret-of-32-bytes-long".getBytes(StandardCharsets.UTF_8);
  private final RequestState states = new RequestState(SECRET);
  private final RequestState.Parked parked =
      new RequestState.Parked("everything", "alice", "call-1", 1, 10_000);

  @Test
  void aStateNamesItsCallForItsKeyAndOwnerUntilItExpires() {
    String state = states.issue(parked);
    assertEquals(Optional.of(parked), states.verify(state, "everything", "alice", 9_999));
    assertEquals(Optional.empty(), states.verify(state, "everything", "alice", 10_001), "expired");
    assertEquals(Optional.empty(), states.verify(state, "memory", "alice", 0), "another key");
    assertEquals(Optional.empty(), states.verify(state, "everything", "bob", 0), "another user");
  }

  @Test
  void anAlteredOrForeignStateIsRefused() {
    String state = states.issue(parked);
    assertTrue(states.verify(state + "-TAMPERED", "everything", "alice", 0).isEmpty());
    String body = state.substring(0, state.indexOf('.'));
    String otherBody =
        states.issue(new RequestState.Parked("everything", "alice", "call-2", 1, 10_000));
    String spliced =
        otherBody.substring(0, otherBody.indexOf('.')) + state.substring(body.length());
    assertTrue(
        states.verify(spliced, "everything", "alice", 0).isEmpty(), "a body under another mac");
    RequestState other = RequestState.withRandomSecret();
    assertTrue(other.verify(state, "everything", "alice", 0).isEmpty(), "another router's");
    assertEquals(
        Optional.of(parked),
        new RequestState(SECRET).verify(state, "everything", "alice", 0),
        "a router sharing the secret accepts it");
    for (String junk : new String[] {"", ".", "a.b.c", "not base64!.x", "x".repeat(5000)}) {
      assertTrue(states.verify(junk, "everything", "alice", 0).isEmpty(), junk);
    }
  }

  @Test
  void eachRoundHasItsOwnStateAndShortSecretsAreRefused() {
    assertNotEquals(
        states.issue(parked),
        states.issue(new RequestState.Parked("everything", "alice", "call-1", 2, 10_000)));
    assertThrows(IllegalArgumentException.class, () -> new RequestState(new byte[8]));
  }

  @Test
  void theProblemWithAStateIsNamedForItsPresenter() {
    String state = states.issue(parked);
    assertEquals(Optional.empty(), states.problem(state, "everything", "alice", 5_000));
    assertTrue(states.problem(state, "everything", "alice", 20_000).get().contains("expired"));
    assertTrue(states.problem(state, "everything", "bob", 5_000).get().contains("another server"));
    assertTrue(states.problem(state, "other", "alice", 5_000).get().contains("another server"));
    String altered = state.substring(0, state.length() - 2) + "xx";
    assertTrue(states.problem(altered, "everything", "alice", 5_000).get().contains("not issued"));
    assertTrue(
        RequestState.withRandomSecret()
            .problem(state, "everything", "alice", 5_000)
            .get()
            .contains("not issued"));
  }
}
