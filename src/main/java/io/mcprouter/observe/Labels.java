package io.mcprouter.observe;

import java.util.Set;

/** Label values a client or child chooses are folded into a fixed set or cut short. */
final class Labels {

  static final String OTHER = "other";

  /** MCP's methods (2025-11-25 and 2026-07-28): any other method a client sends counts as other. */
  private static final Set<String> METHODS =
      Set.of(
          "initialize",
          "ping",
          "tools/list",
          "tools/call",
          "prompts/list",
          "prompts/get",
          "resources/list",
          "resources/read",
          "resources/templates/list",
          "resources/subscribe",
          "resources/unsubscribe",
          "completion/complete",
          "logging/setLevel",
          "tasks/get",
          "tasks/list",
          "tasks/result",
          "tasks/cancel",
          "server/discover",
          "subscriptions/listen");

  private Labels() {}

  static String method(String method) {
    return METHODS.contains(method) ? method : OTHER;
  }

  static String bounded(String value, int max) {
    if (value == null) {
      return "";
    }
    return value.length() <= max ? value : value.substring(0, max);
  }
}
