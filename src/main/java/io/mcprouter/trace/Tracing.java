package io.mcprouter.trace;

import io.mcprouter.observe.CallObserver;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The router's tracing: off unless the standard {@code OTEL_*} variables ask for a trace exporter
 * ({@link #configured}), then the OpenTelemetry SDK as its autoconfigure builds it. Off costs the
 * hot path nothing: no consumer of calls, no header is looked at ({@link TraceHeaders#OFF}).
 */
public final class Tracing {

  /** What the instrumentation calls itself in the spans it makes. */
  static final String SCOPE = "io.mcprouter";

  public static final Tracing OFF = new Tracing(null, null);

  private final CallObserver spans;
  private final OpenTelemetrySdk sdk;

  private Tracing(CallObserver spans, OpenTelemetrySdk sdk) {
    this.spans = spans;
    this.sdk = sdk;
  }

  /**
   * Tracing to {@code openTelemetry} (tests: an SDK with the in-memory exporter); not shut down.
   */
  public static Tracing to(OpenTelemetry openTelemetry) {
    return new Tracing(new McpSpans(openTelemetry.getTracer(SCOPE)), null);
  }

  /** From the process's environment variables and system properties. */
  public static Tracing fromEnvironment() {
    UnaryOperator<String> setting =
        name -> {
          String property = System.getProperty(name.toLowerCase(Locale.ROOT).replace('_', '.'));
          return property != null ? property : System.getenv(name);
        };
    if (!configured(setting)) {
      return OFF;
    }
    OpenTelemetrySdk sdk;
    try {
      sdk =
          AutoConfiguredOpenTelemetrySdk.builder()
              // defaults under the operator's variables: the router's metrics are Prometheus, its
              // logs Logback, so only traces go to OpenTelemetry unless asked otherwise; OTLP over
              // HTTP, the one sender in the jar (the JDK's HttpClient: no gRPC sender is bundled)
              .addPropertiesSupplier(
                  () ->
                      Map.of(
                          "otel.service.name", "mcprouter",
                          "otel.metrics.exporter", "none",
                          "otel.logs.exporter", "none",
                          "otel.exporter.otlp.protocol", "http/protobuf"))
              .build()
              .getOpenTelemetrySdk();
    } catch (ConfigurationException e) {
      throw new IllegalArgumentException(
          "invalid OTEL_* tracing configuration: " + rootMessage(e), e);
    }
    return new Tracing(new McpSpans(sdk.getTracer(SCOPE)), sdk);
  }

  /**
   * On when the SDK is not disabled and a trace exporter is named (other than {@code none}) or an
   * OTLP endpoint is given (the exporter is then OTLP, the SDK's default).
   */
  static boolean configured(UnaryOperator<String> setting) {
    if ("true".equalsIgnoreCase(trimmed(setting.apply("OTEL_SDK_DISABLED")))) {
      return false;
    }
    String exporter = trimmed(setting.apply("OTEL_TRACES_EXPORTER"));
    if (exporter != null) {
      return !"none".equalsIgnoreCase(exporter);
    }
    return trimmed(setting.apply("OTEL_EXPORTER_OTLP_ENDPOINT")) != null
        || trimmed(setting.apply("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) != null;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage();
  }

  private static String trimmed(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }

  public boolean active() {
    return spans != null;
  }

  /** The consumer of calls that makes the spans; null when off (nothing is registered). */
  public CallObserver observer() {
    return spans;
  }

  /** What the routes use to carry a request's trace headers to its instance. */
  public TraceHeaders headers() {
    return spans == null ? TraceHeaders.OFF : TraceHeaders.ON;
  }

  /** Exports what is buffered and stops the SDK it built (the router's stop waits for it). */
  public CompletionStage<Void> shutdown() {
    if (sdk == null) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    sdk.shutdown().whenComplete(() -> done.complete(null));
    return done.orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null);
  }
}
