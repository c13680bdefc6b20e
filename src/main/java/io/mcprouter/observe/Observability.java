package io.mcprouter.observe;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The router's observation, one per router (tests run several in one JVM, each with its own
 * registry): the Prometheus registry and the MCP metrics, the call log and the access log, and the
 * consumers every instance's {@link InstanceObservation} hands its calls to. Consumers are fixed
 * when the first instance is made: {@link #addObserver} (a tracer) comes before that.
 */
public final class Observability {

  /** What the observation is configured with ({@code mcprouter.metrics.*}, {@code access-log}). */
  public record Settings(boolean metricsEnabled, int maxToolsPerKey, int accessLogPerSecond) {}

  private final Settings settings;
  private final PrometheusRegistry registry;
  private final McpMetrics metrics;
  private final CallLog callLog;
  private final AccessLog accessLog;
  private final List<CallObserver> extra = new ArrayList<>();
  private final Map<String, KeyObservation> keys = new ConcurrentHashMap<>();
  private volatile CallObserver observer;

  private Observability(Settings settings, CallLog callLog) {
    this.settings = settings;
    this.registry = settings.metricsEnabled() ? new PrometheusRegistry() : null;
    this.metrics = registry == null ? null : new McpMetrics(registry);
    if (registry != null) {
      JvmMetrics.builder().register(registry);
      metrics.stdinQueued(this::stdinQueued);
    }
    this.callLog = callLog;
    this.accessLog = AccessLog.of(settings.accessLogPerSecond());
  }

  public static Observability create(Settings settings) {
    return new Observability(settings, CallLog.ifEnabled());
  }

  /** Nothing observed (unit tests of the parts, which need no registry). */
  public static Observability off() {
    return new Observability(new Settings(false, 0, 1), null);
  }

  /** A consumer of every call (a tracer); before the first instance is made. */
  public synchronized void addObserver(CallObserver consumer) {
    extra.add(consumer);
    observer = null;
  }

  /** The router's metrics, or null when {@code mcprouter.metrics.enabled = false}. */
  public McpMetrics metrics() {
    return metrics;
  }

  public AccessLog accessLog() {
    return accessLog;
  }

  public boolean metricsEnabled() {
    return registry != null;
  }

  /**
   * The registry, to add what is read at scrape time (sessions open); null when metrics are off.
   */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** The hook of a new server instance of {@code key}. */
  public InstanceObservation forInstance(String key, boolean logPayloads, LongSupplier clock) {
    CallObserver consumers = consumers();
    if (consumers == null) {
      return InstanceObservation.OFF;
    }
    KeyObservation keyObservation =
        keys.computeIfAbsent(
            key, k -> new KeyObservation(k, logPayloads, settings.maxToolsPerKey(), metrics));
    return new InstanceObservation(keyObservation, consumers, callLog != null, clock);
  }

  private Map<String, Integer> stdinQueued() {
    Map<String, Integer> queued = new TreeMap<>();
    keys.forEach((key, observation) -> queued.put(key, observation.stdinQueued()));
    return queued;
  }

  private synchronized CallObserver consumers() {
    if (observer == null) {
      List<CallObserver> all = new ArrayList<>(extra);
      if (metrics != null) {
        all.add(new CallMetrics(metrics));
      }
      if (callLog != null) {
        all.add(callLog);
      }
      observer = CallObservers.of(all);
    }
    return observer;
  }

  public String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  /** The Prometheus text exposition of everything registered, read now. */
  public byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
