package io.mcprouter.soak;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal HTTP/1.1 client on plain sockets, one request per connection. The soak needs what
 * java.net.http hides: closing a connection mid-stream with a FIN or an RST (SO_LINGER 0), sending
 * bytes that are not HTTP, and reading an SSE body event by event.
 */
final class RawHttp {

  /** A complete answer. */
  record Response(int status, Map<String, String> headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** One server-sent event. */
  record Event(String type, String id, String data) {}

  private RawHttp() {}

  static Response exchange(
      int port, String method, String path, Map<String, String> headers, byte[] body, int timeoutMs)
      throws IOException {
    try (Stream stream = open(port, method, path, headers, body, timeoutMs)) {
      return new Response(stream.status, stream.headers, stream.body.readAllBytes());
    }
  }

  static Response json(
      int port, String method, String path, String bearer, String body, int timeoutMs)
      throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/json");
    if (bearer != null) {
      headers.put("Authorization", "Bearer " + bearer);
    }
    return exchange(
        port,
        method,
        path,
        headers,
        body == null ? null : body.getBytes(StandardCharsets.UTF_8),
        timeoutMs);
  }

  /**
   * Sends the request and reads the status line and headers; the body is read from {@link
   * Stream#body}.
   */
  static Stream open(
      int port, String method, String path, Map<String, String> headers, byte[] body, int timeoutMs)
      throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMs);
      socket.setSoTimeout(timeoutMs);
      StringBuilder head =
          new StringBuilder(method)
              .append(' ')
              .append(path)
              .append(" HTTP/1.1\r\n")
              .append("Host: 127.0.0.1:")
              .append(port)
              .append("\r\n");
      headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      // one request per connection: the end of a body without a length is the end of the connection
      head.append("Connection: close\r\n");
      if (body != null) {
        head.append("Content-Length: ").append(body.length).append("\r\n");
      }
      head.append("\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      if (body != null) {
        out.write(body);
      }
      out.flush();
      return new Stream(socket);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Writes raw bytes on a fresh connection and reads whatever comes back until EOF or the timeout.
   */
  static byte[] raw(int port, byte[] bytes, int timeoutMs) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMs);
      socket.setSoTimeout(timeoutMs);
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while (got.size() < 65536 && (n = socket.getInputStream().read(buf)) > 0) {
        got.write(buf, 0, n);
      }
      return got.toByteArray();
    }
  }

  /** An open response: status and headers read, body readable as bytes or SSE events. */
  static final class Stream implements AutoCloseable {
    final Socket socket;
    final int status;
    final Map<String, String> headers = new LinkedHashMap<>();
    final InputStream body;

    private Stream(Socket socket) throws IOException {
      this.socket = socket;
      InputStream in = new BufferedInputStream(socket.getInputStream(), 65536);
      String statusLine = line(in);
      String[] parts = statusLine.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
        throw new IOException("not an HTTP status line: " + statusLine);
      }
      status = Integer.parseInt(parts[1]);
      for (String h = line(in); !h.isEmpty(); h = line(in)) {
        int colon = h.indexOf(':');
        if (colon > 0) {
          headers.put(
              h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
      }
      if (status == 204 || status == 304 || status < 200) {
        body = InputStream.nullInputStream();
      } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        body = new Chunked(in);
      } else if (headers.containsKey("content-length")) {
        body = new Bounded(in, Long.parseLong(headers.get("content-length")));
      } else {
        body = in;
      }
    }

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    void timeout(int ms) throws IOException {
      socket.setSoTimeout(ms);
    }

    /** The next event, or null at the end of the body. Comments (keep-alives) are skipped. */
    Event nextEvent() throws IOException {
      String type = "message";
      String id = null;
      StringBuilder data = null;
      while (true) {
        String l;
        try {
          l = line(body);
        } catch (EOFException e) {
          return null;
        }
        if (l.isEmpty()) {
          if (data != null) {
            return new Event(type, id, data.toString());
          }
          type = "message";
          continue;
        }
        if (l.startsWith(":")) {
          continue;
        }
        int colon = l.indexOf(':');
        String field = colon < 0 ? l : l.substring(0, colon);
        String value = colon < 0 ? "" : l.substring(colon + 1).stripLeading();
        switch (field) {
          case "event" -> type = value;
          case "id" -> id = value;
          case "data" ->
              data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
          default -> {}
        }
      }
    }

    /** An abrupt close: SO_LINGER 0 makes the kernel send an RST instead of a FIN. */
    void reset() {
      try {
        socket.setSoLinger(true, 0);
        socket.close();
      } catch (IOException ignored) {
        // already closed
      }
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // already closed
      }
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(128);
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new EOFException("end of stream");
      }
      b.write(c);
    }
    byte[] bytes = b.toByteArray();
    int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
    return new String(bytes, 0, len, StandardCharsets.UTF_8);
  }

  private static final class Bounded extends InputStream {
    private final InputStream in;
    private long left;

    Bounded(InputStream in, long length) {
      this.in = in;
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int c = in.read();
      if (c >= 0) {
        left--;
      }
      return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }

  private static final class Chunked extends InputStream {
    private final InputStream in;
    private long left;
    private boolean done;

    Chunked(InputStream in) {
      this.in = in;
    }

    private boolean ready() throws IOException {
      if (done) {
        return false;
      }
      if (left == 0) {
        String size = line(in);
        int semi = size.indexOf(';');
        left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
        if (left == 0) {
          done = true;
          return false;
        }
      }
      return true;
    }

    @Override
    public int read() throws IOException {
      if (!ready()) {
        return -1;
      }
      int c = in.read();
      if (c < 0) {
        throw new EOFException("connection closed inside a chunk");
      }
      if (--left == 0) {
        line(in);
      }
      return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (!ready()) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new EOFException("connection closed inside a chunk");
      }
      left -= n;
      if (left == 0) {
        line(in);
      }
      return n;
    }
  }
}
