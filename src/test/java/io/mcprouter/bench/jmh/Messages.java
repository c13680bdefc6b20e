package io.mcprouter.bench.jmh;

import akka.util.ByteString;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.routing.SessionRouting;

/** Precomputed MCP messages shared by the benchmarks (built once per trial, in {@code @Setup}). */
final class Messages {

  static final String SESSION = "bench-session";

  private static final String WORDS =
      "The quick brown fox jumps over the lazy dog; 0123456789 \"quoted\" ";

  private Messages() {}

  /**
   * {@code chars} characters of text like a tool's output: a newline every 80 chars, a few quotes.
   */
  static String text(int chars) {
    StringBuilder sb = new StringBuilder(chars);
    for (int i = 0; sb.length() < chars; i++) {
      sb.append(sb.length() % 81 == 80 ? '\n' : WORDS.charAt(i % WORDS.length()));
    }
    return sb.toString();
  }

  static String quoted(String text) {
    try {
      return JsonRpcCodec.MAPPER.writeValueAsString(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A {@code tools/call} of the echo tool whose argument is {@code payloadChars} of text. */
  static String toolsCallRequest(long id, int payloadChars, boolean progressToken) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"tools/call\",\"params\":{"
        + (progressToken ? "\"_meta\":{\"progressToken\":\"progress-" + id + "\"}," : "")
        + "\"name\":\"echo\",\"arguments\":{\"text\":"
        + quoted(text(payloadChars))
        + "}}}";
  }

  /** The {@code tools/call} result, as the benchmark's echo server writes it. */
  static String toolsCallResponse(long id, int payloadChars) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
        + quoted(text(payloadChars))
        + "}],\"isError\":false}}";
  }

  static ByteString bytes(String json) {
    return ByteString.fromString(json);
  }

  static JsonRpcMessage message(String json) {
    if (JsonRpcCodec.parse(json) instanceof JsonRpcCodec.Ok ok) {
      return ok.message();
    }
    throw new IllegalArgumentException("not a JSON-RPC message: " + json);
  }

  /** Recipients that keep only the last message each way, as cheap as recipients can be. */
  static final class LastMessageRecipients implements SessionRouting.Recipients {
    JsonRpcMessage toChild;
    JsonRpcMessage toSession;

    @Override
    public boolean toChild(JsonRpcMessage message) {
      toChild = message;
      return true;
    }

    @Override
    public void toSession(String sessionId, JsonRpcMessage message) {
      toSession = message;
    }
  }

  /** Opens {@link #SESSION} and initializes it (and the child) the way a real client does. */
  static void initialize(SessionRouting routing, LastMessageRecipients out) {
    routing.sessionOpened(SESSION);
    routing.fromClient(
        SESSION,
        message(
            "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
                + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":\"1\"}}}"),
        out);
    JsonRpcMessage.Request init = (JsonRpcMessage.Request) out.toChild;
    routing.fromChild(
        new JsonRpcMessage.Response(
            init.id(),
            message(
                        "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":"
                            + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"echo\",\"version\":\"1\"}}}")
                    instanceof JsonRpcMessage.Response r
                ? r.result()
                : null,
            null),
        out);
    routing.fromClient(
        SESSION, message("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"), out);
  }
}
