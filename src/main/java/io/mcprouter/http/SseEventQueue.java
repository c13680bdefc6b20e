package io.mcprouter.http;

import akka.Done;
import akka.NotUsed;
import akka.actor.Cancellable;
import akka.actor.typed.ActorSystem;
import akka.stream.Attributes;
import akka.stream.Outlet;
import akka.stream.SourceShape;
import akka.stream.javadsl.Source;
import akka.stream.stage.AbstractOutHandler;
import akka.stream.stage.AsyncCallback;
import akka.stream.stage.GraphStage;
import akka.stream.stage.GraphStageLogic;
import akka.stream.stage.TimerGraphStageLogic;
import akka.util.ByteString;
import io.mcprouter.http.connection.ClientConnection;
import io.mcprouter.session.OutputBudget;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A bounded hand-off of encoded SSE events from the actors to one HTTP response, running inside
 * that response's own stream. Events offered before Akka HTTP renders the response wait in the
 * queue.
 *
 * <p>Why not {@code Source.queue(..).preMaterialize}: that runs a second stream per connection,
 * with its own actor and interpreter, so every event crossed one more thread and every open
 * connection held one more stream in memory. Here an offer wakes the connection's own stream
 * directly. The keep-alive comment is written by this stage too, rather than by a {@code keepAlive}
 * stage after it: an idle SSE connection is mostly stage overhead, and there may be tens of
 * thousands of them.
 *
 * <p>What the queue holds is counted in an {@link OutputBudget.Account}. An event larger than
 * {@link #MAX_PUSH} leaves in copied slices of that size, so what has left the queue but not the
 * process (Akka HTTP's chunk rendering and TCP write, a few elements per connection) is bounded per
 * connection rather than by the event: a slice of a 70 MB event would keep all of it alive until
 * written, and the event stays counted here until its last slice has gone.
 */
public final class SseEventQueue {

  public enum Offered {
    ENQUEUED,
    /** A bound on events or bytes was reached: the reader is not keeping up. */
    FULL,
    /** The stream has ended (or is ending): nothing more is accepted. */
    CLOSED
  }

  /**
   * A response that Akka HTTP never renders (its client went away first) never starts this stream;
   * after this long the queue gives up on it so its session does not wait forever.
   */
  public static final Duration UNCLAIMED_TIMEOUT = Duration.ofSeconds(60);

  /** The most bytes pushed downstream at once. */
  public static final int MAX_PUSH = 64 * 1024;

  private final int maxEvents;
  private final long maxBytes;
  private final Duration keepAlive;
  private final ArrayDeque<ByteString> events = new ArrayDeque<>();
  private final CompletableFuture<Done> terminated = new CompletableFuture<>();
  private final Cancellable unclaimed;
  private final OutputBudget.Account account;
  // guarded by this
  private long queuedBytes;
  private AsyncCallback<Done> wakeUp;
  private AsyncCallback<Done> abortStage;
  private boolean claimed;
  private boolean waiting;
  private boolean completing;
  private boolean closed;
  private boolean aborted;

  /**
   * Bounded by {@code maxEvents} and {@code maxBytes} (the first event always fits, however large);
   * a keep-alive comment is written whenever nothing else was for {@code keepAlive}.
   */
  public SseEventQueue(
      ActorSystem<?> system,
      int maxEvents,
      long maxBytes,
      Duration keepAlive,
      OutputBudget.Account account) {
    this(system, maxEvents, maxBytes, keepAlive, account, UNCLAIMED_TIMEOUT);
  }

  SseEventQueue(
      ActorSystem<?> system,
      int maxEvents,
      long maxBytes,
      Duration keepAlive,
      OutputBudget.Account account,
      Duration unclaimedTimeout) {
    this.account = account;
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
    this.keepAlive = keepAlive;
    this.unclaimed =
        system
            .scheduler()
            .scheduleOnce(unclaimedTimeout, this::giveUpIfUnclaimed, system.executionContext());
  }

  /** The events, for the HTTP response entity; it can be run once. */
  public Source<ByteString, NotUsed> source() {
    return Source.fromGraph(new Stage());
  }

  public Offered offer(ByteString event) {
    AsyncCallback<Done> toWake;
    synchronized (this) {
      if (closed || completing) {
        return Offered.CLOSED;
      }
      if (!events.isEmpty()
          && (events.size() >= maxEvents || queuedBytes + event.size() > maxBytes)) {
        return Offered.FULL;
      }
      events.add(event);
      queuedBytes += event.size();
      account.add(event.size());
      if (!waiting) {
        return Offered.ENQUEUED;
      }
      waiting = false;
      toWake = wakeUp;
    }
    toWake.invoke(Done.getInstance());
    return Offered.ENQUEUED;
  }

  /**
   * Puts an event ahead of everything offered so far, outside the bounds: for the event a client
   * must see first, queued after the session is open (when the server may already have offered to
   * it) but before the response has started.
   */
  public void prepend(ByteString event) {
    synchronized (this) {
      if (claimed) {
        throw new IllegalStateException(
            "the stream has started: nothing can go ahead of what it wrote");
      }
      if (!closed) {
        events.addFirst(event);
        queuedBytes += event.size();
        account.add(event.size());
      }
    }
  }

  /** Ends the stream once what was already offered has been written. */
  public void complete() {
    AsyncCallback<Done> toWake;
    synchronized (this) {
      if (closed || completing) {
        return;
      }
      completing = true;
      if (!waiting) {
        return;
      }
      waiting = false;
      toWake = wakeUp;
    }
    toWake.invoke(Done.getInstance());
  }

  /**
   * Ends the stream at once when {@code connection} goes, what is queued included: there is nobody
   * to write it to. Covers a response Akka HTTP has not started yet, which would otherwise wait for
   * {@link #UNCLAIMED_TIMEOUT}.
   */
  public void endWhenClosed(ClientConnection connection) {
    ClientConnection.Registration registration = connection.onClose(this::abort);
    terminated.thenRun(registration::cancel);
  }

  /**
   * Ends the stream now, dropping what was not sent, and with it the connection (Akka HTTP closes a
   * connection whose response stream fails): for a client that is not reading, whose unsent bytes
   * are all it would otherwise keep holding, however long its connection stays open.
   */
  public void abort() {
    AsyncCallback<Done> toFail;
    synchronized (this) {
      if (closed) {
        return;
      }
      toFail = claimed ? abortStage : null;
      if (toFail != null) {
        events.clear();
        account.release(queuedBytes);
        queuedBytes = 0;
        completing = true; // nothing more is accepted while the stage fails
        aborted = true;
      }
    }
    if (toFail != null) {
      toFail.invoke(Done.getInstance());
    } else {
      close();
    }
  }

  /**
   * Completes when the stream has ended for any reason: completed, client gone, or never started.
   */
  public CompletionStage<Done> terminated() {
    return terminated;
  }

  /** Whether the one-shot that gives up on an unclaimed response is still due. */
  boolean awaitingClaim() {
    return !unclaimed.isCancelled();
  }

  private void giveUpIfUnclaimed() {
    synchronized (this) {
      if (claimed) {
        return;
      }
    }
    close();
  }

  private void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      events.clear();
      account.release(queuedBytes);
      queuedBytes = 0;
    }
    // ended before it was claimed (its client went first): the one-shot would hold the queue for
    // nothing
    unclaimed.cancel();
    // outside the lock: whoever waits on termination may take its own locks
    terminated.complete(Done.getInstance());
  }

  private static final String KEEP_ALIVE_TIMER = "keep-alive";

  /**
   * How an aborted stream fails, which makes Akka HTTP close its connection. Akka HTTP logs every
   * failed response stream as an error; this one is expected and already logged by its session, so
   * {@link io.mcprouter.http.ExpectedAbortLogFilter} drops that line. No stack trace: it is never a
   * bug.
   */
  public static final class Aborted extends RuntimeException {
    /** Akka HTTP's warning quotes it, with the request line (which may hold a path-form secret). */
    public static final String MESSAGE = "SSE stream aborted: its client was not reading";

    private Aborted() {
      super(MESSAGE, null, false, false);
    }
  }

  private static final Aborted ABORTED = new Aborted();

  private final class Stage extends GraphStage<SourceShape<ByteString>> {
    private final Outlet<ByteString> out = Outlet.create("SseEventQueue.out");
    private final SourceShape<ByteString> shape = SourceShape.of(out);

    @Override
    public SourceShape<ByteString> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
      return new TimerGraphStageLogic(shape) {
        private boolean owner;
        private long keepAliveDueNanos;
        // how much of the event at the head of the queue has been pushed (stage-local)
        private int sentOfHead;

        {
          setHandler(
              out,
              new AbstractOutHandler() {
                @Override
                public void onPull() {
                  deliver();
                }
              });
        }

        @Override
        public void preStart() {
          AsyncCallback<Done> callback =
              createAsyncCallback(
                  done -> {
                    if (isAvailable(out)) {
                      deliver();
                    }
                  });
          AsyncCallback<Done> abort = createAsyncCallback(done -> failStage(ABORTED));
          boolean alreadyClaimed;
          boolean gaveUp;
          synchronized (SseEventQueue.this) {
            alreadyClaimed = claimed;
            gaveUp = closed;
            if (!claimed) {
              claimed = true;
              wakeUp = callback;
              abortStage = abort;
            }
          }
          if (alreadyClaimed) {
            failStage(new IllegalStateException("an SSE event queue can be run only once"));
          } else if (gaveUp) {
            completeStage();
          } else {
            owner = true;
            unclaimed.cancel();
            keepAliveDueNanos = System.nanoTime() + keepAlive.toNanos();
            scheduleOnce(KEEP_ALIVE_TIMER, keepAlive);
          }
        }

        @Override
        public void onTimer(Object key) {
          long now = System.nanoTime();
          if (now - keepAliveDueNanos >= 0) {
            if (isAvailable(out)) {
              emit(SseEncoding.KEEP_ALIVE);
            } else {
              keepAliveDueNanos =
                  now + keepAlive.toNanos(); // the client is not reading: nothing to keep alive
            }
          }
          scheduleOnce(
              KEEP_ALIVE_TIMER, Duration.ofNanos(Math.max(keepAliveDueNanos - now, 1_000_000)));
        }

        @Override
        public void postStop() {
          if (owner) {
            close();
          }
        }

        private void emit(ByteString event) {
          keepAliveDueNanos = System.nanoTime() + keepAlive.toNanos();
          push(out, event);
        }

        private void deliver() {
          ByteString head;
          int from = sentOfHead;
          boolean end;
          boolean abort;
          synchronized (SseEventQueue.this) {
            abort = aborted;
            head = abort || closed ? null : events.peek();
            end = head == null && (completing || closed);
            if (head == null) {
              waiting = !end;
            } else if (head.size() - from <= MAX_PUSH) {
              events.poll();
              queuedBytes -= head.size();
              account.release(head.size());
            }
          }
          if (abort) {
            failStage(ABORTED);
          } else if (head == null) {
            if (end) {
              completeStage();
            }
          } else if (head.size() - from <= MAX_PUSH) {
            sentOfHead = 0;
            emit(from == 0 ? head : head.drop(from).compact());
          } else {
            // the copy is made outside the lock; the head cannot change under us (prepend is
            // refused
            // once the stream has started, and abort or close end the stream)
            sentOfHead = from + MAX_PUSH;
            emit(head.slice(from, from + MAX_PUSH).compact());
          }
        }
      };
    }
  }
}
