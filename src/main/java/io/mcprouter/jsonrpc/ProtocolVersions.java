package io.mcprouter.jsonrpc;

import java.util.List;

/**
 * The MCP revisions the router speaks to clients, oldest first: the one list that the initialize
 * answers, the Streamable {@code MCP-Protocol-Version} check and the router's own initialize use.
 */
public final class ProtocolVersions {

  public static final List<String> SUPPORTED =
      List.of("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25");

  /**
   * What the router asks a child for: a client SHOULD offer the latest revision it supports
   * (lifecycle).
   */
  public static final String LATEST = SUPPORTED.get(SUPPORTED.size() - 1);

  private ProtocolVersions() {}

  public static boolean isSupported(String version) {
    return version != null && SUPPORTED.contains(version);
  }
}
