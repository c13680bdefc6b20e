package io.mcprouter.child;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.util.ByteString;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StdoutDecoderTest {

  private static final int MAX = 1024;
  private static final String BIG = "\"" + "payload ".repeat(2000) + "\"";

  /**
   * Runs {@code line + "\n"} through a real splitter, fed in 100-byte chunks, and decodes the one
   * line it yields.
   */
  private static StdoutFrame decodeLine(String line) {
    LineSplitter splitter = new LineSplitter(MAX);
    ByteString all = ByteString.fromString(line + "\n");
    List<LineSplitter.Line> lines = new ArrayList<>();
    for (int i = 0; i < all.size(); i += 100) {
      lines.addAll(splitter.feed(all.slice(i, Math.min(all.size(), i + 100))));
    }
    lines.addAll(splitter.finish());
    assertEquals(1, lines.size(), "one line expected");
    return StdoutDecoder.decode(lines.get(0));
  }

  private static StdoutFrame.Oversized oversized(String line) {
    StdoutFrame.Oversized o = assertInstanceOf(StdoutFrame.Oversized.class, decodeLine(line));
    assertEquals(ByteString.fromString(line).size(), o.length());
    return o;
  }

  @Test
  void oversizedResponseWithIdFirstHasItsNumericId() {
    StdoutFrame.Oversized o =
        oversized("{\"jsonrpc\":\"2.0\",\"id\":42,\"result\":{\"text\":" + BIG + "}}");
    assertEquals(LongNode.valueOf(42), o.id());
  }

  @Test
  void anOversizedRequestFromTheServerIsNotTakenForAResponse() {
    StdoutFrame.Oversized o =
        oversized(
            "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"sampling/createMessage\",\"params\":{\"text\":"
                + BIG
                + "}}");
    assertNull(o.id());
  }

  @Test
  void oversizedResponseWithIdBeforeJsonrpcHasItsId() {
    assertEquals(
        LongNode.valueOf(-3),
        oversized("{ \"id\" : -3, \"jsonrpc\":\"2.0\",\"result\":{\"text\":" + BIG + "}}").id());
  }

  @Test
  void oversizedResponseWithIdLastHasItsStringId() {
    StdoutFrame.Oversized o =
        oversized("{\"result\":{\"text\":" + BIG + "},\"jsonrpc\":\"2.0\",\"id\":\"abc\"}");
    assertEquals(TextNode.valueOf("abc"), o.id());
  }

  @Test
  void oversizedResponseWithIdLastBeforeJsonrpcHasItsId() {
    assertEquals(
        LongNode.valueOf(7),
        oversized("{\"result\":{\"text\":" + BIG + "},\"id\":7,\"jsonrpc\":\"2.0\"}\r").id());
  }

  @Test
  void stringIdWithEscapedQuoteIsUnescaped() {
    assertEquals(
        TextNode.valueOf("a\"b"),
        oversized("{\"jsonrpc\":\"2.0\",\"id\":\"a\\\"b\",\"result\":{\"text\":" + BIG + "}}")
            .id());
  }

  @Test
  void stringIdThatLooksNumericStaysAString() {
    assertEquals(
        TextNode.valueOf("1"),
        oversized("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":{\"text\":" + BIG + "}}").id());
  }

  // A 19-digit id is a valid long (and passes through unchanged with share_process = false); the
  // head
  // pattern reads at most 18 digits and has no boundary after them, so it reports a different id.
  @Test
  void nineteenDigitIdIsFoundExactlyNotTruncated() {
    StdoutFrame.Oversized o =
        oversized(
            "{\"jsonrpc\":\"2.0\",\"id\":1234567890123456789,\"result\":{\"text\":" + BIG + "}}");
    assertEquals(LongNode.valueOf(1234567890123456789L), o.id());
  }

  @Test
  void oversizedLineWithoutIdHasNullId() {
    assertNull(
        oversized(
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"data\":"
                    + BIG
                    + "}}")
            .id());
  }

  @Test
  void idOfANestedObjectAtTheTailIsNotTakenForTheResponseId() {
    assertNull(oversized("{\"jsonrpc\":\"2.0\",\"result\":{\"text\":" + BIG + ",\"id\":5}}").id());
  }

  @Test
  void oversizedGarbageHasNullId() {
    assertNull(oversized("x".repeat(5000)).id());
  }

  @Test
  void findIdLooksAtHeadThenTail() {
    assertEquals(
        LongNode.valueOf(1),
        StdoutDecoder.findId("{\"jsonrpc\":\"2.0\",\"id\":1,\"re", "\"id\":2}"));
    assertEquals(LongNode.valueOf(2), StdoutDecoder.findId("{\"result\":{", "...},\"id\":2}"));
    assertNull(StdoutDecoder.findId("{\"result\":{", "...}}"));
  }

  @Test
  void completeJsonRpcLineIsAMessage() {
    StdoutFrame.Message m =
        assertInstanceOf(
            StdoutFrame.Message.class, decodeLine("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}"));
    JsonRpcMessage.Response r = assertInstanceOf(JsonRpcMessage.Response.class, m.message());
    assertEquals(IntNode.valueOf(9), r.id());
  }

  @Test
  void nonJsonLineIsGarbageWithPreviewAndParseErrorReason() {
    StdoutFrame.Garbage g =
        assertInstanceOf(StdoutFrame.Garbage.class, decodeLine("Server listening on stdio"));
    assertEquals("Server listening on stdio", g.preview());
    assertTrue(g.reason().startsWith("Parse error"), g.reason());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"{\"foo\":1}", "[1,2]", "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"m\"}"})
  void jsonThatIsNotJsonRpcIsGarbageWithInvalidRequestReason(String line) {
    StdoutFrame.Garbage g = assertInstanceOf(StdoutFrame.Garbage.class, decodeLine(line));
    assertEquals(line, g.preview());
    assertTrue(g.reason().startsWith("Invalid Request"), g.reason());
  }

  @Test
  void garbagePreviewIsShortenedAndHasNoControlCharacters() {
    StdoutFrame.Garbage g =
        assertInstanceOf(
            StdoutFrame.Garbage.class, decodeLine("\tstarted\u001b[0m " + "a".repeat(300)));
    assertEquals(123, g.preview().length());
    assertTrue(g.preview().startsWith("?started?[0m aaa"), g.preview());
    assertTrue(g.preview().endsWith("a..."), g.preview());
  }

  @Test
  void aResponseNestedPastTheLimitIsOverLimitWithTheIdItAnswers() {
    String line =
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
    LineSplitter.Complete complete = new LineSplitter.Complete(ByteString.fromString(line));
    StdoutFrame.OverLimit o =
        assertInstanceOf(StdoutFrame.OverLimit.class, StdoutDecoder.decode(complete));
    assertEquals(IntNode.valueOf(5), o.id());
    assertTrue(o.reason().contains("JSON nesting deeper than"), o.reason());
  }

  @Test
  void aNotificationWithAHugeNumberIsOverLimitWithoutAnId() {
    String line =
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"n\":"
            + "1".repeat(5000)
            + "}}";
    StdoutFrame.OverLimit o =
        assertInstanceOf(
            StdoutFrame.OverLimit.class,
            StdoutDecoder.decode(new LineSplitter.Complete(ByteString.fromString(line))));
    assertNull(o.id());
    assertTrue(o.reason().contains("a number of 5000 characters"), o.reason());
  }
}
