package io.mcprouter.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What changes from one {@code .env.toml} to the next, key by key, and how each change is applied
 * (a reload). A key's <em>launch</em> settings shape its child or the routing built with it: a
 * change drains the key's running children (their sessions finish on them) and its next session
 * gets a child of the new spec. Its other settings are read by the running instance or the routes
 * and are updated in place. Listen addresses and {@code proxy_url} are bound once: they need a
 * restart.
 *
 * @param restarted key to the launch settings that changed
 * @param updated key to the settings updated in place
 * @param needsRestart one sentence per change that takes effect only after a restart
 */
public record ConfigDiff(
    List<String> added,
    List<String> removed,
    Map<String, List<String>> restarted,
    Map<String, List<String>> updated,
    List<String> unchanged,
    boolean accessKeysChanged,
    boolean adminTokenChanged,
    List<String> needsRestart) {

  private record Field(String name, Function<ServerSpec, Object> value) {}

  /**
   * interactive and roots are here though no process setting: a shared child's routing (the serial
   * queue, the roots answered to it) is built with its child, and the child may have cached the
   * roots it was given.
   */
  private static final List<Field> LAUNCH =
      List.of(
          new Field("command", ServerSpec::command),
          new Field("share_process", ServerSpec::shareProcess),
          new Field("env", ServerSpec::env),
          new Field("cwd", ServerSpec::cwd),
          new Field("inherit_env", ServerSpec::inheritEnv),
          new Field("protocol", ServerSpec::protocol),
          new Field("interactive", ServerSpec::interactive),
          new Field("roots", ServerSpec::roots));

  /** Read per request, per session opened or per listing, so a running instance takes them. */
  private static final List<Field> IN_PLACE =
      List.of(
          new Field("description", ServerSpec::description),
          new Field("request_timeout", ServerSpec::requestTimeout),
          new Field("idle_timeout", ServerSpec::idleTimeout),
          new Field("session_idle_timeout", ServerSpec::sessionIdleTimeout),
          new Field("detached_timeout", ServerSpec::detachedTimeout),
          new Field("expose_stderr", ServerSpec::exposeStderr),
          new Field("spare_children", ServerSpec::spareChildren));

  public ConfigDiff {
    added = List.copyOf(added);
    removed = List.copyOf(removed);
    restarted = copy(restarted);
    updated = copy(updated);
    unchanged = List.copyOf(unchanged);
    needsRestart = List.copyOf(needsRestart);
  }

  public static ConfigDiff between(RouterConfig old, RouterConfig next) {
    List<String> added = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    Map<String, List<String>> restarted = new LinkedHashMap<>();
    Map<String, List<String>> updated = new LinkedHashMap<>();
    List<String> unchanged = new ArrayList<>();
    for (String key : old.servers().keySet()) {
      if (!next.servers().containsKey(key)) {
        removed.add(key);
      }
    }
    for (ServerSpec spec : next.servers().values()) {
      ServerSpec before = old.servers().get(spec.key());
      if (before == null) {
        added.add(spec.key());
        continue;
      }
      List<String> launch = changed(LAUNCH, before, spec);
      List<String> inPlace = changed(IN_PLACE, before, spec);
      if (!launch.isEmpty()) {
        restarted.put(spec.key(), launch);
      }
      if (!inPlace.isEmpty()) {
        updated.put(spec.key(), inPlace);
      }
      if (launch.isEmpty() && inPlace.isEmpty()) {
        unchanged.add(spec.key());
      }
    }
    List<String> needsRestart = new ArrayList<>();
    if (!old.proxyServer().equals(next.proxyServer())) {
      needsRestart.add(moved("proxy_server", old.proxyServer(), next.proxyServer()));
    }
    if (!old.apiServer().equals(next.apiServer())) {
      needsRestart.add(moved("api_server", old.apiServer(), next.apiServer()));
    }
    if (!old.proxyUrl().equals(next.proxyUrl())) {
      needsRestart.add("api_server.proxy_url changed: it takes effect after a restart");
    }
    return new ConfigDiff(
        added,
        removed,
        restarted,
        updated,
        unchanged,
        !sameAccessKeys(old.accessKeys(), next.accessKeys()),
        !old.adminToken().equals(next.adminToken()),
        needsRestart);
  }

  public boolean isEmpty() {
    return added.isEmpty()
        && removed.isEmpty()
        && restarted.isEmpty()
        && updated.isEmpty()
        && !accessKeysChanged
        && !adminTokenChanged
        && needsRestart.isEmpty();
  }

  /** One line for the log: what was added, removed, restarted and updated, never a secret. */
  public String summary() {
    if (isEmpty()) {
      return "no change";
    }
    List<String> parts = new ArrayList<>();
    if (!added.isEmpty()) {
      parts.add("added " + added);
    }
    if (!removed.isEmpty()) {
      parts.add("removed " + removed);
    }
    restarted.forEach((key, fields) -> parts.add("restart " + key + " on next use " + fields));
    updated.forEach((key, fields) -> parts.add("updated " + key + " in place " + fields));
    if (accessKeysChanged) {
      parts.add("access keys replaced");
    }
    if (adminTokenChanged) {
      parts.add("admin token replaced");
    }
    parts.addAll(needsRestart);
    return String.join("; ", parts);
  }

  private static List<String> changed(List<Field> fields, ServerSpec before, ServerSpec after) {
    return fields.stream()
        .filter(f -> !Objects.equals(f.value().apply(before), f.value().apply(after)))
        .map(Field::name)
        .toList();
  }

  private static String moved(String table, RouterConfig.Listen from, RouterConfig.Listen to) {
    return "["
        + table
        + "] changed from "
        + from.host()
        + ":"
        + from.port()
        + " to "
        + to.host()
        + ":"
        + to.port()
        + ": the port is bound once, it takes effect after a restart";
  }

  /** AccessKey's equals is its name; a reload must also see a new secret or new rights. */
  private static boolean sameAccessKeys(List<AccessKey> a, List<AccessKey> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      AccessKey x = a.get(i);
      AccessKey y = b.get(i);
      if (!x.name().equals(y.name())
          || !x.matches(y.secretSha256())
          || !x.servers().equals(y.servers())
          || x.allServers() != y.allServers()
          || x.mayStop() != y.mayStop()) {
        return false;
      }
    }
    return true;
  }

  private static Map<String, List<String>> copy(Map<String, List<String>> map) {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    map.forEach((key, value) -> copy.put(key, List.copyOf(value)));
    return Collections.unmodifiableMap(copy);
  }
}
