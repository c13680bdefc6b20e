package io.mcprouter.session;

import akka.actor.typed.ActorSystem;
import io.mcprouter.config.RouterSettings;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * The router-wide bound on output written for clients but not yet sent to them. Each session's
 * per-session bound alone lets enough slow readers together fill the heap; this one is what they
 * share. When the total passes it, the sessions holding the most are closed until the rest fit
 * again.
 *
 * <p>The hot path (an offer from a server actor, a write by the connection's stream) costs two
 * atomic adds: the total and the session's own figure. Choosing whom to close reads every account,
 * so it runs only when the total is over, once at a time, on {@code executor} rather than on the
 * thread that offered (which may hold its queue's lock, and should not do the closing of other
 * sessions).
 */
public final class OutputBudget {

  private final long maxBytes;
  private final String setting;
  private final Executor executor;
  private final AtomicLong total = new AtomicLong();
  private final Set<Account> accounts = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean reclaiming = new AtomicBoolean();

  /** The budget of one router, choosing its victims on the actor system's dispatcher. */
  public static OutputBudget of(RouterSettings settings, ActorSystem<?> system) {
    return new OutputBudget(
        settings.outputBudget().maxBytes(),
        settings.outputBudget().description(),
        system.executionContext());
  }

  /** {@code setting} names the setting and its value for the log line of a session closed by it. */
  public OutputBudget(long maxBytes, String setting, Executor executor) {
    this.maxBytes = maxBytes;
    this.setting = setting;
    this.executor = executor;
  }

  public long maxBytes() {
    return maxBytes;
  }

  /** Bytes held now by every session together. */
  public long heldBytes() {
    return total.get();
  }

  int accountCount() {
    return accounts.size();
  }

  /**
   * A new session's account; {@code evict} ends the session at once, dropping what it holds, with
   * the reason given.
   */
  public Account open(Consumer<String> evict) {
    Account account = new Account(evict);
    accounts.add(account);
    return account;
  }

  /** What one session holds: every queue of bytes it has for its client adds and releases here. */
  public final class Account {
    private final AtomicLong held = new AtomicLong();
    private final Consumer<String> evict;
    private volatile boolean done;
    private volatile boolean evicted;

    private Account(Consumer<String> evict) {
      this.evict = evict;
    }

    public void add(long bytes) {
      held.addAndGet(bytes);
      if (total.addAndGet(bytes) > maxBytes) {
        requestReclaim();
      }
    }

    public void release(long bytes) {
      if (held.addAndGet(-bytes) == 0 && done) {
        accounts.remove(this);
      }
      total.addAndGet(-bytes);
    }

    public long held() {
      return held.get();
    }

    /** Nothing more will be added; the account leaves the budget when what it holds is released. */
    public void done() {
      done = true;
      if (held.get() == 0) {
        accounts.remove(this);
      }
    }
  }

  private record Holding(Account account, long held) {}

  private void requestReclaim() {
    if (reclaiming.compareAndSet(false, true)) {
      executor.execute(this::reclaim);
    }
  }

  private void reclaim() {
    try {
      // a snapshot: the figures move while we sort
      List<Holding> candidates = new ArrayList<>();
      for (Account account : accounts) {
        long held = account.held();
        if (!account.evicted && held > 0) {
          candidates.add(new Holding(account, held));
        }
      }
      long now = total.get();
      for (Holding victim : victims(candidates, Holding::held, now, maxBytes)) {
        victim.account().evicted = true;
        victim
            .account()
            .evict
            .accept(
                "output budget reached: the session held "
                    + victim.held()
                    + " bytes of unsent output, among the most of "
                    + now
                    + " bytes held for all clients ("
                    + setting
                    + ")");
      }
    } finally {
      reclaiming.set(false);
    }
  }

  /**
   * The holders to close so that the rest fit in {@code maxBytes}: the largest first, as few as
   * that takes. Closing the largest frees the most for the fewest clients cut off, and a client
   * that stopped reading is the one whose bytes pile up. Those holding nothing are never chosen.
   */
  public static <T> List<T> victims(
      List<T> holders, ToLongFunction<T> held, long totalBytes, long maxBytes) {
    List<T> byHeld = new ArrayList<>(holders);
    byHeld.sort(Comparator.comparingLong(held).reversed());
    List<T> chosen = new ArrayList<>();
    long remaining = totalBytes;
    for (T holder : byHeld) {
      long bytes = held.applyAsLong(holder);
      if (remaining <= maxBytes || bytes <= 0) {
        break;
      }
      chosen.add(holder);
      remaining -= bytes;
    }
    return chosen;
  }
}
