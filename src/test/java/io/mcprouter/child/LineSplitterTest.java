package io.mcprouter.child;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.util.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LineSplitterTest {

  private static ByteString bs(String s) {
    return ByteString.fromString(s);
  }

  /**
   * Renders lines so whole outputs can be compared: text for complete lines, a marker for over-long
   * ones.
   */
  private static List<String> render(List<LineSplitter.Line> lines) {
    List<String> out = new ArrayList<>();
    for (LineSplitter.Line line : lines) {
      if (line instanceof LineSplitter.Complete c) {
        out.add(c.bytes().utf8String());
      } else {
        out.add("OVERSIZED(" + ((LineSplitter.Oversized) line).length() + ")");
      }
    }
    return out;
  }

  /**
   * Feeds {@code input} in chunks of {@code chunkSize} bytes, then finishes, collecting everything
   * emitted.
   */
  private static List<LineSplitter.Line> feedInChunks(
      LineSplitter splitter, String input, int chunkSize) {
    ByteString all = bs(input);
    List<LineSplitter.Line> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i += chunkSize) {
      out.addAll(splitter.feed(all.slice(i, Math.min(all.size(), i + chunkSize))));
    }
    out.addAll(splitter.finish());
    return out;
  }

  @Test
  void lineSplitAcrossChunksIsEmittedOnceComplete() {
    LineSplitter splitter = new LineSplitter(1024);
    assertEquals(List.of(), splitter.feed(bs("{\"jsonrpc\":")));
    assertEquals(List.of(), splitter.feed(bs("\"2.0\",")));
    assertEquals(
        List.of("{\"jsonrpc\":\"2.0\",\"id\":1}"), render(splitter.feed(bs("\"id\":1}\n"))));
    assertEquals(List.of(), splitter.finish());
  }

  @Test
  void severalLinesInOneChunkAreAllEmittedInOrder() {
    LineSplitter splitter = new LineSplitter(1024);
    assertEquals(
        List.of("one", "two", "three"), render(splitter.feed(bs("one\ntwo\nthree\nfour"))));
    assertEquals(List.of("four"), render(splitter.finish()));
  }

  @Test
  void trailingCarriageReturnIsStripped() {
    LineSplitter splitter = new LineSplitter(1024);
    assertEquals(List.of("a", "b\rc"), render(splitter.feed(bs("a\r\nb\rc\r\n"))));
  }

  @Test
  void carriageReturnAndNewlineInDifferentChunksAreStillStripped() {
    LineSplitter splitter = new LineSplitter(1024);
    assertEquals(List.of(), splitter.feed(bs("abc\r")));
    assertEquals(List.of("abc"), render(splitter.feed(bs("\n"))));
  }

  @Test
  void emptyLinesAreSkipped() {
    LineSplitter splitter = new LineSplitter(1024);
    assertEquals(List.of("x", "y"), render(splitter.feed(bs("\n\r\nx\n\n\ny\n\r\n"))));
    assertEquals(List.of(), splitter.finish());
  }

  @Test
  void finishEmitsAPartialLastLine() {
    LineSplitter splitter = new LineSplitter(1024);
    assertEquals(List.of(), splitter.feed(bs("no newline at end")));
    assertEquals(List.of("no newline at end"), render(splitter.finish()));
    assertEquals(List.of(), splitter.finish());
  }

  @Test
  void finishStripsCarriageReturnOfThePartialLine() {
    LineSplitter splitter = new LineSplitter(1024);
    splitter.feed(bs("last\r"));
    assertEquals(List.of("last"), render(splitter.finish()));
  }

  @Test
  void lineOfExactlyTheMaximumIsComplete() {
    LineSplitter splitter = new LineSplitter(10);
    assertEquals(
        List.of("0123456789", "OVERSIZED(11)"),
        render(splitter.feed(bs("0123456789\n0123456789A\n"))));
  }

  @Test
  void overlongLineIsReportedWithItsLengthAndTheNextLineIsIntact() {
    LineSplitter splitter = new LineSplitter(16);
    String longLine = "x".repeat(40);
    assertEquals(
        List.of("short", "OVERSIZED(40)", "next"),
        render(splitter.feed(bs("short\n" + longLine + "\nnext\n"))));
  }

  @ParameterizedTest(name = "chunks of {0} bytes")
  @ValueSource(ints = {1, 2, 3, 7, 16, 17, 100, 5000, 100_000})
  void overlongLineFedInChunksIsReportedOnceAndTheStreamContinues(int chunkSize) {
    StringBuilder longLine = new StringBuilder();
    for (int i = 0; longLine.length() < 5000; i++) {
      longLine.append(i).append(',');
    }
    String input = "first\n" + longLine + "\nsecond\r\n" + "z".repeat(2000) + "\nthird";
    List<LineSplitter.Line> lines = feedInChunks(new LineSplitter(1000), input, chunkSize);
    assertEquals(
        List.of(
            "first", "OVERSIZED(" + longLine.length() + ")", "second", "OVERSIZED(2000)", "third"),
        render(lines));
  }

  @ParameterizedTest(name = "chunks of {0} bytes")
  @ValueSource(ints = {1, 13, 600, 1001, 100_000})
  void overlongLineKeepsItsFirstAndLastBytes(int chunkSize) {
    StringBuilder longLine = new StringBuilder();
    for (int i = 0; longLine.length() < 8000; i++) {
      longLine.append((char) ('a' + i % 26));
    }
    String text = longLine.toString();
    List<LineSplitter.Line> lines = feedInChunks(new LineSplitter(1000), text + "\n", chunkSize);
    assertEquals(1, lines.size());
    LineSplitter.Oversized o = assertInstanceOf(LineSplitter.Oversized.class, lines.get(0));
    assertEquals(text.length(), o.length());
    assertEquals(text.substring(0, LineSplitter.KEPT_EDGE_BYTES), o.head().utf8String());
    assertEquals(
        text.substring(text.length() - LineSplitter.KEPT_EDGE_BYTES), o.tail().utf8String());
  }

  @Test
  void overlongLineWithoutNewlineIsReportedByFinish() {
    LineSplitter splitter = new LineSplitter(8);
    assertEquals(List.of("ok"), render(splitter.feed(bs("ok\n" + "y".repeat(30)))));
    assertEquals(List.of(), splitter.feed(bs("y".repeat(30))));
    assertEquals(List.of("OVERSIZED(60)"), render(splitter.finish()));
  }

  @Test
  void stateIsResetAfterAnOverlongLine() {
    LineSplitter splitter = new LineSplitter(8);
    render(splitter.feed(bs("w".repeat(20) + "\n")));
    List<LineSplitter.Line> next = splitter.feed(bs("12345678\n"));
    assertEquals(List.of("12345678"), render(next));
    assertTrue(next.get(0) instanceof LineSplitter.Complete);
  }
}
