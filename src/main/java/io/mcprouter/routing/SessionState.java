package io.mcprouter.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.mcprouter.observe.CallSite;

/**
 * What a shared child's routing knows of one client session: what its client said at initialize.
 */
final class SessionState {
  /** What its requests are observed with; null when nothing observes. */
  final CallSite site;

  SessionState() {
    this(null);
  }

  SessionState(CallSite site) {
    this.site = site;
  }

  /** As the client declared them: what the router may forward to it (sampling, elicitation). */
  JsonNode capabilities = JsonNodeFactory.instance.objectNode();

  /** The revision the client asked for: it gets that one back when the router speaks it. */
  String requestedVersion;

  /**
   * It can be asked something (it declared sampling, elicitation or roots): with {@code interactive
   * = "serialize"} its requests never share the child with another's.
   */
  boolean interactive;

  /**
   * A 2026-07-28 request that declared roots: a {@code roots/list} its own call caused is its to
   * answer when the key configures no roots.
   */
  boolean answersRoots;

  /** Its initialize was answered with success: it gets the child's broadcast notifications. */
  boolean initialized;
}
