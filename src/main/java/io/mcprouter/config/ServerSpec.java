package io.mcprouter.config;

import java.util.Map;
import java.util.Optional;

/**
 * One configured MCP server.
 *
 * @param command a shell command line, run with {@code sh -c} so {@code npx -y ...} works
 * @param shareProcess one child serves every session of the key when true; one child per session when false
 * @param env added to the router's own environment for the child
 * @param cwd the child's working directory, or the router's when empty
 */
public record ServerSpec(
    String key,
    String command,
    boolean shareProcess,
    Map<String, String> env,
    Optional<String> cwd,
    Optional<String> description) {

  public ServerSpec {
    env = Map.copyOf(env);
  }

  public static ServerSpec ofCommand(String key, String command) {
    return new ServerSpec(key, command, true, Map.of(), Optional.empty(), Optional.empty());
  }
}
