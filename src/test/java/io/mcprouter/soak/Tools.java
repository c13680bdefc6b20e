package io.mcprouter.soak;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;

/**
 * The tool calls a session makes, drawn at random from FakeMcpServer's tools, each with the answer
 * it must get. Kinds can be excluded ({@code -Dsoak.ops=-call-hang}); crashes happen only on the
 * keys where they disturb no one else ({@code crashy}, and {@code solo} whose child is the
 * session's own).
 */
final class Tools {

  /** Operation names for -Dsoak.ops, with their weights. */
  static final List<String> KINDS =
      List.of(
          "call-echo",
          "call-sleep",
          "call-progress",
          "call-big",
          "call-garbage",
          "call-hang",
          "call-crash",
          "call-spawn",
          "call-flood");

  private static final int[] WEIGHTS = {30, 12, 10, 6, 6, 8, 3, 3, 2};

  private final Invariants inv;
  private final Predicate<String> enabled;

  Tools(Invariants inv, Predicate<String> enabled) {
    this.inv = inv;
    this.enabled = enabled;
  }

  ObjectNode pick(Random rnd, McpSession s, String key) {
    List<String> kinds = new ArrayList<>();
    List<Integer> weights = new ArrayList<>();
    int total = 0;
    for (int i = 0; i < KINDS.size(); i++) {
      String kind = KINDS.get(i);
      boolean ownChild = SoakRouter.SOLO.equals(key);
      boolean fits =
          switch (kind) {
            case "call-crash" -> ownChild || SoakRouter.CRASHY.equals(key);
            case "call-spawn", "call-flood" ->
                ownChild; // a grandchild or a broadcast flood on a shared child would reach others
            default -> true;
          };
      if (fits && enabled.test(kind)) {
        kinds.add(kind);
        weights.add(WEIGHTS[i]);
        total += WEIGHTS[i];
      }
    }
    String kind = "call-echo";
    int r = total == 0 ? 0 : rnd.nextInt(total);
    for (int i = 0; i < kinds.size(); i++) {
      if ((r -= weights.get(i)) < 0) {
        kind = kinds.get(i);
        break;
      }
    }
    inv.operation(kind);
    inv.log(s.worker, s.tag + " " + kind);
    ObjectNode args = McpSession.JSON.createObjectNode();
    switch (kind) {
      case "call-sleep" -> {
        String text = s.text();
        args.put("ms", 20 + rnd.nextInt(1000)).put("text", text);
        return s.toolCall("sleep", args, text, 0, false);
      }
      case "call-progress" -> {
        args.put("steps", 1 + rnd.nextInt(4)).put("ms", 10 + rnd.nextInt(50));
        return s.toolCall("progress", args, "done " + args.get("steps").asInt(), 0, true);
      }
      case "call-big" -> {
        int bytes = 1000 + rnd.nextInt(rnd.nextBoolean() ? 50_000 : 2_000_000);
        args.put("bytes", bytes);
        return s.toolCall("big", args, null, bytes, false);
      }
      case "call-garbage" -> {
        return s.toolCall("garbage", args, "after garbage", 0, false);
      }
      case "call-hang" -> {
        return s.toolCall("hang", args, null, 0, false);
      }
      case "call-crash" -> {
        if (SoakRouter.SOLO.equals(key)) {
          s.crashedOnPurpose();
        } else {
          inv.disrupt(key);
          inv.disruptionEnds(key, 12_000); // restart backoff and a crash-loop bar follow
        }
        args.put("code", 3);
        return s.toolCall("crash", args, null, 0, false);
      }
      case "call-spawn" -> {
        return s.toolCall("spawn_child", args, null, 0, false);
      }
      case "call-flood" -> {
        args.put("count", 50).put("size", 200);
        return s.toolCall("flood", args, "flooded 50", 0, false);
      }
      default -> {
        String text = s.text();
        args.put("text", text);
        return s.toolCall("echo", args, text, 0, false);
      }
    }
  }
}
