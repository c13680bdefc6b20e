package io.mcprouter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.NodeScript;
import io.mcprouter.testsupport.TestRouter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The trade-off of {@code interactive} for 2026-07-28 clients (issue 15): n concurrent calls of
 * server-everything's {@code trigger-sampling-request} from one SDK v2 client (it answers each
 * input request at once and retries), on a serialized and an attributed shared key and on a
 * per-session key with and without spares; prints a markdown table of wall time and calls that
 * succeeded (on an attributed key, concurrent asks are refused).
 *
 * <pre>bench/interactive.sh [calls-per-client (3)]</pre>
 */
public final class InteractiveModes {

  public static void main(String[] args) throws Exception {
    String perClient = args.length > 0 ? args[0] : "3";
    String command = NodeScript.IT.resolve("node_modules/.bin/mcp-server-everything").toString();
    try (TestRouter router =
        TestRouter.start(
            TestRouter.servers(
                spec("serialize", command, true, ServerSpec.Interactive.SERIALIZE),
                spec("attribute", command, true, ServerSpec.Interactive.ATTRIBUTE),
                spec("per-session", command, false, ServerSpec.Interactive.ATTRIBUTE),
                spec("per-session-8-spares", command, false, ServerSpec.Interactive.ATTRIBUTE)
                    .withSpareChildren(8)))) {
      System.out.println("| key | concurrent calls | wall time ms | calls that succeeded |");
      System.out.println("|---|---:|---:|---:|");
      for (String key : List.of("serialize", "attribute", "per-session", "per-session-8-spares")) {
        String url = "http://127.0.0.1:" + router.proxyPort() + "/mcp/" + key;
        for (int n : new int[] {2, 4, 8}) {
          JsonNode result =
              NodeScript.start(
                      "modern-input-client.mjs", url, "bench", String.valueOf(n), perClient)
                  .result();
          JsonNode sampling = result.path("clients").path(0).path("sampling");
          System.out.printf(
              "| %s | %d | %s | %d / %d |%n",
              key,
              n,
              result.path("wallMs").asText(),
              sampling.path("ok").asInt(),
              sampling.path("calls").asInt());
        }
      }
    }
  }

  private static ServerSpec spec(
      String key, String command, boolean shared, ServerSpec.Interactive interactive) {
    return new ServerSpec(key, command, shared, Map.of(), Optional.empty(), Optional.empty())
        .withIsolation(interactive, List.of(), false);
  }
}
