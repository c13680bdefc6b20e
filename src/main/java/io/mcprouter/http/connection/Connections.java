package io.mcprouter.http.connection;

import akka.Done;
import akka.actor.Cancellable;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import io.mcprouter.config.RouterSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every open client connection of the process (all HTTP servers share one file-descriptor table),
 * the connection limit that keeps the router reachable, and the header-read and idle timeouts.
 *
 * <p>At the limit a new connection is still accepted: the oldest connection with no request in
 * progress and no open stream is closed to make room, so a flood of silent connections cannot lock
 * out a real client; only when every connection is busy is the new one answered 503 and closed.
 *
 * <p>The timeouts are enforced by one periodic sweep, which runs until {@link #close()} or the
 * actor system's coordinated shutdown has finished with its HTTP servers (the sweep must go on
 * while they drain, and is pointless after): without that it would outlive the servers for as long
 * as the system.
 */
public final class Connections {

  /**
   * The timeouts and the limit, from {@code mcprouter.http.*} and {@code
   * akka.http.server.max-connections}.
   */
  public record Settings(
      Duration headerReadTimeout,
      Duration idleTimeout,
      int maxConnections,
      int fdReserve,
      int maxChildren) {}

  private static final Logger log = LoggerFactory.getLogger(Connections.class);

  /** The pipes a running child holds in the router: stdin, stdout, stderr. */
  private static final int FDS_PER_CHILD = 3;

  private final Settings settings;
  private final int limit;
  private final String limitSource;
  private final Set<ClientConnection> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger count = new AtomicInteger();
  private final Cancellable sweeping;
  private final Cancellable stopAtShutdown;

  /** The connections of one router, bounded by its settings; both its HTTP servers share them. */
  public static Connections of(RouterSettings settings, ActorSystem<?> system) {
    return new Connections(
        new Settings(
            settings.connections().headerReadTimeout(),
            settings.connections().idleTimeout(),
            settings.connections().maxConnections(),
            settings.connections().fdReserve(),
            settings.limits().maxChildren()),
        system);
  }

  public Connections(Settings settings, ActorSystem<?> system) {
    this(settings, softOpenFileLimit(), system);
  }

  Connections(Settings settings, OptionalLong fdLimit, ActorSystem<?> system) {
    this.settings = settings;
    int reserve = settings.fdReserve() + FDS_PER_CHILD * settings.maxChildren();
    if (fdLimit.isPresent() && fdLimit.getAsLong() < (long) settings.maxConnections() + reserve) {
      // a small open-file limit still serves: half of it for connections, whatever the reserve asks
      long forConnections = Math.max(fdLimit.getAsLong() - reserve, fdLimit.getAsLong() / 2);
      limit = (int) Math.max(1, Math.min(settings.maxConnections(), forConnections));
      limitSource = "the open-file limit " + fdLimit.getAsLong();
      log.warn(
          "open-file limit (ulimit -n) {} is below akka.http.server.max-connections {} + {} reserved for the"
              + " router's own files and children's pipes (mcprouter.http.fd-reserve + 3 x mcprouter.limits.max-children):"
              + " at most {} client connections; raise ulimit -n for more",
          fdLimit.getAsLong(),
          settings.maxConnections(),
          reserve,
          limit);
    } else {
      limit = settings.maxConnections();
      limitSource = "akka.http.server.max-connections";
    }
    Duration shortest =
        settings.headerReadTimeout().compareTo(settings.idleTimeout()) < 0
            ? settings.headerReadTimeout()
            : settings.idleTimeout();
    Duration sweep = clamp(shortest.dividedBy(4), Duration.ofMillis(50), Duration.ofSeconds(1));
    sweeping =
        system
            .scheduler()
            .scheduleAtFixedRate(sweep, sweep, this::sweep, system.executionContext());
    // after the servers' requests are done (Akka HTTP terminates their connections in that phase)
    stopAtShutdown =
        CoordinatedShutdown.get(system)
            .addCancellableTask(
                CoordinatedShutdown.PhaseServiceStop(),
                "stop-connection-sweep",
                () -> {
                  sweeping.cancel();
                  return CompletableFuture.completedFuture(Done.getInstance());
                });
  }

  /**
   * Stops enforcing the timeouts: for an owner done with these connections before the system ends.
   */
  public void close() {
    sweeping.cancel();
    stopAtShutdown.cancel();
  }

  /** Whether the timeouts are still being enforced. */
  boolean sweeping() {
    return !sweeping.isCancelled();
  }

  /** The connections accepted at once at most. */
  public int limit() {
    return limit;
  }

  /**
   * Connections held by the accept stream at most: the limit plus those being closed to make room.
   */
  int acceptBound() {
    return limit + Math.max(16, limit / 8);
  }

  ClientConnection opened(InetSocketAddress remote) {
    ClientConnection connection = new ClientConnection(remote);
    if (count.incrementAndGet() > limit && !evictOne()) {
      log.warn(
          "connection limit reached: {} open ({}), every one busy; refusing a connection with 503",
          limit,
          limitSource);
      connection.reject();
    }
    open.add(connection);
    return connection;
  }

  void closed(ClientConnection connection) {
    if (open.remove(connection)) {
      count.decrementAndGet();
    }
  }

  /** What a refused request is told: the limit and the setting behind it. */
  /** For the client: what limits it is in the warning logged with each refusal, not here. */
  String refusal() {
    return "too many connections: the router accepts at most " + limit;
  }

  /**
   * Closes the connection idle the longest (or never used); false when every connection is busy.
   */
  private boolean evictOne() {
    ClientConnection oldest = null;
    for (ClientConnection c : open) {
      if (!c.busy()
          && !c.isClosed()
          && (oldest == null || c.idleSinceNanos() < oldest.idleSinceNanos())) {
        oldest = c;
      }
    }
    if (oldest == null) {
      return false;
    }
    log.debug(
        "connection from {} closed to make room (connection limit {})",
        oldest.remoteAddress(),
        limit);
    closed(oldest);
    oldest.close("connection limit");
    return true;
  }

  private void sweep() {
    long now = System.nanoTime();
    long headerLimit = settings.headerReadTimeout().toNanos();
    long idleLimit = settings.idleTimeout().toNanos();
    for (ClientConnection c : open) {
      if (c.busy() || c.isClosed()) {
        continue;
      }
      long headStarted = c.headStartedNanos();
      if (headStarted != 0 && now - headStarted > headerLimit) {
        log.debug(
            "connection from {} closed: no complete request head within {} (mcprouter.http.header-read-timeout)",
            c.remoteAddress(),
            settings.headerReadTimeout());
        c.close("header-read timeout");
      } else if (headStarted == 0 && now - c.idleSinceNanos() > idleLimit) {
        log.debug(
            "connection from {} closed: idle for {} (mcprouter.http.idle-timeout)",
            c.remoteAddress(),
            settings.idleTimeout());
        c.close("idle timeout");
      }
    }
  }

  /**
   * The soft "Max open files" of this process, when Linux says; empty when unknown or unlimited.
   */
  static OptionalLong softOpenFileLimit() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
          return fields[0].equals("unlimited")
              ? OptionalLong.empty()
              : OptionalLong.of(Long.parseLong(fields[0]));
        }
      }
    } catch (IOException | RuntimeException e) {
      log.debug("cannot read the open-file limit: {}", e.toString());
    }
    return OptionalLong.empty();
  }

  private static Duration clamp(Duration value, Duration min, Duration max) {
    return value.compareTo(min) < 0 ? min : value.compareTo(max) > 0 ? max : value;
  }
}
