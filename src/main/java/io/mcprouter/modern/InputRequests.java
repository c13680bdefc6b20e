package io.mcprouter.modern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a 2025-era child asked its client during one modern call and has not been answered yet, as
 * 2026-07-28 input requests (multi round-trip requests): named by key, each the child's request as
 * the client must fulfil it. A child may name its request with {@code
 * params._meta["mcprouter/inputKey"]}; otherwise the router names it.
 */
public final class InputRequests {

  /** The {@code _meta} member a child may name its input request with. */
  public static final String KEY_HINT = "mcprouter/inputKey";

  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final int MAX_PENDING = 16;

  /** What a retry's {@code inputResponses} did. */
  public sealed interface Outcome {}

  /** Answers for the child, one per input answered; the rest stay pending. */
  public record Answered(List<JsonRpcMessage.Response> toChild) implements Outcome {}

  /** The responses cannot be taken: nothing reaches the child. */
  public record Invalid(String reason) implements Outcome {}

  private final Map<String, JsonRpcMessage.Request> pending = new LinkedHashMap<>();
  private int named;

  /** Whether another request fits (a child asking without end is refused the rest). */
  public boolean hasRoom() {
    return pending.size() < MAX_PENDING;
  }

  /** The key a child named its request with, if it did (and the name is usable). */
  public static String hintOf(JsonRpcMessage.Request childRequest) {
    String hint =
        childRequest.params() == null
            ? null
            : childRequest.params().path("_meta").path(KEY_HINT).asText(null);
    return hint != null && KEY.matcher(hint).matches() ? hint : null;
  }

  /** Adds a child's request; returns its key. */
  public String add(JsonRpcMessage.Request childRequest) {
    String hint =
        childRequest.params() == null
            ? null
            : childRequest.params().path("_meta").path(KEY_HINT).asText(null);
    String key =
        hint != null && KEY.matcher(hint).matches() && !pending.containsKey(hint)
            ? hint
            : "input-" + (++named);
    pending.put(key, childRequest);
    return key;
  }

  public boolean isEmpty() {
    return pending.isEmpty();
  }

  /** The {@code input_required} result asking for everything pending. */
  public ObjectNode result(String requestState) {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.put("resultType", "input_required");
    ObjectNode requests = result.putObject("inputRequests");
    pending.forEach(
        (key, request) -> {
          ObjectNode entry = requests.putObject(key);
          entry.put("method", request.method());
          ObjectNode params =
              request.params() instanceof ObjectNode object
                  ? object.deepCopy()
                  : JsonNodeFactory.instance.objectNode();
          if (params.get("_meta") instanceof ObjectNode meta) {
            meta.remove(KEY_HINT);
            if (meta.isEmpty()) {
              params.remove("_meta");
            }
          }
          entry.set("params", params);
        });
    result.put("requestState", requestState);
    return result;
  }

  /**
   * Takes a retry's {@code inputResponses}: each answer to a pending request is checked against
   * what was asked and becomes the child's answer; a missing one stays pending (and is asked for
   * again); answers to nothing asked are ignored.
   */
  public Outcome answer(JsonNode inputResponses) {
    if (inputResponses == null || !inputResponses.isObject()) {
      return new Invalid("inputResponses must be an object keyed by the input requests' keys");
    }
    List<String> keys = new ArrayList<>();
    for (Map.Entry<String, JsonRpcMessage.Request> asked : pending.entrySet()) {
      JsonNode response = inputResponses.get(asked.getKey());
      if (response == null) {
        continue;
      }
      String problem = problem(asked.getValue().method(), response);
      if (problem != null) {
        return new Invalid("inputResponses." + asked.getKey() + " " + problem);
      }
      keys.add(asked.getKey());
    }
    List<JsonRpcMessage.Response> toChild = new ArrayList<>();
    for (String key : keys) {
      JsonRpcMessage.Request asked = pending.remove(key);
      toChild.add(JsonRpcMessage.success(asked.id(), inputResponses.get(key)));
    }
    return new Answered(toChild);
  }

  /** Why a response does not answer a request of this method, or null when it does. */
  public static String problem(String method, JsonNode response) {
    if (!response.isObject()) {
      return "must be an object";
    }
    return switch (method) {
      case "elicitation/create" ->
          response.path("action").isTextual()
                  && List.of("accept", "decline", "cancel")
                      .contains(response.path("action").asText())
              ? null
              : "must have an action of accept, decline or cancel";
      case "sampling/createMessage" ->
          response.has("content") && response.path("role").isTextual()
              ? null
              : "must have a role and content";
      case "roots/list" -> response.path("roots").isArray() ? null : "must have a roots array";
      default -> null;
    };
  }

  /** The child's requests still waiting, for answering them with an error when the call ends. */
  public List<JsonRpcMessage.Request> pendingRequests() {
    return List.copyOf(pending.values());
  }
}
