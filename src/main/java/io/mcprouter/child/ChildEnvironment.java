package io.mcprouter.child;

import io.mcprouter.config.ServerSpec;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The environment a child starts with. A child is code the router does not trust with its own
 * secrets: the admin token and every other {@code MCPROUTER_*} variable stay out, and so does every
 * variable the operator's deny list names. With {@code inherit_env = false} the child sees only
 * what it needs to find programs and format text, plus its configured {@code env}, which always
 * wins.
 */
public final class ChildEnvironment {

  /** The router's own variables: the admin token among them. */
  static final String ROUTER_PREFIX = "MCPROUTER_";

  /**
   * Kept when a key does not inherit: enough for {@code sh}, {@code npx} and {@code uvx} to run.
   */
  private static final List<String> MINIMAL = List.of("PATH", "HOME", "LANG", "LANGUAGE", "LC_*");

  private final List<String> deny;

  /**
   * {@code deny}: variable names, or prefixes ending in {@code *} ({@code "AWS_*"});
   * case-insensitive.
   */
  public ChildEnvironment(List<String> deny) {
    this.deny = List.copyOf(deny);
  }

  /**
   * Rewrites {@code env} (a ProcessBuilder's, holding the router's environment) for {@code spec}'s
   * child.
   */
  public void apply(ServerSpec spec, Map<String, String> env) {
    env.keySet()
        .removeIf(
            name ->
                !spec.inheritEnv() && !matchesAny(name, MINIMAL)
                    || name.toUpperCase(Locale.ROOT).startsWith(ROUTER_PREFIX)
                    || matchesAny(name, deny));
    env.putAll(spec.env());
  }

  /** What {@link #apply} would give, for tests and for /admin. */
  public Map<String, String> of(ServerSpec spec, Map<String, String> routerEnv) {
    Map<String, String> env = new TreeMap<>(routerEnv);
    apply(spec, env);
    return env;
  }

  private static boolean matchesAny(String name, List<String> patterns) {
    String upper = name.toUpperCase(Locale.ROOT);
    for (String pattern : patterns) {
      String p = pattern.toUpperCase(Locale.ROOT);
      if (p.endsWith("*") ? upper.startsWith(p.substring(0, p.length() - 1)) : upper.equals(p)) {
        return true;
      }
    }
    return false;
  }
}
