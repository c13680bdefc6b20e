package io.mcprouter.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One configured MCP server.
 *
 * @param command a shell command line, run with {@code sh -c} so {@code npx -y ...} works
 * @param shareProcess one child serves every session of the key when true; one child per session
 *     when false
 * @param env added to the router's own environment for the child
 * @param cwd the child's working directory, or the router's when empty
 * @param requestTimeout overrides {@code mcprouter.server-defaults.request-timeout} for this key
 * @param idleTimeout overrides {@code mcprouter.server-defaults.idle-timeout} for this key (zero:
 *     never)
 * @param sessionIdleTimeout overrides {@code mcprouter.streamable.session-idle-timeout} for this
 *     key
 * @param detachedTimeout overrides {@code mcprouter.streamable.detached-timeout} for this key
 * @param interactive how a shared child's server-to-client requests (sampling, elicitation) find
 *     their session
 * @param roots what a shared child gets when it asks {@code roots/list}: file URIs (clients' own
 *     roots never reach a shared child, since they would become every user's)
 * @param exposeStderr the child's last stderr lines go into the errors clients get (its diagnostics
 *     may carry other users' data); operators see them in the log either way
 * @param inheritEnv the child gets the router's environment (minus {@code MCPROUTER_*} and the deny
 *     list) when true; only {@code PATH}, {@code HOME} and the locale when false; {@code env} on
 *     top either way
 * @param spareChildren for a per-session key: children kept started ahead of their sessions, so a
 *     new session does not wait for one to start
 * @param protocol which MCP era the child speaks: found out at its start, or set
 * @param logPayloads the call log may write this key's arguments and results (they may hold its
 *     users' secrets: off unless the operator sets it)
 */
public record ServerSpec(
    String key,
    String command,
    boolean shareProcess,
    Map<String, String> env,
    Optional<String> cwd,
    Optional<String> description,
    Optional<Duration> requestTimeout,
    Optional<Duration> idleTimeout,
    Optional<Duration> sessionIdleTimeout,
    Optional<Duration> detachedTimeout,
    Interactive interactive,
    List<String> roots,
    boolean exposeStderr,
    boolean inheritEnv,
    int spareChildren,
    ChildProtocol protocol,
    boolean logPayloads) {

  /**
   * AUTO: the child is asked {@code server/discover} when it starts; a 2025-era child answers with
   * an error (or not at all) and is initialized as before. LEGACY: never asked. MODERN: it must
   * answer discover.
   */
  public enum ChildProtocol {
    AUTO,
    LEGACY,
    MODERN
  }

  /**
   * ATTRIBUTE: a server-to-client request is delivered only when exactly one session has requests
   * in flight at the child, else refused to the child. SERIALIZE: one client request at a time
   * reaches the child (the others wait in order), so the attribution is always exact.
   */
  public enum Interactive {
    ATTRIBUTE,
    SERIALIZE
  }

  public ServerSpec {
    env = Map.copyOf(env);
    roots = List.copyOf(roots);
  }

  public ServerSpec(
      String key,
      String command,
      boolean shareProcess,
      Map<String, String> env,
      Optional<String> cwd,
      Optional<String> description,
      Optional<Duration> requestTimeout,
      Optional<Duration> idleTimeout,
      Optional<Duration> sessionIdleTimeout,
      Optional<Duration> detachedTimeout,
      Interactive interactive,
      List<String> roots,
      boolean exposeStderr,
      boolean inheritEnv,
      int spareChildren,
      ChildProtocol protocol) {
    this(
        key,
        command,
        shareProcess,
        env,
        cwd,
        description,
        requestTimeout,
        idleTimeout,
        sessionIdleTimeout,
        detachedTimeout,
        interactive,
        roots,
        exposeStderr,
        inheritEnv,
        spareChildren,
        protocol,
        false);
  }

  public ServerSpec(
      String key,
      String command,
      boolean shareProcess,
      Map<String, String> env,
      Optional<String> cwd,
      Optional<String> description,
      Optional<Duration> requestTimeout,
      Optional<Duration> idleTimeout,
      Optional<Duration> sessionIdleTimeout,
      Optional<Duration> detachedTimeout,
      Interactive interactive,
      List<String> roots,
      boolean exposeStderr,
      boolean inheritEnv) {
    this(
        key,
        command,
        shareProcess,
        env,
        cwd,
        description,
        requestTimeout,
        idleTimeout,
        sessionIdleTimeout,
        detachedTimeout,
        interactive,
        roots,
        exposeStderr,
        inheritEnv,
        0,
        ChildProtocol.AUTO);
  }

  public ServerSpec(
      String key,
      String command,
      boolean shareProcess,
      Map<String, String> env,
      Optional<String> cwd,
      Optional<String> description,
      Optional<Duration> requestTimeout,
      Optional<Duration> idleTimeout,
      Optional<Duration> sessionIdleTimeout,
      Optional<Duration> detachedTimeout) {
    this(
        key,
        command,
        shareProcess,
        env,
        cwd,
        description,
        requestTimeout,
        idleTimeout,
        sessionIdleTimeout,
        detachedTimeout,
        Interactive.ATTRIBUTE,
        List.of(),
        false,
        true);
  }

  public ServerSpec(
      String key,
      String command,
      boolean shareProcess,
      Map<String, String> env,
      Optional<String> cwd,
      Optional<String> description,
      Optional<Duration> requestTimeout,
      Optional<Duration> idleTimeout) {
    this(
        key,
        command,
        shareProcess,
        env,
        cwd,
        description,
        requestTimeout,
        idleTimeout,
        Optional.empty(),
        Optional.empty());
  }

  public ServerSpec(
      String key,
      String command,
      boolean shareProcess,
      Map<String, String> env,
      Optional<String> cwd,
      Optional<String> description) {
    this(key, command, shareProcess, env, cwd, description, Optional.empty(), Optional.empty());
  }

  /** The same server, multiplexed: how a per-session key serves REST calls from one child. */
  public ServerSpec withSharedProcess() {
    return new ServerSpec(
        key,
        command,
        true,
        env,
        cwd,
        description,
        requestTimeout,
        idleTimeout,
        sessionIdleTimeout,
        detachedTimeout,
        interactive,
        roots,
        exposeStderr,
        inheritEnv,
        0,
        protocol,
        logPayloads);
  }

  /** The same server with these isolation settings (tests and the loader). */
  public ServerSpec withIsolation(
      Interactive interactive, List<String> roots, boolean exposeStderr) {
    return new ServerSpec(
        key,
        command,
        shareProcess,
        env,
        cwd,
        description,
        requestTimeout,
        idleTimeout,
        sessionIdleTimeout,
        detachedTimeout,
        interactive,
        roots,
        exposeStderr,
        inheritEnv,
        spareChildren,
        protocol,
        logPayloads);
  }

  /** The same server with its environment inherited or not (the loader). */
  public ServerSpec withInheritEnv(boolean inherit) {
    return new ServerSpec(
        key,
        command,
        shareProcess,
        env,
        cwd,
        description,
        requestTimeout,
        idleTimeout,
        sessionIdleTimeout,
        detachedTimeout,
        interactive,
        roots,
        exposeStderr,
        inherit,
        spareChildren,
        protocol,
        logPayloads);
  }

  /** The same server with this many spare children (the loader; a shared key has none). */
  public ServerSpec withSpareChildren(int spares) {
    return new ServerSpec(
        key,
        command,
        shareProcess,
        env,
        cwd,
        description,
        requestTimeout,
        idleTimeout,
        sessionIdleTimeout,
        detachedTimeout,
        interactive,
        roots,
        exposeStderr,
        inheritEnv,
        spares,
        protocol,
        logPayloads);
  }

  /** The same server with its era set (the loader). */
  public ServerSpec withProtocol(ChildProtocol era) {
    return new ServerSpec(
        key,
        command,
        shareProcess,
        env,
        cwd,
        description,
        requestTimeout,
        idleTimeout,
        sessionIdleTimeout,
        detachedTimeout,
        interactive,
        roots,
        exposeStderr,
        inheritEnv,
        spareChildren,
        era,
        logPayloads);
  }

  /** The same server with its call-log payloads on or off (the loader). */
  public ServerSpec withLogPayloads(boolean log) {
    return new ServerSpec(
        key,
        command,
        shareProcess,
        env,
        cwd,
        description,
        requestTimeout,
        idleTimeout,
        sessionIdleTimeout,
        detachedTimeout,
        interactive,
        roots,
        exposeStderr,
        inheritEnv,
        spareChildren,
        protocol,
        log);
  }

  /**
   * This server with {@code next}'s settings that a running instance takes in place (see {@link
   * ConfigDiff}); what it was started with (command, sharing, era, spares) stays.
   */
  public ServerSpec withSettingsOf(ServerSpec next) {
    return new ServerSpec(
        key,
        command,
        shareProcess,
        env,
        cwd,
        next.description,
        next.requestTimeout,
        next.idleTimeout,
        next.sessionIdleTimeout,
        next.detachedTimeout,
        interactive,
        roots,
        next.exposeStderr,
        inheritEnv,
        spareChildren,
        protocol);
  }

  public static ServerSpec ofCommand(String key, String command) {
    return new ServerSpec(key, command, true, Map.of(), Optional.empty(), Optional.empty());
  }
}
