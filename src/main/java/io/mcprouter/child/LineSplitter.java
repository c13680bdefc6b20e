package io.mcprouter.child;

import akka.util.ByteString;
import akka.util.ByteStringBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a byte stream into newline-terminated lines (a trailing CR is dropped), bounded in memory.
 *
 * <p>Unlike Akka's {@code Framing.delimiter}, an over-long line does not fail the stream: it is
 * skipped up to its newline and reported as {@link Oversized} with its first and last bytes, so the
 * request it answered can still be identified and the server's next lines are read normally. Not
 * thread-safe: one instance per stream.
 */
public final class LineSplitter {

  /** How much of an over-long line's head and tail is kept to find its JSON-RPC id. */
  static final int KEPT_EDGE_BYTES = 512;

  public sealed interface Line permits Complete, Oversized {}

  public record Complete(ByteString bytes) implements Line {}

  public record Oversized(long length, ByteString head, ByteString tail) implements Line {}

  private final int maxLineBytes;
  private ByteString pending = ByteString.emptyByteString();
  private boolean skipping;
  private long skippedLength;
  private ByteString skippedHead = ByteString.emptyByteString();
  private ByteString skippedTail = ByteString.emptyByteString();

  public LineSplitter(int maxLineBytes) {
    this.maxLineBytes = maxLineBytes;
  }

  public List<Line> feed(ByteString chunk) {
    List<Line> out = new ArrayList<>(2);
    int start = 0;
    while (start < chunk.size()) {
      int newline = chunk.indexOf((byte) '\n', start);
      int end = newline < 0 ? chunk.size() : newline;
      ByteString piece = chunk.slice(start, end);
      if (skipping) {
        skip(piece);
      } else if (pending.size() + piece.size() > maxLineBytes) {
        startSkipping(pending.concat(piece));
        pending = ByteString.emptyByteString();
      } else {
        pending = pending.isEmpty() ? piece.compact() : pending.concat(piece);
      }
      if (newline < 0) {
        break;
      }
      emit(out);
      start = newline + 1;
    }
    return out;
  }

  /** Whatever remains when the stream ends: a last line without a newline still counts. */
  public List<Line> finish() {
    List<Line> out = new ArrayList<>(1);
    if (skipping || !pending.isEmpty()) {
      emit(out);
    }
    return out;
  }

  private void emit(List<Line> out) {
    if (skipping) {
      out.add(new Oversized(skippedLength, skippedHead, skippedTail));
      skipping = false;
      skippedLength = 0;
      skippedHead = ByteString.emptyByteString();
      skippedTail = ByteString.emptyByteString();
    } else {
      ByteString line = pending;
      pending = ByteString.emptyByteString();
      if (!line.isEmpty() && line.apply(line.size() - 1) == '\r') {
        line = line.take(line.size() - 1);
      }
      if (!line.isEmpty()) {
        out.add(new Complete(line));
      }
    }
  }

  private void startSkipping(ByteString soFar) {
    skipping = true;
    skippedLength = 0;
    skippedHead = soFar.take(KEPT_EDGE_BYTES).compact();
    skippedTail = ByteString.emptyByteString();
    skip(soFar);
  }

  private void skip(ByteString piece) {
    skippedLength += piece.size();
    ByteStringBuilder tail = new ByteStringBuilder();
    tail.append(skippedTail).append(piece.takeRight(KEPT_EDGE_BYTES));
    ByteString joined = tail.result();
    skippedTail = joined.takeRight(KEPT_EDGE_BYTES).compact();
  }
}
