package io.mcprouter.http;

import akka.util.ByteString;

/**
 * Server-sent events on the wire. Written by hand rather than through Akka's marshaller because its
 * heartbeat is an empty {@code data:} event, which browsers and the MCP SDKs dispatch as a message
 * with empty data (and then fail to parse as JSON); a keep-alive must be a comment line.
 */
public final class SseEncoding {

  /** An SSE comment: ignored by every client, but it keeps idle connections and proxies alive. */
  public static final ByteString KEEP_ALIVE = ByteString.fromString(": keep-alive\n\n");

  private SseEncoding() {}

  private static final ByteString END_OF_EVENT = ByteString.fromString("\n\n");

  /**
   * An event whose data is compact JSON, which never holds a raw newline (they are escaped inside
   * strings), so the bytes are framed as they are: no copy, no scan for line breaks.
   */
  public static ByteString jsonEvent(String type, String id, byte[] json) {
    String head = (id == null ? "" : "id: " + id + "\n") + "event: " + type + "\ndata: ";
    return ByteString.fromString(head)
        .concat(ByteString.fromArrayUnsafe(json))
        .concat(END_OF_EVENT);
  }

  public static ByteString event(String type, String data) {
    return event(type, null, data);
  }

  /**
   * An event with an {@code id} (null for none), which a client sends back as {@code
   * Last-Event-ID}.
   */
  public static ByteString event(String type, String id, String data) {
    StringBuilder out = new StringBuilder(data.length() + type.length() + 32);
    if (id != null) {
      out.append("id: ").append(id).append('\n');
    }
    out.append("event: ").append(type).append('\n');
    int start = 0;
    while (true) {
      int newline = data.indexOf('\n', start);
      out.append("data: ").append(data, start, newline < 0 ? data.length() : newline).append('\n');
      if (newline < 0) {
        break;
      }
      start = newline + 1;
    }
    return ByteString.fromString(out.append('\n').toString());
  }
}
