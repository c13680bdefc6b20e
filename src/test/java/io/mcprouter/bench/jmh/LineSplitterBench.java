package io.mcprouter.bench.jmh;

import akka.util.ByteString;
import io.mcprouter.child.LineSplitter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Stdout framing. {@link LineSplitter} is the pure logic the stdout flow runs in a {@code
 * statefulMap} (see {@code StdioConnection.lines}), so it is benchmarked directly, without
 * materializing a stream. One op is one whole input, not one line:
 *
 * <ul>
 *   <li>{@code oneChunk}: 64 KiB holding many lines of about {@code lineBytes} (between half and
 *       one and a half times that, seeded), in one chunk;
 *   <li>{@code chunks8k}: the same bytes cut into 8 KiB chunks, as {@code
 *       StreamConverters.fromInputStream} reads a busy pipe, so lines straddle chunks;
 *   <li>{@code bigLine}: one 1 MiB line (a large tool result) in 8 KiB chunks;
 *   <li>{@code oversizedLine}: the same line over a 64 KiB limit, skipped and reported with its
 *       edges.
 * </ul>
 *
 * Divide by the line count (about 1000 for 64-byte lines, 16 for 4 KiB) for a per-line figure.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LineSplitterBench {

  private static final int STREAM_BYTES = 64 * 1024;
  private static final int CHUNK_BYTES = 8 * 1024;
  private static final int BIG_LINE_BYTES = 1024 * 1024;
  private static final int MAX_LINE_BYTES =
      16 * 1024 * 1024; // application.conf's stdio.max-line-bytes

  /** Many lines of about {@code lineBytes}, whole and in 8 KiB chunks. */
  @State(Scope.Thread)
  public static class Lines {
    @Param({"64", "4096"})
    public int lineBytes;

    ByteString stream;
    List<ByteString> chunks;
    LineSplitter splitter;

    @Setup
    public void setUp() {
      Random random = new Random(42);
      StringBuilder sb = new StringBuilder(STREAM_BYTES);
      String filler = Messages.toolsCallResponse(7, STREAM_BYTES);
      int lines = 0;
      while (true) {
        int length = lineBytes / 2 + random.nextInt(lineBytes + 1); // newline included
        if (sb.length() + length > STREAM_BYTES) {
          break;
        }
        sb.append(filler, 0, length - 1).append('\n');
        lines++;
      }
      stream = ByteString.fromString(sb.toString());
      chunks = chunk(stream);
      splitter = new LineSplitter(MAX_LINE_BYTES);
      int split = 0;
      for (ByteString c : chunks) {
        split += splitter.feed(c).size();
      }
      if (splitter.feed(stream).size() != lines || split != lines || !splitter.finish().isEmpty()) {
        throw new IllegalStateException("the fixture does not split into " + lines + " lines");
      }
    }
  }

  /** One 1 MiB line in 8 KiB chunks; no parameter, so these run once. */
  @State(Scope.Thread)
  public static class BigLine {
    List<ByteString> chunks;
    LineSplitter splitter;
    LineSplitter limited;

    @Setup
    public void setUp() {
      chunks = chunk(ByteString.fromString("y".repeat(BIG_LINE_BYTES - 1) + "\n"));
      splitter = new LineSplitter(MAX_LINE_BYTES);
      limited = new LineSplitter(64 * 1024);
      if (splitter.feed(chunks.get(0)).size() + splitter.finish().size() != 1) {
        throw new IllegalStateException("the big line fixture does not split into one line");
      }
    }
  }

  static List<ByteString> chunk(ByteString bytes) {
    List<ByteString> out = new ArrayList<>();
    for (int start = 0; start < bytes.size(); start += CHUNK_BYTES) {
      out.add(bytes.slice(start, Math.min(bytes.size(), start + CHUNK_BYTES)).compact());
    }
    return out;
  }

  private static void feedAll(LineSplitter splitter, List<ByteString> chunks, Blackhole bh) {
    for (int i = 0; i < chunks.size(); i++) {
      bh.consume(splitter.feed(chunks.get(i)));
    }
  }

  @Benchmark
  public List<LineSplitter.Line> oneChunk(Lines in) {
    return in.splitter.feed(in.stream);
  }

  @Benchmark
  public void chunks8k(Lines in, Blackhole bh) {
    feedAll(in.splitter, in.chunks, bh);
  }

  @Benchmark
  public void bigLine(BigLine big, Blackhole bh) {
    feedAll(big.splitter, big.chunks, bh);
  }

  @Benchmark
  public void oversizedLine(BigLine big, Blackhole bh) {
    feedAll(big.limited, big.chunks, bh);
  }
}
