package io.mcprouter.trace;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The strict W3C format check, and when tracing is on. */
class W3cTraceContextTest {

  private static final String GOOD = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @Test
  void onlyVersion00sExactShapeIsTaken() {
    assertTrue(W3cTraceContext.validTraceparent(GOOD));
    assertFalse(W3cTraceContext.validTraceparent(null));
    assertFalse(W3cTraceContext.validTraceparent(GOOD.toUpperCase()));
    assertFalse(W3cTraceContext.validTraceparent(GOOD + "-x"));
    assertFalse(W3cTraceContext.validTraceparent("ff" + GOOD.substring(2)));
    assertFalse(
        W3cTraceContext.validTraceparent(
            GOOD.replace("4bf92f3577b34da6a3ce929d0e0e4736", "0".repeat(32))));
    assertFalse(W3cTraceContext.validTraceparent(GOOD.replace("00f067aa0ba902b7", "0".repeat(16))));
    assertFalse(W3cTraceContext.validTraceparent(GOOD.replace('-', '_')));
    assertFalse(W3cTraceContext.validTraceparent(GOOD.substring(0, 54) + "g"));
  }

  @Test
  void tracestateIsBoundedPrintableAscii() {
    assertTrue(W3cTraceContext.validTracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"));
    assertFalse(W3cTraceContext.validTracestate("a=b\nc=d"));
    assertFalse(W3cTraceContext.validTracestate("a=" + "x".repeat(600)));
    assertFalse(W3cTraceContext.validTracestate(""));
  }

  @Test
  void onOnlyWhenATraceExporterOrAnOtlpEndpointIsNamed() {
    assertFalse(Tracing.configured(Map.<String, String>of()::get));
    assertFalse(Tracing.configured(Map.of("OTEL_TRACES_EXPORTER", "none")::get));
    assertFalse(
        Tracing.configured(
            Map.of("OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")
                ::get));
    assertFalse(
        Tracing.configured(
            Map.of("OTEL_SDK_DISABLED", "true", "OTEL_TRACES_EXPORTER", "otlp")::get));
    assertTrue(Tracing.configured(Map.of("OTEL_TRACES_EXPORTER", "otlp")::get));
    assertTrue(Tracing.configured(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")::get));
    assertTrue(
        Tracing.configured(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318")::get));
  }
}
