package io.mcprouter.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.util.ByteString;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SseEncodingTest {

  @Test
  void multiLineDataBecomesOneDataFieldPerLine() {
    assertEquals(
        "id: 7\nevent: note\ndata: a\ndata: b\n\n",
        SseEncoding.event("note", "7", "a\nb").utf8String());
  }

  @Test
  void aJsonEventFramesTheEncodedBytesAsOneDataLine() {
    JsonRpcMessage message =
        ((JsonRpcCodec.Ok)
                JsonRpcCodec.parse(
                    ByteString.fromString(
                        "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"text\":\"two\\nlines, é\"}}")))
            .message();
    byte[] json = JsonRpcCodec.encodeBytes(message);
    String expected =
        "id: r1.4\nevent: message\ndata: " + new String(json, StandardCharsets.UTF_8) + "\n\n";
    assertEquals(expected, SseEncoding.jsonEvent("message", "r1.4", json).utf8String());
    // the escaped newline stays inside the one data line, exactly as the String-based framing
    // writes it
    assertEquals(
        SseEncoding.event("message", "r1.4", JsonRpcCodec.encode(message)),
        SseEncoding.jsonEvent("message", "r1.4", json));
    assertEquals(
        "event: message\ndata: " + new String(json, StandardCharsets.UTF_8) + "\n\n",
        SseEncoding.jsonEvent("message", null, json).utf8String());
  }
}
