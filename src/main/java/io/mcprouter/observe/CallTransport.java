package io.mcprouter.observe;

/**
 * How a session reached the router: its {@code transport} label (the HTTP binding) and {@code era}
 * (sessionful 2025 MCP, or a 2026-07-28 request that is its own session).
 */
public enum CallTransport {
  SSE("sse", "2025"),
  STREAMABLE("streamable_http", "2025"),
  /** A REST call on {@code /v1}: a session of its own, opened and closed by the call. */
  REST("rest", "2025"),
  /** One MCP 2026-07-28 request on {@code /mcp/{key}}, stateless. */
  MODERN("streamable_http", "2026-07-28");

  private final String label;
  private final String era;

  CallTransport(String label, String era) {
    this.label = label;
    this.era = era;
  }

  public String label() {
    return label;
  }

  public String era() {
    return era;
  }

  /**
   * Whether its client sends {@code initialize} itself; for a REST call and a 2026-07-28 request
   * the router does, and that is not a client's request to observe.
   */
  public boolean clientInitializes() {
    return this == SSE || this == STREAMABLE;
  }
}
