package io.mcprouter.observe;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The router's metric families, named after the OpenTelemetry semantic conventions for MCP where
 * one exists ({@code mcp.server.operation.duration} with {@code mcp.method.name}, {@code
 * gen_ai.tool.name}, {@code error.type}), in Prometheus form, and {@code mcprouter_*} for what is
 * the router's own. Every label value comes from the config (key, setting), from a fixed set
 * (method, transport, outcome, reason), or from the child's own tool list, capped per key ({@link
 * KeyObservation}): never a session id or an argument. Without exemplars: the client samples them
 * on every observation (a trace id would come from a span the router does not expose to it), and
 * its rate limit schedules a task on a thread of its own.
 */
public final class McpMetrics {

  /**
   * 100 µs .. 60 s: a ping to a local child is well under a millisecond, a tool may take minutes.
   */
  static final double[] DURATION_BUCKETS = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    30, 60
  };

  final Histogram operations;
  final Gauge inFlight;
  final Counter bytes;
  private final Counter sessionsOpened;
  private final Counter sessionsEnded;
  final Gauge childrenRunning;
  private final Counter childStarts;
  private final Counter childExits;
  private final Counter restarts;
  private final Counter crashLoops;
  private final Histogram initializeSeconds;
  private final Counter refusals;
  private final Counter httpResponses;

  private final PrometheusRegistry registry;

  McpMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    operations =
        Histogram.builder()
            .withoutExemplars()
            .name("mcp_server_operation_duration_seconds")
            .help(
                "MCP requests from routing to the child until the answer is routed back"
                    + " (mcp.server.operation.duration)")
            .labelNames(
                "key",
                "mcp_method_name",
                "gen_ai_tool_name",
                "transport",
                "era",
                "outcome",
                "error_type")
            .classicOnly()
            .classicUpperBounds(DURATION_BUCKETS)
            .register(registry);
    inFlight =
        Gauge.builder()
            .name("mcprouter_requests_in_flight")
            .help("Client requests routed to a child and not answered yet")
            .labelNames("key")
            .register(registry);
    bytes =
        Counter.builder()
            .withoutExemplars()
            .name("mcprouter_child_bytes_total")
            .help("Bytes of JSON-RPC lines between the router and its children")
            .labelNames("key", "direction")
            .register(registry);
    sessionsOpened =
        Counter.builder()
            .withoutExemplars()
            .name("mcprouter_sessions_opened_total")
            .help("Client sessions opened (a REST call and a 2026-07-28 request are one each)")
            .labelNames("key", "transport", "era")
            .register(registry);
    sessionsEnded =
        Counter.builder()
            .withoutExemplars()
            .name("mcprouter_sessions_ended_total")
            .help("Client sessions ended, by why")
            .labelNames("key", "transport", "era", "reason")
            .register(registry);
    childrenRunning =
        Gauge.builder()
            .name("mcprouter_children_running")
            .help("MCP server processes running")
            .labelNames("key")
            .register(registry);
    childStarts =
        Counter.builder()
            .withoutExemplars()
            .name("mcprouter_child_starts_total")
            .help("MCP server processes started")
            .labelNames("key")
            .register(registry);
    childExits =
        Counter.builder()
            .withoutExemplars()
            .name("mcprouter_child_exits_total")
            .help("MCP server processes that ended, by cause")
            .labelNames("key", "cause")
            .register(registry);
    restarts =
        Counter.builder()
            .withoutExemplars()
            .name("mcprouter_child_restarts_total")
            .help("Shared children started again after a crash")
            .labelNames("key")
            .register(registry);
    crashLoops =
        Counter.builder()
            .withoutExemplars()
            .name("mcprouter_crash_loops_total")
            .help("Times a key was barred for crash-looping (mcprouter.restart.*)")
            .labelNames("key")
            .register(registry);
    initializeSeconds =
        Histogram.builder()
            .withoutExemplars()
            .name("mcprouter_child_initialize_seconds")
            .help("From a child's launch until it answered its first initialize")
            .labelNames("key")
            .classicOnly()
            .classicUpperBounds(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
            .register(registry);
    refusals =
        Counter.builder()
            .withoutExemplars()
            .name("mcprouter_refusals_total")
            .help("Requests and sessions refused, by the setting or check that refused them")
            .labelNames("setting")
            .register(registry);
    httpResponses =
        Counter.builder()
            .withoutExemplars()
            .name("mcprouter_http_responses_total")
            .help("HTTP responses, by port and status class")
            .labelNames("port", "status_class")
            .register(registry);
  }

  /**
   * {@code mcprouter_sessions_open}, read at scrape time from {@code counts} (per key, per
   * transport), which must not block.
   */
  public void sessionsOpen(Supplier<Map<String, Map<CallTransport, Integer>>> counts) {
    GaugeWithCallback.builder()
        .name("mcprouter_sessions_open")
        .help("Client sessions open")
        .labelNames("key", "transport", "era")
        .callback(
            callback ->
                counts
                    .get()
                    .forEach(
                        (key, byTransport) ->
                            byTransport.forEach(
                                (transport, n) ->
                                    callback.call(n, key, transport.label(), transport.era()))))
        .register(registry);
  }

  /**
   * {@code mcprouter_child_stdin_queued_messages}, read at scrape time from {@code queued} (per
   * key), which must not block.
   */
  void stdinQueued(Supplier<Map<String, Integer>> queued) {
    GaugeWithCallback.builder()
        .name("mcprouter_child_stdin_queued_messages")
        .help(
            "Messages routed to a child and waiting for its stdin (bounded by"
                + " mcprouter.stdio.stdin-buffer-messages)")
        .labelNames("key")
        .callback(callback -> queued.get().forEach((key, n) -> callback.call(n, key)))
        .register(registry);
  }

  public void sessionOpened(String key, CallTransport transport) {
    sessionsOpened.labelValues(key, transport.label(), transport.era()).inc();
  }

  /** {@code reason}: one of {@link SessionEnd}'s labels. */
  public void sessionEnded(String key, CallTransport transport, SessionEnd reason) {
    sessionsEnded.labelValues(key, transport.label(), transport.era(), reason.label()).inc();
  }

  public void childStarted(String key) {
    childStarts.labelValues(key).inc();
    childrenRunning.labelValues(key).inc();
  }

  /** {@code cause}: {@code exited} (asked to stop), {@code crashed}, {@code launch_failed}... */
  public void childExited(String key, String cause, boolean wasRunning) {
    childExits.labelValues(key, cause).inc();
    if (wasRunning) {
      childrenRunning.labelValues(key).dec();
    }
  }

  public void restarted(String key) {
    restarts.labelValues(key).inc();
  }

  public void crashLoop(String key) {
    crashLoops.labelValues(key).inc();
  }

  public void initialized(String key, long nanos) {
    initializeSeconds.labelValues(key).observe(nanos / 1e9);
  }

  /**
   * {@code setting}: the setting's name ({@code limits.max-sessions}) or {@code origin}, {@code
   * auth}.
   */
  public void refused(String setting) {
    refusals.labelValues(setting).inc();
  }

  public void httpResponse(String port, int status) {
    httpResponses.labelValues(port, (status / 100) + "xx").inc();
  }
}
