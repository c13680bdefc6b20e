package io.mcprouter.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class OutputBudgetTest {

  private record Holder(String name, long held) {}

  private static List<String> victims(long total, long max, Holder... holders) {
    return OutputBudget.victims(List.of(holders), Holder::held, total, max).stream()
        .map(Holder::name)
        .toList();
  }

  @Test
  void underTheBudgetNobodyIsChosen() {
    assertEquals(List.of(), victims(100, 100, new Holder("a", 60), new Holder("b", 40)));
  }

  @Test
  void theLargestHoldersAreChosenFirstAndOnlyAsManyAsItTakesToGetBackUnder() {
    Holder[] holders = {
      new Holder("small", 5), new Holder("big", 50), new Holder("mid", 30), new Holder("mid2", 20)
    };
    assertEquals(List.of("big"), victims(105, 100, holders));
    assertEquals(List.of("big"), victims(105, 55, holders));
    assertEquals(List.of("big", "mid"), victims(105, 54, holders));
    assertEquals(List.of("big", "mid", "mid2", "small"), victims(105, 0, holders));
  }

  @Test
  void holdersOfNothingAreNeverChosenEvenWhenTheTotalStaysOver() {
    // bytes counted but not held by any candidate (a session already closing): nobody else pays for
    // them
    assertEquals(List.of("a"), victims(1000, 10, new Holder("a", 1), new Holder("empty", 0)));
  }

  @Test
  void passingTheBudgetClosesTheLargestAccountWithAReasonNamingItsBytesAndTheSetting() {
    Map<String, String> evicted = new ConcurrentHashMap<>();
    List<Runnable> pending = new ArrayList<>();
    OutputBudget budget =
        new OutputBudget(100, "mcprouter.output-budget.max-bytes = 100B", pending::add);
    OutputBudget.Account[] accounts = new OutputBudget.Account[3];
    for (int i = 0; i < 3; i++) {
      String name = "s" + i;
      int index = i;
      accounts[i] =
          budget.open(
              reason -> {
                evicted.put(name, reason);
                accounts[index].release(accounts[index].held()); // what an outbound's abort does
              });
    }
    accounts[0].add(30);
    accounts[1].add(60);
    accounts[2].add(10);
    assertEquals(List.of(), pending, "at the budget, not over it");
    accounts[2].add(5);
    assertEquals(1, pending.size(), "over: one reclaim is scheduled");
    accounts[0].add(1);
    assertEquals(1, pending.size(), "and only one while it is pending");

    pending.remove(0).run();

    assertEquals(Map.of("s1", evicted.get("s1")), evicted);
    String reason = evicted.get("s1");
    assertTrue(reason.contains("held 60 bytes"), reason);
    assertTrue(reason.contains("106 bytes held for all clients"), reason);
    assertTrue(reason.contains("mcprouter.output-budget.max-bytes = 100B"), reason);
    assertEquals(46, budget.heldBytes());

    accounts[0].add(100);
    pending.remove(0).run();
    assertTrue(
        evicted.containsKey("s0"), "the next reclaim closes the new largest: " + evicted.keySet());
    assertEquals(15, budget.heldBytes());
  }

  @Test
  void anAccountThatIsDoneLeavesTheBudgetOnceItHoldsNothing() {
    List<Runnable> pending = new ArrayList<>();
    List<String> evicted = new ArrayList<>();
    OutputBudget budget = new OutputBudget(10, "test", pending::add);
    OutputBudget.Account finished = budget.open(reason -> evicted.add("finished"));
    OutputBudget.Account live = budget.open(reason -> evicted.add("live"));
    finished.add(8);
    finished.done();
    finished.release(8);
    assertEquals(1, budget.accountCount());
    live.add(11);
    pending.remove(0).run();
    assertEquals(List.of("live"), evicted);
  }
}
