package io.mcprouter.child;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One pass over /proc (Linux): parent, process group and state of every process, and which of them
 * carry an environment marker. One pass answers the group, the marked and the descendants together,
 * where {@code ProcessHandle.descendants()} would read /proc again for every root.
 */
public final class ProcTable {

  static final boolean AVAILABLE = Files.isDirectory(Path.of("/proc/self"));

  private record Entry(long ppid, long pgrp, char state) {}

  private final Map<Long, Entry> entries = new HashMap<>();
  private final Map<Long, List<Long>> children = new HashMap<>();
  private final List<Long> marked = new ArrayList<>();

  private ProcTable() {}

  /**
   * Reads /proc; {@code marker} (an environment entry) may be null when nobody asks for marked
   * processes.
   */
  static ProcTable scan(byte[] marker) {
    ProcTable table = new ProcTable();
    try (Stream<Path> dirs = Files.list(Path.of("/proc"))) {
      dirs.forEach(dir -> table.read(dir, marker));
    } catch (IOException | RuntimeException e) {
      // /proc changes under our feet; what vanished needs no signal
    }
    return table;
  }

  private void read(Path dir, byte[] marker) {
    String name = dir.getFileName().toString();
    if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
      return;
    }
    try {
      long pid = Long.parseLong(name);
      String stat = Files.readString(dir.resolve("stat"));
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse from the
      // last ')'
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 4);
      Entry entry =
          new Entry(Long.parseLong(fields[1]), Long.parseLong(fields[2]), fields[0].charAt(0));
      entries.put(pid, entry);
      children.computeIfAbsent(entry.ppid(), p -> new ArrayList<>()).add(pid);
      // a zombie's environ reads empty, and another user's is unreadable: neither can be ours to
      // kill
      if (marker != null
          && entry.state() != 'Z'
          && ChildMarkers.holds(Files.readAllBytes(dir.resolve("environ")), marker)) {
        marked.add(pid);
      }
    } catch (IOException | RuntimeException e) {
      // gone between listing and reading, or not readable
    }
  }

  List<Long> marked() {
    return marked;
  }

  List<Long> groupMembers(long pgid) {
    List<Long> members = new ArrayList<>();
    entries.forEach(
        (pid, entry) -> {
          if (entry.pgrp() == pgid) {
            members.add(pid);
          }
        });
    return members;
  }

  /** Alive and not a zombie: a zombie runs nothing and needs its parent, not a signal. */
  boolean running(long pid) {
    Entry entry = entries.get(pid);
    return entry != null && entry.state() != 'Z' && entry.state() != 'X';
  }

  Set<Long> withDescendants(Collection<Long> roots) {
    Set<Long> all = new LinkedHashSet<>();
    Deque<Long> pending = new ArrayDeque<>(roots);
    while (!pending.isEmpty()) {
      long pid = pending.pop();
      if (all.add(pid)) {
        pending.addAll(children.getOrDefault(pid, List.of()));
      }
    }
    return all;
  }
}
