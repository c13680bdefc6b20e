package io.mcprouter.child;

import java.util.ArrayDeque;
import java.util.List;

/** The last N stderr lines of one server: written by its stderr stream, read by its actor. */
public final class StderrTail {
  private final int capacity;
  private final ArrayDeque<String> lines;

  public StderrTail(int capacity) {
    this.capacity = Math.max(1, capacity);
    this.lines = new ArrayDeque<>(this.capacity);
  }

  public synchronized void add(String line) {
    if (lines.size() == capacity) {
      lines.removeFirst();
    }
    lines.addLast(line);
  }

  public synchronized List<String> last(int n) {
    return lines.stream().skip(Math.max(0, lines.size() - n)).toList();
  }
}
