package io.mcprouter.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the router holds, read from outside: /admin/list-clients, /proc and jcmd. */
final class ResourceProbe {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
  private static final Pattern TAG = Pattern.compile("--tag' 'soak-([a-z]+)|--tag soak-([a-z]+)");

  /**
   * One reading. {@code processes} counts the router's descendants by the key tag on their command
   * line ({@code other} for anything untagged, e.g. a tool's grandchild); -1 means "could not
   * read".
   */
  record Snapshot(
      long atMs,
      int sessions,
      Map<String, Integer> sessionsByKey,
      Map<String, Integer> processes,
      List<String> untagged,
      long heapUsedKb,
      int fds,
      int threads,
      long rssKb) {

    int processCount() {
      return processes.values().stream().mapToInt(Integer::intValue).sum();
    }

    String line() {
      return String.format(
          "sessions=%d %s processes=%d %s heap-after-gc=%s fds=%d threads=%d rss=%dMiB",
          sessions,
          sessionsByKey,
          processCount(),
          processes,
          heapUsedKb < 0 ? "?" : (heapUsedKb / 1024) + "MiB",
          fds,
          threads,
          rssKb / 1024);
    }
  }

  private final SoakRouter router;

  ResourceProbe(SoakRouter router) {
    this.router = router;
  }

  Snapshot snapshot(boolean withHeap) {
    long pid = router.pid();
    Map<String, Integer> byKey = new TreeMap<>();
    int sessions = sessions(byKey);
    List<String> untagged = new ArrayList<>();
    Map<String, Integer> processes = descendants(pid, untagged);
    return new Snapshot(
        System.currentTimeMillis(),
        sessions,
        byKey,
        processes,
        untagged,
        withHeap ? heapAfterGc(pid) : -1,
        fds(pid),
        status(pid, "Threads:"),
        status(pid, "VmRSS:"));
  }

  /** Sessions the router reports, -1 when it does not answer. */
  int sessions(Map<String, Integer> byKey) {
    try {
      RawHttp.Response r =
          RawHttp.json(router.proxyPort(), "GET", "/admin/list-clients", null, null, 10_000);
      if (r.status() != 200) {
        return -1;
      }
      JsonNode clients = JSON.readTree(r.body()).path("data").path("clients");
      for (JsonNode c : clients) {
        byKey.merge(c.path("server_key").asText(), 1, Integer::sum);
      }
      return clients.size();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * The sessions listed, as {@code key/8-char-prefix@opened_at}, to match them with the operation
   * log.
   */
  String clients() {
    try {
      RawHttp.Response r =
          RawHttp.json(router.proxyPort(), "GET", "/admin/list-clients", null, null, 10_000);
      List<String> out = new ArrayList<>();
      for (JsonNode c : JSON.readTree(r.body()).path("data").path("clients")) {
        String id = c.path("session_id").asText();
        out.add(
            c.path("server_key").asText()
                + "/"
                + id.substring(0, Math.min(8, id.length()))
                + "@"
                + c.path("opened_at").asText());
      }
      return out.toString();
    } catch (IOException | RuntimeException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /** The router's descendants, counted by key tag. */
  static Map<String, Integer> descendants(long root, List<String> untagged) {
    Map<Long, List<Long>> children = new HashMap<>();
    try (DirectoryStream<Path> procs =
        Files.newDirectoryStream(
            Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
      for (Path p : procs) {
        try {
          String stat = Files.readString(p.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          if (f[0].equals("Z")) {
            continue; // a zombie runs nothing and holds nothing but its pid
          }
          children
              .computeIfAbsent(Long.parseLong(f[1]), k -> new ArrayList<>())
              .add(Long.parseLong(p.getFileName().toString()));
        } catch (IOException | RuntimeException gone) {
          // the process ended while we looked
        }
      }
    } catch (IOException e) {
      return Map.of("unreadable", -1);
    }
    Map<String, Integer> counts = new TreeMap<>();
    ArrayDeque<Long> todo = new ArrayDeque<>(children.getOrDefault(root, List.of()));
    while (!todo.isEmpty()) {
      long pid = todo.removeFirst();
      todo.addAll(children.getOrDefault(pid, List.of()));
      String cmd = cmdline(pid);
      Matcher m = TAG.matcher(cmd);
      // the router's orphan watchdog (README "No process outlives the router") is its own, not a
      // child's
      String tag =
          m.find()
              ? (m.group(1) != null ? m.group(1) : m.group(2))
              : cmd.contains("mcprouter-watchdog") ? "watchdog" : "other";
      if (tag.equals("other")) {
        untagged.add(pid + " " + cmd.substring(0, Math.min(100, cmd.length())));
      }
      counts.merge(tag, 1, Integer::sum);
    }
    return counts;
  }

  private static String cmdline(long pid) {
    try {
      return new String(
              Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8)
          .replace('\0', ' ');
    } catch (IOException e) {
      return "?";
    }
  }

  static int fds(long pid) {
    try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return (int) list.count();
    } catch (IOException e) {
      return -1;
    }
  }

  /** A numeric field of /proc/pid/status (VmRSS is in kB). */
  static int status(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith(field)) {
          return Integer.parseInt(line.substring(field.length()).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return -1;
  }

  /**
   * Live heap after a full GC, from {@code jcmd <pid> GC.run} then {@code GC.heap_info}; -1 if jcmd
   * fails.
   */
  static long heapAfterGc(long pid) {
    try {
      jcmd(pid, "GC.run");
      Matcher m = HEAP_USED.matcher(jcmd(pid, "GC.heap_info"));
      return m.find() ? Long.parseLong(m.group(1)) : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid),
                command)
            .redirectErrorStream(true)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("jcmd " + command + " did not finish");
    }
    return new String(out, StandardCharsets.UTF_8);
  }
}
