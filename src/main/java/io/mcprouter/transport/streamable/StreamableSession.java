package io.mcprouter.transport.streamable;

import akka.Done;
import akka.NotUsed;
import akka.actor.typed.ActorSystem;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.http.SseEncoding;
import io.mcprouter.http.SseEventQueue;
import io.mcprouter.http.connection.ClientConnection;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.SessionEnd;
import io.mcprouter.session.Outbound;
import io.mcprouter.session.OutputBudget;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The outbound side of one Streamable HTTP session: which SSE stream each message belongs on, and a
 * bounded buffer of recent events per stream so a client can resume with {@code Last-Event-ID}.
 * {@link RequestStreams} picks the stream, {@link ResumptionBuffer} keeps the events; this class
 * connects the streams to their HTTP connections and reports those to the session's watcher.
 *
 * <ul>
 *   <li>Each POSTed request has its own stream: its response ends it; its progress notifications
 *       (matched by progress token) go on it; other server messages go on the most recent request
 *       stream still open (they relate to a request in progress), else on the GET stream.
 *   <li>Event ids are {@code <stream>.<seq>}, unique in the session, so a {@code Last-Event-ID}
 *       names the stream to resume and the point to resume from (MCP 2025-11-25, resumability).
 *   <li>A connection that stops reading is dropped, not the session: its events stay buffered for a
 *       resume. Only when undelivered events exceed the session's bounds is the session closed.
 *   <li>Both the resumption buffer and each connection's queue count in the router's {@link
 *       OutputBudget}, in one account per session. An event waiting in a connection's queue is also
 *       in the buffer, so it counts twice: the figure is an upper bound of what the session holds.
 * </ul>
 *
 * Offered to by the server instance, ended by the session's ClientSession actor (or by the registry
 * evicting it), attached to by the HTTP routes, each from its own thread: all state is guarded by
 * this.
 */
public final class StreamableSession implements Outbound {

  private static final String STANDALONE = "g";
  private static final ByteString RETRY = ByteString.fromString("retry: 1000\n");

  /**
   * How a POSTed request is answered: an SSE stream, or (Accept: application/json only) one JSON
   * answer.
   */
  public sealed interface Answer {}

  public record SseAnswer(Source<ByteString, NotUsed> events) implements Answer {}

  public record JsonAnswer(CompletionStage<JsonRpcMessage> response) implements Answer {}

  private final ActorSystem<?> system;
  private final Duration keepAlive;
  private final int maxEvents;
  private final long maxBytes;
  private final ResumptionBuffer buffer;
  private final RequestStreams requests = new RequestStreams();
  private final CompletableFuture<Done> terminated = new CompletableFuture<>();
  private final EventStream standalone = new EventStream(STANDALONE);
  private final OutputBudget.Account account;
  // every connection not yet ended, attached or not: a dropped one may still hold what it did not
  // send
  private final Set<SseEventQueue> connections = new HashSet<>();
  private volatile String evicted;
  private volatile SessionEnd endedAs;
  private long seq;
  private boolean closed;
  private boolean heldGetStream;
  private Connections reported;
  private long unconnectedSinceNanos = -1;
  private Consumer<Connections> watcher;

  public StreamableSession(
      ActorSystem<?> system,
      int maxEvents,
      long maxBytes,
      Duration keepAlive,
      OutputBudget budget) {
    this.system = system;
    this.account = budget.open(this::evict);
    this.keepAlive = keepAlive;
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
    this.buffer = new ResumptionBuffer(maxEvents, maxBytes, account);
    buffer.add(standalone);
  }

  /**
   * Opens the stream that will carry a request's answer; call before the request is delivered. The
   * stream ends at once when {@code connection} goes.
   */
  public synchronized Answer attachRequest(
      JsonNode requestId,
      JsonNode progressToken,
      boolean sse,
      boolean prime,
      Optional<ClientConnection> connection) {
    try {
      return openRequestStream(requestId, progressToken, sse, prime, connection);
    } finally {
      report();
    }
  }

  private Answer openRequestStream(
      JsonNode requestId,
      JsonNode progressToken,
      boolean sse,
      boolean prime,
      Optional<ClientConnection> connection) {
    EventStream stream = requests.open(requestId, progressToken);
    buffer.add(stream);
    if (!sse) {
      stream.jsonAnswer = new CompletableFuture<>();
      return new JsonAnswer(stream.jsonAnswer);
    }
    return new SseAnswer(connect(stream, prime ? List.of(priming(stream)) : List.of(), connection));
  }

  /** The request was not delivered after all: forget its stream. */
  public synchronized void abandonRequest(JsonNode requestId) {
    EventStream stream = requests.take(requestId);
    if (stream != null) {
      requests.forgetProgressToken(stream);
      if (stream.live != null) {
        // its response is an error instead: nobody will read the stream, so what it queued goes
        // now rather than when the unclaimed stream gives up
        stream.live.abort();
        stream.live = null;
      }
      finish(stream);
      buffer.remove(stream);
    }
    report();
  }

  /**
   * The client cancelled this request (MCP: the server then sends no response), so nothing more
   * will come on its stream: end it, or a client that cancels and then vanishes would keep its
   * session connected for ever. A JSON-only caller still waiting gets an error saying so.
   */
  public synchronized void cancelRequest(JsonNode requestId) {
    // no answer will come (a late one is dropped): waiting for it would keep the session connected
    EventStream stream = requests.take(requestId);
    if (stream == null || stream.finished) {
      report();
      return;
    }
    if (stream.jsonAnswer != null) {
      stream.jsonAnswer.complete(new JsonRpcMessage.Response(requestId, null, CANCELLED));
    }
    requests.forgetProgressToken(stream);
    finish(stream);
    report();
  }

  private static final JsonNode CANCELLED =
      JsonRpcCodec.MAPPER
          .createObjectNode()
          .put("code", JsonRpcError.REQUEST_CANCELLED)
          .put("message", "request cancelled by the client");

  /**
   * A GET: the session's stream for server-initiated messages, or with {@code lastEventId} the
   * resumption of whichever stream that event belongs to, replaying what followed it. A second GET
   * replaces the first connection (a client reconnecting after a network drop is the usual cause).
   */
  public synchronized Source<ByteString, NotUsed> attachGet(
      Optional<String> lastEventId, boolean prime, Optional<ClientConnection> connection) {
    ResumptionBuffer.Resume resume = buffer.resumeAt(lastEventId, standalone);
    EventStream stream = resume.stream();
    List<ByteString> replay = ResumptionBuffer.after(stream, resume.after());
    if (replay.isEmpty() && prime) {
      replay.add(priming(stream));
    }
    if (stream.live != null) {
      stream.live.complete();
    }
    heldGetStream |= stream == standalone;
    Source<ByteString, NotUsed> events = connect(stream, replay, connection);
    report();
    return events;
  }

  @Override
  public synchronized OfferResult offer(JsonRpcMessage message) {
    if (closed) {
      return OfferResult.CLOSED;
    }
    EventStream target = requests.streamFor(message, standalone);
    if (target.jsonAnswer != null) {
      if (message instanceof JsonRpcMessage.Response) {
        target.jsonAnswer.complete(message);
        finish(target);
        report();
        return OfferResult.ENQUEUED;
      }
      target = standalone; // a plain JSON answer has no room for related messages
    }
    EventStream.Event event =
        new EventStream.Event(
            ++seq,
            SseEncoding.jsonEvent(
                "message", target.id + "." + seq, JsonRpcCodec.encodeBytes(message)));
    buffer.append(target, event);
    if (target.live != null) {
      if (target.live.offer(event.bytes()) == SseEventQueue.Offered.ENQUEUED) {
        target.deliveredSeq = event.seq();
      } else {
        // this connection is not keeping up: drop it and what it did not send; the client resumes
        // from its Last-Event-ID
        target.live.abort();
        target.live = null;
        report();
      }
    }
    // a response to no open request (an id the client reused while in flight) lands on the GET
    // stream,
    // which it must not end: finished, that stream would end every GET for the rest of the session
    if (message instanceof JsonRpcMessage.Response && target != standalone) {
      finish(target);
      report();
    }
    return buffer.trim() ? OfferResult.ENQUEUED : OfferResult.OVERFLOW;
  }

  /** Ends the session: its connections complete and its actor sees the client gone. */
  @Override
  public synchronized void complete() {
    end(Ending.AFTER_WHAT_WAS_OFFERED);
  }

  /** The client's DELETE: the session ends as {@link #complete} ends it, by the client's choice. */
  public void closeByClient() {
    complete(SessionEnd.CLIENT_CLOSED);
  }

  @Override
  public synchronized void complete(SessionEnd why) {
    if (!closed) {
      endedAs = why; // before terminated completes: whoever sees that sees why
    }
    complete();
  }

  @Override
  public Optional<SessionEnd> endedAs() {
    return Optional.ofNullable(endedAs);
  }

  /** Ends the session and its connections now, dropping whatever was not sent. */
  @Override
  public synchronized void abort() {
    end(Ending.NOW);
  }

  @Override
  public Optional<String> endReason() {
    return Optional.ofNullable(evicted);
  }

  private synchronized void evict(String reason) {
    evicted = reason; // before terminated completes: whoever sees that sees the reason
    if (!closed) {
      endedAs = SessionEnd.OVERFLOW;
    }
    end(Ending.NOW);
  }

  /** Whether the connections write what they hold before they end. */
  private enum Ending {
    AFTER_WHAT_WAS_OFFERED,
    NOW
  }

  private void end(Ending ending) {
    if (ending == Ending.NOW) {
      // a copy: an aborted connection that never started ends at once, and leaves the set as it
      // does
      List.copyOf(connections).forEach(SseEventQueue::abort);
    }
    if (!closed) {
      closed = true;
      buffer
          .streams()
          .forEach(
              stream -> {
                if (stream.live != null) {
                  stream.live.complete();
                  stream.live = null;
                }
                if (stream.jsonAnswer != null) {
                  stream.jsonAnswer.cancel(false);
                }
                // nobody can resume a session that has ended
                buffer.dropAll(stream);
              });
      account.done();
      terminated.complete(Done.getInstance());
    }
  }

  @Override
  public CompletionStage<Done> terminated() {
    return terminated;
  }

  @Override
  public String describeBounds() {
    return maxEvents + " undelivered events / " + maxBytes + " bytes";
  }

  public synchronized boolean isClosed() {
    return closed;
  }

  @Override
  public synchronized void watchConnections(Consumer<Connections> watcher) {
    this.watcher = watcher;
    reported = null;
    report();
  }

  @Override
  public synchronized OptionalLong unconnectedSince() {
    return closed || unconnectedSinceNanos < 0
        ? OptionalLong.empty()
        : OptionalLong.of(unconnectedSinceNanos);
  }

  /** Tells the watcher when what is open has changed; called at the end of every change. */
  private void report() {
    if (closed) {
      return;
    }
    boolean connected = requests.anyOpen();
    for (EventStream stream : buffer.streams()) {
      connected |= stream.live != null || stream.jsonAnswer != null;
    }
    Connections now = new Connections(connected, heldGetStream && standalone.live == null);
    if (now.equals(reported)) {
      return;
    }
    reported = now;
    if (connected) {
      unconnectedSinceNanos = -1;
    } else if (unconnectedSinceNanos < 0) {
      unconnectedSinceNanos = System.nanoTime();
    }
    if (watcher != null) {
      watcher.accept(now);
    }
  }

  private Source<ByteString, NotUsed> connect(
      EventStream stream, List<ByteString> first, Optional<ClientConnection> connection) {
    // the session's own bounds decide when it ends; this one only drops a connection that stops
    // reading
    SseEventQueue live =
        new SseEventQueue(system, Math.max(16, maxEvents), maxBytes, keepAlive, account);
    connections.add(live);
    first.forEach(live::offer);
    stream.deliveredSeq =
        stream.events.isEmpty() ? stream.deliveredSeq : stream.events.getLast().seq();
    if (stream.finished) {
      live.complete();
    } else {
      stream.live = live;
    }
    live.terminated().thenRun(() -> disconnected(stream, live));
    connection.ifPresent(live::endWhenClosed);
    return live.source();
  }

  private synchronized void disconnected(EventStream stream, SseEventQueue live) {
    connections.remove(live);
    if (stream.live == live) {
      stream.live = null;
    }
    report();
  }

  private void finish(EventStream stream) {
    stream.finished = true;
    if (stream.live != null) {
      stream.live.complete();
      stream.live = null;
    }
    stream.jsonAnswer = null;
    buffer.forgetOldFinished(stream);
  }

  /**
   * An event with an id and empty data: lets a 2025-11-25 client resume a stream that has sent
   * nothing yet.
   */
  private ByteString priming(EventStream stream) {
    return ByteString.fromString("id: " + stream.id + "." + seq + "\n")
        .concat(RETRY)
        .concat(ByteString.fromString("data: \n\n"));
  }
}
