package io.mcprouter.modern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code requestState} of an {@code input_required} result: which parked call a retry resumes,
 * integrity-protected with HMAC-SHA256 under the router's secret (several routers that share the
 * secret accept each other's states), bounded by an expiry, and bound to the key and the credential
 * that made the call, so a state cannot be forged, replayed late, or used by another user.
 */
public final class RequestState {

  /** What a state names. {@code owner}: the credential's name, or empty without access keys. */
  public record Parked(String key, String owner, String callId, int round, long expiresAtMillis) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();
  private static final int MAX_LENGTH = 2048;

  private final SecretKeySpec secret;

  public RequestState(byte[] secret) {
    if (secret.length < 16) {
      throw new IllegalArgumentException("a request-state secret needs at least 16 bytes");
    }
    this.secret = new SecretKeySpec(secret.clone(), "HmacSHA256");
  }

  /** A router's own random secret: its states are good only at this router, until it restarts. */
  public static RequestState withRandomSecret() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return new RequestState(secret);
  }

  /**
   * The states of {@code mcprouter.mrtr.secret}: that secret's (shared by the routers given it),
   * or, when it is empty, this router's own random one.
   */
  public static RequestState forSecret(String secret) {
    return secret.isEmpty()
        ? withRandomSecret()
        : new RequestState(secret.getBytes(StandardCharsets.UTF_8));
  }

  public String issue(Parked parked) {
    ObjectNode payload = JSON.createObjectNode();
    payload.put("k", parked.key());
    payload.put("o", parked.owner());
    payload.put("c", parked.callId());
    payload.put("r", parked.round());
    payload.put("e", parked.expiresAtMillis());
    String body = B64.encodeToString(payload.toString().getBytes(StandardCharsets.UTF_8));
    return body + "." + B64.encodeToString(mac(body));
  }

  /**
   * The call a state names, if it is this router's (or a router sharing the secret), unexpired at
   * {@code nowMillis}, and for this key and owner; empty for anything else, whatever is wrong with
   * it (the client is told only that the state is invalid).
   */
  public Optional<Parked> verify(String state, String key, String owner, long nowMillis) {
    return check(state, key, owner, nowMillis) instanceof Parked parked
        ? Optional.of(parked)
        : Optional.empty();
  }

  /**
   * What is wrong with a state, said to its presenter (a REST caller, whose own state it was), or
   * empty when it is good: not one this router issued (altered, or made up), expired, or issued for
   * another server or credential. Nothing it names is a secret: a caller learns only what it
   * presented.
   */
  public Optional<String> problem(String state, String key, String owner, long nowMillis) {
    return check(state, key, owner, nowMillis) instanceof String problem
        ? Optional.of(problem)
        : Optional.empty();
  }

  private static final String NOT_ISSUED = "was not issued by this server (altered or made up)";

  /** The {@link Parked} a good state names, or what is wrong with it. */
  private Object check(String state, String key, String owner, long nowMillis) {
    if (state == null || state.length() > MAX_LENGTH) {
      return NOT_ISSUED;
    }
    int dot = state.indexOf('.');
    if (dot <= 0 || dot != state.lastIndexOf('.')) {
      return NOT_ISSUED;
    }
    String body = state.substring(0, dot);
    try {
      byte[] presented = B64D.decode(state.substring(dot + 1));
      if (!MessageDigest.isEqual(presented, mac(body))) {
        return NOT_ISSUED;
      }
      JsonNode payload = JSON.readTree(B64D.decode(body));
      Parked parked =
          new Parked(
              payload.path("k").asText(""),
              payload.path("o").asText(""),
              payload.path("c").asText(""),
              payload.path("r").asInt(0),
              payload.path("e").asLong(0));
      if (parked.callId().isEmpty()) {
        return NOT_ISSUED;
      }
      if (!parked.key().equals(key) || !parked.owner().equals(owner)) {
        return "was issued for another server or credential";
      }
      if (parked.expiresAtMillis() < nowMillis) {
        return "has expired";
      }
      return parked;
    } catch (IllegalArgumentException | IOException e) {
      return NOT_ISSUED;
    }
  }

  private byte[] mac(String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(secret);
      return mac.doFinal(body.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
