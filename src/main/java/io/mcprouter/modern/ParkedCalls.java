package io.mcprouter.modern;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The calls that answered {@code input_required} and wait for their retry (multi round-trip
 * requests), by the id their {@link RequestState} names, each with the key and owner it was made
 * under: a retry or a cancellation finds only a call of its own key and owner, so no credential
 * reaches another's call, whatever id or state it presents. Written by the calls themselves (one
 * actor each), read by the routes' threads.
 *
 * @param <R> what reaches a call (its actor)
 */
public final class ParkedCalls<R> {

  /** The JSON-RPC ids a cancellation may name a call by: its request's, and its retries'. */
  private static final int MAX_IDS = 32;

  private record Entry<R>(String key, String owner, R call, Deque<JsonNode> requestIds) {}

  private final Map<String, Entry<R>> calls = new ConcurrentHashMap<>();

  /**
   * Registers a call made with request {@code requestId} (null: a call no cancellation names, a
   * REST call); returns the id its states name.
   */
  public String register(String key, String owner, R call, JsonNode requestId) {
    String id = UUID.randomUUID().toString();
    Deque<JsonNode> ids = new ArrayDeque<>();
    if (requestId != null) {
      ids.add(requestId);
    }
    calls.put(id, new Entry<>(key, owner, call, ids));
    return id;
  }

  /** A retry of the call took over: a cancellation may name it by the retry's id too. */
  public void retriedAs(String callId, JsonNode requestId) {
    Entry<R> entry = calls.get(callId);
    if (entry != null) {
      synchronized (entry.requestIds()) {
        if (entry.requestIds().size() >= MAX_IDS) {
          entry.requestIds().removeFirst(); // a call retried without end keeps its latest ids
        }
        entry.requestIds().add(requestId);
      }
    }
  }

  /** The call a verified state names, if it is still parked here for this key and owner. */
  public Optional<R> find(String callId, String key, String owner) {
    Entry<R> entry = calls.get(callId);
    return entry != null && entry.key().equals(key) && entry.owner().equals(owner)
        ? Optional.of(entry.call())
        : Optional.empty();
  }

  /**
   * The call of this key and owner that {@code requestId} names (its request's id or a retry's),
   * for a stateless cancellation, which names no state; empty for anyone else's call.
   */
  public Optional<R> named(String key, String owner, JsonNode requestId) {
    if (requestId == null || !(requestId.isTextual() || requestId.isIntegralNumber())) {
      return Optional.empty();
    }
    for (Entry<R> entry : calls.values()) {
      if (entry.key().equals(key) && entry.owner().equals(owner)) {
        synchronized (entry.requestIds()) {
          if (entry.requestIds().contains(requestId)) {
            return Optional.of(entry.call());
          }
        }
      }
    }
    return Optional.empty();
  }

  /** The call has ended: its states name nothing any more. */
  public void remove(String callId) {
    calls.remove(callId);
  }

  public int size() {
    return calls.size();
  }
}
