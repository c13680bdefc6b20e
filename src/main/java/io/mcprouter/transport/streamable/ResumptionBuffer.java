package io.mcprouter.transport.streamable;

import akka.util.ByteString;
import io.mcprouter.session.OutputBudget;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Streamable HTTP session's streams and the events each has sent, kept so that a client can
 * resume a stream with {@code Last-Event-ID}. Bounded by the session's bounds (delivered events go
 * first) and by the number of finished streams remembered; every buffered byte counts in the
 * session's {@link OutputBudget} account. Not thread-safe: its {@link StreamableSession} calls it
 * under its own lock.
 */
final class ResumptionBuffer {

  private static final int FINISHED_STREAMS_KEPT = 16;

  private final int maxEvents;
  private final long maxBytes;
  private final OutputBudget.Account account;
  private final Map<String, EventStream> streams = new LinkedHashMap<>();
  private int bufferedEvents;
  private long bufferedBytes;

  ResumptionBuffer(int maxEvents, long maxBytes, OutputBudget.Account account) {
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
    this.account = account;
  }

  void add(EventStream stream) {
    streams.put(stream.id, stream);
  }

  /** Forgets a stream; what it still buffers stays counted, as before it was forgotten. */
  /** Forgets a stream with what it buffers, which then counts against no bound. */
  void remove(EventStream stream) {
    dropAll(stream);
    streams.remove(stream.id);
  }

  /** Where a resuming client picks up: after event {@code after} of {@code stream}. */
  record Resume(EventStream stream, long after) {}

  /**
   * Where a GET with this {@code Last-Event-ID} resumes: the stream the id names, or when it names
   * none still kept, the GET stream after what it has delivered.
   */
  Resume resumeAt(Optional<String> lastEventId, EventStream standalone) {
    if (lastEventId.isPresent()) {
      int dot = lastEventId.get().lastIndexOf('.');
      EventStream named = dot < 0 ? null : streams.get(lastEventId.get().substring(0, dot));
      if (named != null) {
        return new Resume(named, parseSeq(lastEventId.get().substring(dot + 1)));
      }
    }
    return new Resume(standalone, standalone.deliveredSeq);
  }

  Collection<EventStream> streams() {
    return streams.values();
  }

  void append(EventStream stream, EventStream.Event event) {
    stream.events.add(event);
    bufferedEvents++;
    bufferedBytes += event.bytes().size();
    account.add(event.bytes().size());
  }

  /** What the stream buffers after event {@code seq}, to replay to a resuming client. */
  static List<ByteString> after(EventStream stream, long seq) {
    List<ByteString> replay = new ArrayList<>();
    stream.events.stream().filter(e -> e.seq() > seq).forEach(e -> replay.add(e.bytes()));
    return replay;
  }

  /** Forgets the oldest finished streams beyond those kept, other than {@code justFinished}. */
  void forgetOldFinished(EventStream justFinished) {
    long finishedCount = streams.values().stream().filter(s -> s.finished).count();
    for (Iterator<EventStream> it = streams.values().iterator();
        it.hasNext() && finishedCount > FINISHED_STREAMS_KEPT; ) {
      EventStream old = it.next();
      if (old.finished && old != justFinished) {
        dropAll(old);
        it.remove();
        finishedCount--;
      }
    }
  }

  /**
   * Keeps the buffers bounded: delivered events go first; false when undelivered ones would have
   * to.
   */
  boolean trim() {
    for (EventStream stream : streams.values()) {
      while (overBounds()
          && !stream.events.isEmpty()
          && stream.events.getFirst().seq() <= stream.deliveredSeq) {
        drop(stream, 1);
      }
    }
    return !overBounds();
  }

  void dropAll(EventStream stream) {
    drop(stream, stream.events.size());
  }

  private boolean overBounds() {
    return bufferedEvents > maxEvents || bufferedBytes > maxBytes;
  }

  private void drop(EventStream stream, int count) {
    for (int i = 0; i < count && !stream.events.isEmpty(); i++) {
      EventStream.Event dropped = stream.events.removeFirst();
      bufferedEvents--;
      bufferedBytes -= dropped.bytes().size();
      account.release(dropped.bytes().size());
    }
  }

  private static long parseSeq(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
