package io.mcprouter.routing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The roots of a shared child come from the key's configuration, never from a client: a server such
 * as server-filesystem replaces its allowed directories with the roots it is given, for every user
 * of the child at once. So the router answers the child's {@code roots/list} itself, tells the
 * child about the roots capability only when roots are configured (without it, server-filesystem
 * keeps the directories on its command line), and keeps clients' {@code
 * notifications/roots/list_changed} away.
 */
public final class SharedRoots {

  private final List<String> uris;

  SharedRoots(List<String> uris) {
    this.uris = List.copyOf(uris);
  }

  /**
   * The client capabilities the child is told: sampling and elicitation (routed), roots (answered
   * here).
   */
  void advertise(ObjectNode capabilities) {
    capabilities.remove("roots");
    if (!uris.isEmpty()) {
      // no hot reload of .env.toml: the configured list never changes while the child runs
      capabilities.putObject("roots").put("listChanged", false);
    }
    for (String capability : List.of("sampling", "elicitation")) {
      if (!capabilities.has(capability)) {
        capabilities.putObject(capability);
      }
    }
  }

  /** The key configures roots: they are the child's, whoever asks. */
  boolean configured() {
    return !uris.isEmpty();
  }

  /** The result of {@code roots/list}: the configured roots (none by default). */
  ObjectNode listResult() {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    ArrayNode roots = result.putArray("roots");
    uris.forEach(uri -> roots.addObject().put("uri", uri));
    return result;
  }
}
