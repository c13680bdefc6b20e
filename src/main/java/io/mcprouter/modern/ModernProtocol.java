package io.mcprouter.modern;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The names MCP 2026-07-28 (the stateless era) gives to what the router reads and writes, kept in
 * one place: the versions served, the per-request {@code _meta} keys, the headers, and which
 * methods exist in the era.
 */
public final class ModernProtocol {

  /** The stateless revisions the router serves, oldest first. */
  public static final List<String> VERSIONS = List.of("2026-07-28");

  public static final String PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
  public static final String CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
  public static final String CLIENT_INFO = "io.modelcontextprotocol/clientInfo";
  public static final String LOG_LEVEL = "io.modelcontextprotocol/logLevel";
  public static final String SERVER_INFO = "io.modelcontextprotocol/serverInfo";
  public static final String SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

  /** In an initialize result the router made from a 2026-07-28 child's discover. */
  public static final String CHILD_ERA = "io.mcprouter/childProtocolVersion";

  /**
   * In the {@code initialize} the router makes for a 2026-07-28 request: what the request itself
   * declared of sampling, elicitation and roots (the initialize declares sampling and elicitation
   * whatever it did). A shared child's routing reads it, and removes it, to know whether the
   * session can be asked anything ({@code interactive = "serialize"}) and whether it answers roots.
   */
  public static final String DECLARED = "io.mcprouter/declared";

  public static final String METHOD_HEADER = "Mcp-Method";
  public static final String NAME_HEADER = "Mcp-Name";

  public static final String DISCOVER = "server/discover";
  public static final String LISTEN = "subscriptions/listen";

  /** What a 2025-era child serves and a modern client may ask of it, forwarded as they are. */
  public static final Set<String> FORWARDED =
      Set.of(
          "tools/list",
          "tools/call",
          "resources/list",
          "resources/templates/list",
          "resources/read",
          "prompts/list",
          "prompts/get",
          "completion/complete");

  /** Results a modern client may cache: they carry {@code ttlMs} and {@code cacheScope}. */
  public static final Set<String> CACHEABLE =
      Set.of(
          DISCOVER,
          "tools/list",
          "prompts/list",
          "resources/list",
          "resources/templates/list",
          "resources/read");

  /** The request whose params name what {@code Mcp-Name} must mirror, and which member. */
  private static final Map<String, String> NAMED_BY =
      Map.of("tools/call", "name", "prompts/get", "name", "resources/read", "uri");

  /** The client capability a child's request to its client needs. */
  private static final Map<String, String> NEEDS_CAPABILITY =
      Map.of(
          "sampling/createMessage", "sampling",
          "elicitation/create", "elicitation",
          "roots/list", "roots");

  /** RFC 5424 severities as MCP names them, least severe first. */
  private static final List<String> LOG_LEVELS =
      List.of("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency");

  private ModernProtocol() {}

  public static boolean isVersion(String version) {
    return version != null && VERSIONS.contains(version);
  }

  /** The member of {@code params} that {@code Mcp-Name} mirrors for this method, if any. */
  public static Optional<String> nameMember(String method) {
    return Optional.ofNullable(NAMED_BY.get(method));
  }

  /** The client capability a server-to-client request needs, if it needs one. */
  public static Optional<String> neededCapability(String method) {
    return Optional.ofNullable(NEEDS_CAPABILITY.get(method));
  }

  /** The rank of a log level (higher is more severe), or -1 for a name MCP does not define. */
  public static int logLevelRank(String level) {
    return level == null ? -1 : LOG_LEVELS.indexOf(level);
  }
}
