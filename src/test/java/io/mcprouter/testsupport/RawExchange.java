package io.mcprouter.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 request over a plain socket, for headers java.net.http refuses to forge ({@code
 * Host}) or adds on its own. The request head is written exactly as given: {@code Host} is the
 * caller's (or {@code 127.0.0.1:port} when absent), a body gets its Content-Length and no
 * Content-Type unless asked. An event-stream answer is returned after its head (the stream would
 * not end).
 */
public final class RawExchange {

  /** The answer: status, headers (lower-cased names), and the body (empty for an event stream). */
  public record Answer(int status, Map<String, String> headers, String body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private RawExchange() {}

  public static Answer send(
      int port, String method, String path, Map<String, String> headers, String body)
      throws IOException {
    byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n");
    if (headers.keySet().stream().noneMatch(h -> h.equalsIgnoreCase("Host"))) {
      head.append("Host: 127.0.0.1:").append(port).append("\r\n");
    }
    headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
    if (body != null) {
      head.append("Content-Length: ").append(bytes.length).append("\r\n");
    }
    head.append("Connection: close\r\n\r\n");
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      String statusLine = line(in);
      Map<String, String> answerHeaders = new LinkedHashMap<>();
      for (String line = line(in); !line.isEmpty(); line = line(in)) {
        int colon = line.indexOf(':');
        answerHeaders.put(
            line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            line.substring(colon + 1).trim());
      }
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      if (answerHeaders.getOrDefault("content-type", "").startsWith("text/event-stream")) {
        return new Answer(status, answerHeaders, "");
      }
      String length = answerHeaders.get("content-length");
      byte[] answerBody =
          length != null ? in.readNBytes(Integer.parseInt(length)) : in.readAllBytes();
      return new Answer(status, answerHeaders, new String(answerBody, StandardCharsets.UTF_8));
    }
  }

  /** With only the headers a test forges, as pairs: {@code "Host", "x", "Origin", "y"}. */
  public static Map<String, String> headers(String... pairs) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put(pairs[i], pairs[i + 1]);
    }
    return map;
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("connection closed inside the answer's head");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }
}
