package io.mcprouter.routing;

/**
 * Hands the package-private routing implementations to the JMH benchmarks in {@code
 * io.mcprouter.bench.jmh}, so that benchmarking needs no visibility change in the main code.
 */
public final class RoutingForBenchmarks {

  private RoutingForBenchmarks() {}

  /** The {@code share_process = true} routing: request ids rewritten to router ids and back. */
  public static SessionRouting multiplexer() {
    return new Multiplexer();
  }

  /**
   * The {@code share_process = false} routing: messages pass unchanged, in-flight ids are tracked.
   */
  public static SessionRouting passthrough() {
    return new Passthrough();
  }
}
