package io.mcprouter.config;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * One configured MCP server.
 *
 * @param command a shell command line, run with {@code sh -c} so {@code npx -y ...} works
 * @param shareProcess one child serves every session of the key when true; one child per session when false
 * @param env added to the router's own environment for the child
 * @param cwd the child's working directory, or the router's when empty
 * @param requestTimeout overrides {@code mcprouter.server-defaults.request-timeout} for this key
 * @param idleTimeout overrides {@code mcprouter.server-defaults.idle-timeout} for this key (zero: never)
 */
public record ServerSpec(
    String key,
    String command,
    boolean shareProcess,
    Map<String, String> env,
    Optional<String> cwd,
    Optional<String> description,
    Optional<Duration> requestTimeout,
    Optional<Duration> idleTimeout) {

  public ServerSpec {
    env = Map.copyOf(env);
  }

  public ServerSpec(String key, String command, boolean shareProcess, Map<String, String> env,
      Optional<String> cwd, Optional<String> description) {
    this(key, command, shareProcess, env, cwd, description, Optional.empty(), Optional.empty());
  }

  /** The same server, multiplexed: how a per-session key serves REST calls from one child. */
  public ServerSpec shared() {
    return new ServerSpec(key, command, true, env, cwd, description, requestTimeout, idleTimeout);
  }

  public static ServerSpec ofCommand(String key, String command) {
    return new ServerSpec(key, command, true, Map.of(), Optional.empty(), Optional.empty());
  }
}
