package io.mcprouter.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Router tuning from the {@code mcprouter} block of {@code application.conf}; see README "Configuration".
 */
public record RouterSettings(
    Duration askTimeout,
    String blockingDispatcher,
    int maxLineBytes,
    int stdinBufferMessages,
    int stderrTailLines,
    Duration exitDrain,
    int sessionBufferMessages,
    long sessionBufferBytes,
    Duration sseKeepAlive,
    long maxBodyBytes,
    Duration drainTimeout,
    Duration gracePeriod,
    Duration killPeriod,
    Duration shutdownTimeout,
    Duration callTimeout,
    Duration streamableIdleTimeout,
    java.util.List<String> allowedOrigins,
    java.util.List<String> allowedHosts,
    Duration requestTimeout,
    Duration idleTimeout,
    Duration initializeTimeout,
    Duration checkInterval,
    Limits limits,
    Restart restart) {

  /** Restarting a crashed shared child: exponential backoff, and a crash loop ends the retries. */
  public record Restart(Duration minBackoff, Duration maxBackoff, double randomFactor, int maxCrashes, Duration window) {}

  /** Past a limit the client gets 503 and a JSON-RPC error naming the setting. */
  public record Limits(int maxSessionsPerKey, int maxSessions, int maxChildren, int maxInFlightPerSession) {}

  public static RouterSettings fromConfig(Config root) {
    Config c = root.getConfig("mcprouter");
    return new RouterSettings(
        c.getDuration("ask-timeout"),
        "mcprouter.blocking-dispatcher",
        (int) Math.min(Integer.MAX_VALUE - 1, c.getBytes("stdio.max-line-bytes")),
        c.getInt("stdio.stdin-buffer-messages"),
        c.getInt("stdio.stderr-tail-lines"),
        c.getDuration("stdio.exit-drain"),
        c.getInt("session.buffer-messages"),
        c.getBytes("session.buffer-bytes"),
        c.getDuration("sse.keep-alive"),
        c.getBytes("http.max-body-bytes"),
        c.getDuration("stop.drain-timeout"),
        c.getDuration("stop.grace-period"),
        c.getDuration("stop.kill-period"),
        c.getDuration("stop.shutdown-timeout"),
        c.getDuration("api.call-timeout"),
        c.getDuration("streamable.session-idle-timeout"),
        c.getStringList("http.allowed-origins"),
        c.getStringList("http.allowed-hosts"),
        c.getDuration("server-defaults.request-timeout"),
        c.getDuration("server-defaults.idle-timeout"),
        c.getDuration("server-defaults.initialize-timeout"),
        c.getDuration("server-defaults.check-interval"),
        new Limits(c.getInt("limits.max-sessions-per-key"), c.getInt("limits.max-sessions"),
            c.getInt("limits.max-children"), c.getInt("limits.max-in-flight-per-session")),
        new Restart(c.getDuration("restart.min-backoff"), c.getDuration("restart.max-backoff"),
            c.getDouble("restart.random-factor"), c.getInt("restart.max-crashes"), c.getDuration("restart.crash-window")));
  }
}
