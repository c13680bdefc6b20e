package io.mcprouter.http.connection;

import akka.Done;
import akka.http.javadsl.model.AttributeKey;
import akka.http.javadsl.model.HttpRequest;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One accepted TCP connection, as the routes and the connection limits see it. Every request
 * carries it as the attribute {@link #KEY}, so a route can end what the request started (an SSE
 * stream) the moment the peer's FIN or RST arrives: Akka HTTP itself notices a vanished client only
 * when a write to it fails (akka-http #1977), which for an idle SSE stream is the next keep-alive,
 * seconds later.
 *
 * <p>Touched from the connection's stream, the request handler, response streams and the sweeper,
 * so its state is atomic or guarded by this.
 */
public final class ClientConnection {

  public static final AttributeKey<ClientConnection> KEY =
      AttributeKey.create("mcprouter-connection", ClientConnection.class);

  /**
   * A registration made with {@link #onClose}; cancel it when what it would end has ended anyway.
   */
  public interface Registration {
    void cancel();
  }

  private final InetSocketAddress remote;
  private final long openedNanos = System.nanoTime();
  private final CompletableFuture<Done> closed = new CompletableFuture<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  // guarded by this
  private List<Runnable> onClose = new ArrayList<>(2);
  private Consumer<String> closer;
  private String pendingClose;
  private volatile long idleSinceNanos = openedNanos;
  private volatile long partialSinceNanos;
  private volatile boolean hadRequest;
  private volatile boolean rejected;

  ClientConnection(InetSocketAddress remote) {
    this.remote = remote;
  }

  public static Optional<ClientConnection> of(HttpRequest request) {
    return request.getAttribute(KEY);
  }

  public InetSocketAddress remoteAddress() {
    return remote;
  }

  /**
   * Completes when the connection is gone: the peer closed or reset it, or the router closed it.
   */
  public CompletionStage<Done> closed() {
    return closed;
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  /**
   * Runs {@code action} when the connection goes (at once if it has gone). Cancel the registration
   * when it is no longer needed: a keep-alive connection may carry any number of requests.
   */
  public Registration onClose(Runnable action) {
    synchronized (this) {
      if (onClose != null) {
        onClose.add(action);
        return () -> {
          synchronized (this) {
            if (onClose != null) {
              onClose.remove(action);
            }
          }
        };
      }
    }
    action.run();
    return () -> {};
  }

  /** The connection's stream is closing or has closed: run what waits for that, once. */
  void markClosed() {
    List<Runnable> actions;
    synchronized (this) {
      actions = onClose;
      onClose = null;
      closer = null;
    }
    if (actions != null) {
      closed.complete(Done.getInstance());
      actions.forEach(Runnable::run);
    }
  }

  /** Set by the connection's stream once it runs; a close asked for before that is applied then. */
  void bindCloser(Consumer<String> closer) {
    String pending;
    synchronized (this) {
      if (onClose == null) {
        return;
      }
      this.closer = closer;
      pending = pendingClose;
    }
    if (pending != null) {
      closer.accept(pending);
    }
  }

  /**
   * Closes the connection (both directions) from any thread; {@code reason} is logged by the
   * caller.
   */
  void close(String reason) {
    Consumer<String> target;
    synchronized (this) {
      if (onClose == null) {
        return;
      }
      target = closer;
      if (target == null) {
        pendingClose = reason;
      }
    }
    if (target != null) {
      target.accept(reason);
    }
  }

  // --- activity, for the header-read and idle timeouts ---

  void requestStarted() {
    hadRequest = true;
    partialSinceNanos = 0;
    inFlight.incrementAndGet();
  }

  void requestFinished() {
    if (inFlight.decrementAndGet() == 0) {
      idleSinceNanos = System.nanoTime();
    }
  }

  /** Bytes arrived: with no request in progress they are the start of the next request's head. */
  void bytesReceived() {
    if (partialSinceNanos == 0 && inFlight.get() == 0) {
      partialSinceNanos = System.nanoTime();
    }
  }

  boolean busy() {
    return inFlight.get() > 0;
  }

  long idleSinceNanos() {
    return idleSinceNanos;
  }

  /**
   * When the head now being read began to arrive, 0 when none is; a fresh connection counts from
   * its opening.
   */
  long headStartedNanos() {
    long partial = partialSinceNanos;
    return partial != 0 ? partial : hadRequest ? 0 : openedNanos;
  }

  void reject() {
    rejected = true;
  }

  /** Accepted beyond the connection limit: its requests get 503 and it is closed. */
  boolean rejected() {
    return rejected;
  }
}
