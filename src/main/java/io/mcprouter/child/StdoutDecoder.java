package io.mcprouter.child;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.mcprouter.jsonrpc.JsonLimits;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns stdout lines into {@link StdoutFrame}s. Pure, so it runs on the stream, not on the actor.
 */
public final class StdoutDecoder {

  private static final int PREVIEW_CHARS = 120;
  private static final String ID_VALUE = "(-?\\d{1,19}(?![\\d.eE])|\"(?:[^\"\\\\]|\\\\.){0,256}\")";
  // Serializers put "id" either first (after "jsonrpc") or last, so an over-long response's id is
  // found at one of its edges without parsing the megabytes in between.
  private static final Pattern ID_AT_HEAD =
      Pattern.compile(
          "^\\s*\\{\\s*(?:\"jsonrpc\"\\s*:\\s*\"2\\.0\"\\s*,\\s*)?\"id\"\\s*:\\s*"
              + ID_VALUE
              + "(\\s*,\\s*\"method\")?");
  private static final Pattern ID_AT_TAIL =
      Pattern.compile(
          "\"id\"\\s*:\\s*" + ID_VALUE + "\\s*(?:,\\s*\"jsonrpc\"\\s*:\\s*\"2\\.0\"\\s*)?}\\s*$");

  private StdoutDecoder() {}

  public static StdoutFrame decode(LineSplitter.Line line) {
    return decode(line, JsonLimits.DEFAULT);
  }

  public static StdoutFrame decode(LineSplitter.Line line, JsonLimits limits) {
    if (line instanceof LineSplitter.Oversized o) {
      return new StdoutFrame.Oversized(
          o.length(), findId(o.head().utf8String(), o.tail().utf8String()));
    }
    LineSplitter.Complete complete = (LineSplitter.Complete) line;
    JsonRpcCodec.Parsed parsed = JsonRpcCodec.parse(complete.bytes(), limits);
    if (parsed instanceof JsonRpcCodec.Ok ok) {
      return new StdoutFrame.Message(ok.message(), complete.bytes().size());
    }
    JsonRpcCodec.Failure failure = (JsonRpcCodec.Failure) parsed;
    if (failure.overLimit() != null) {
      return new StdoutFrame.OverLimit(failure.error().message(), failure.overLimit().responseId());
    }
    return new StdoutFrame.Garbage(preview(complete.bytes().toArray()), failure.error().message());
  }

  static JsonNode findId(String head, String tail) {
    Matcher m = ID_AT_HEAD.matcher(head);
    if (m.find()) {
      // an over-long request from the server is not an answer to anybody's request
      return m.group(2) != null ? null : idNode(m.group(1));
    }
    m = ID_AT_TAIL.matcher(tail);
    if (m.find()) {
      return idNode(m.group(1));
    }
    return null;
  }

  private static JsonNode idNode(String literal) {
    if (literal.startsWith("\"")) {
      try {
        return JsonRpcCodec.MAPPER.readTree(literal);
      } catch (IOException e) {
        return null;
      }
    }
    try {
      return JsonNodeFactory.instance.numberNode(Long.parseLong(literal));
    } catch (NumberFormatException tooLarge) {
      return null;
    }
  }

  private static String preview(byte[] bytes) {
    String text =
        new String(bytes, 0, Math.min(bytes.length, PREVIEW_CHARS * 4), StandardCharsets.UTF_8);
    text = text.replaceAll("\\p{Cntrl}", "?");
    return text.length() > PREVIEW_CHARS ? text.substring(0, PREVIEW_CHARS) + "..." : text;
  }
}
