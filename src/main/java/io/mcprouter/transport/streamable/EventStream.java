package io.mcprouter.transport.streamable;

import akka.util.ByteString;
import io.mcprouter.http.SseEventQueue;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * One stream of a Streamable HTTP session (a request's, or the GET stream): its recent events, kept
 * for a resume, and the connection reading it now, if any. Guarded by its {@link
 * StreamableSession}.
 */
final class EventStream {

  record Event(long seq, ByteString bytes) {}

  final String id;
  final ArrayDeque<Event> events = new ArrayDeque<>();
  SseEventQueue live;
  CompletableFuture<JsonRpcMessage> jsonAnswer;
  long deliveredSeq;
  boolean finished;

  EventStream(String id) {
    this.id = id;
  }
}
