package io.mcprouter.config;

import com.typesafe.config.Config;
import io.mcprouter.jsonrpc.JsonLimits;
import java.time.Duration;
import java.util.List;

/**
 * Router tuning from the {@code mcprouter} block of {@code application.conf}; see README
 * "Configuration".
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
    Duration streamableDetachedTimeout,
    Duration handshakeTimeout,
    List<String> allowedOrigins,
    List<String> allowedHosts,
    Duration requestTimeout,
    Duration idleTimeout,
    Duration initializeTimeout,
    Duration checkInterval,
    Limits limits,
    Restart restart,
    JsonLimits json,
    Connections connections,
    OutputBudget outputBudget,
    List<String> childEnvDeny,
    Reload reload,
    Observe observe,
    Duration healthTimeout) {

  /**
   * Hot reload of {@code .env.toml}: {@code watch} the file (a change is applied once no further
   * change came for {@code debounce}, so an editor's several writes are one reload).
   */
  public record Reload(boolean watch, Duration debounce) {}

  /**
   * {@code GET /metrics} and the access log: {@code metricsEnabled} serves and keeps the metrics;
   * {@code metricsRequireAdmin} protects them as {@code /admin} is (loopback or the admin token);
   * {@code maxToolsPerKey} caps the tool names that become label values; {@code accessLogPerSecond}
   * bounds the refusal lines per reason.
   */
  public record Observe(
      boolean metricsEnabled,
      boolean metricsRequireAdmin,
      int maxToolsPerKey,
      int accessLogPerSecond) {}

  /**
   * Client connections: a head not completed in {@code headerReadTimeout}, or no request for {@code
   * idleTimeout} (never while a request or stream is open), closes the connection; the open-file
   * limit minus {@code fdReserve} and the children's pipes bounds how many are accepted.
   */
  public record Connections(
      Duration headerReadTimeout, Duration idleTimeout, int fdReserve, int maxConnections) {}

  /**
   * The router-wide bound on bytes written for clients and not yet sent; {@code description} names
   * the setting and its value, for the log line of a session it closes.
   */
  public record OutputBudget(long maxBytes, String description) {}

  /** Restarting a crashed shared child: exponential backoff, and a crash loop ends the retries. */
  public record Restart(
      Duration minBackoff,
      Duration maxBackoff,
      double randomFactor,
      int maxCrashes,
      Duration window) {}

  /** Past a limit the client gets 503 and a JSON-RPC error naming the setting. */
  public record Limits(
      int maxSessionsPerKey,
      int maxSessions,
      int maxChildren,
      int maxInFlightPerSession,
      int maxStartingChildrenPerKey) {}

  /**
   * How long stopping one key's children may take: drain, SIGTERM grace, SIGKILL, and a few seconds
   * for the exit to be seen. Whatever has not reported by then is left out of the stop report.
   */
  public Duration stopBound() {
    return drainTimeout.plus(gracePeriod).plus(killPeriod).plusSeconds(5);
  }

  /**
   * Reads and checks every setting; a missing, mistyped or out-of-range one is a ConfigException
   * naming it.
   */
  public static RouterSettings fromConfig(Config root) {
    SettingsReader c = new SettingsReader(root, "mcprouter.");
    // read where they are used (the 2026-07-28 routes); checked here, with every other setting
    c.positiveDuration("mrtr.park-timeout");
    c.secret("mrtr.secret", 16);
    SettingsReader.SizeSetting budget =
        c.sizeOrHeapShare("output-budget.max-bytes", Runtime.getRuntime().maxMemory());
    return new RouterSettings(
        c.positiveDuration("ask-timeout"),
        "mcprouter.blocking-dispatcher",
        (int) Math.min(Integer.MAX_VALUE - 1, c.positiveBytes("stdio.max-line-bytes")),
        c.positiveInt("stdio.stdin-buffer-messages"),
        c.nonNegativeInt("stdio.stderr-tail-lines"),
        c.nonNegativeDuration("stdio.exit-drain"),
        c.positiveInt("session.buffer-messages"),
        // one session alone never holds more than all of them may
        Math.min(c.positiveBytes("session.buffer-bytes"), budget.bytes()),
        c.positiveDuration("sse.keep-alive"),
        c.positiveBytes("http.max-body-bytes"),
        c.nonNegativeDuration("stop.drain-timeout"),
        c.nonNegativeDuration("stop.grace-period"),
        c.nonNegativeDuration("stop.kill-period"),
        c.positiveDuration("stop.shutdown-timeout"),
        c.positiveDuration("api.call-timeout"),
        c.positiveDuration("streamable.session-idle-timeout"),
        c.positiveDuration("streamable.detached-timeout"),
        c.positiveDuration("session.handshake-timeout"),
        c.stringList("http.allowed-origins"),
        c.stringList("http.allowed-hosts"),
        c.positiveDuration("server-defaults.request-timeout"),
        c.nonNegativeDuration("server-defaults.idle-timeout"),
        c.positiveDuration("server-defaults.initialize-timeout"),
        c.positiveDuration("server-defaults.check-interval"),
        new Limits(
            c.positiveInt("limits.max-sessions-per-key"),
            c.positiveInt("limits.max-sessions"),
            c.positiveInt("limits.max-children"),
            c.positiveInt("limits.max-in-flight-per-session"),
            c.positiveInt("limits.max-starting-children-per-key")),
        new Restart(
            c.nonNegativeDuration("restart.min-backoff"),
            c.nonNegativeDuration("restart.max-backoff"),
            c.fraction("restart.random-factor"),
            c.positiveInt("restart.max-crashes"),
            c.positiveDuration("restart.crash-window")),
        new JsonLimits(
            c.positiveInt("json.max-nesting-depth"),
            c.positiveInt("json.max-number-length"),
            (int) Math.min(Integer.MAX_VALUE, c.positiveBytes("json.max-string-length"))),
        new Connections(
            c.positiveDuration("http.header-read-timeout"),
            c.positiveDuration("http.idle-timeout"),
            c.nonNegativeInt("http.fd-reserve"),
            new SettingsReader(root, "akka.http.server.").positiveInt("max-connections")),
        new OutputBudget(budget.bytes(), budget.description()),
        c.stringList("child-env.deny"),
        new Reload(c.bool("reload.watch"), c.positiveDuration("reload.debounce")),
        new Observe(
            c.bool("metrics.enabled"),
            c.bool("metrics.require-admin"),
            c.positiveInt("metrics.max-tools-per-key"),
            c.positiveInt("access-log.lines-per-second")),
        c.positiveDuration("health.timeout"));
  }
}
