package io.mcprouter.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Clients that stop reading: raw sockets with a receive buffer as small as the OS allows, which
 * read what a session needs to start (its endpoint, its initialize answer) and then nothing, over
 * legacy SSE and Streamable HTTP. Closing this closes every socket.
 */
public final class StalledClients implements AutoCloseable {

  private final int port;
  private final String key;
  private final HttpClient http = SseTestClient.newHttpClient();
  private final List<Socket> sockets = new ArrayList<>();

  public StalledClients(int port, String key) {
    this.port = port;
    this.key = key;
  }

  /** A tools/call of FakeMcpServer's {@code big} tool. */
  public static String bigCall(int id, int bytes) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"tools/call\",\"params\":{\"name\":\"big\",\"arguments\":{\"bytes\":"
        + bytes
        + "}}}";
  }

  /**
   * Opens a legacy SSE session that reads up to its initialize answer and never again; returns its
   * id.
   */
  public String openSse() throws Exception {
    Socket socket = socket();
    socket
        .getOutputStream()
        .write(
            ("GET /sse/"
                    + key
                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    String head = readUntil(socket.getInputStream(), "sessionid=");
    String session =
        head.substring(head.indexOf("sessionid=") + "sessionid=".length()).split("\\s")[0];
    post("/messages?sessionid=" + session, Map.of(), INITIALIZE);
    readUntil(socket.getInputStream(), "\"id\":1");
    post("/messages?sessionid=" + session, Map.of(), INITIALIZED);
    return session;
  }

  /** POSTs one message to a legacy SSE session (its answer goes to the stream nobody reads). */
  public void postSse(String session, String body) throws Exception {
    post("/messages?sessionid=" + session, Map.of(), body);
  }

  /** Initializes a Streamable HTTP session (read normally); returns its id. */
  public String openStreamable() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mcp/" + key))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(INITIALIZE))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    String session = response.headers().firstValue("Mcp-Session-Id").orElseThrow();
    post(
        "/mcp/" + key,
        Map.of("Mcp-Session-Id", session, "Accept", "application/json, text/event-stream"),
        INITIALIZED);
    return session;
  }

  /** POSTs a request on a connection of its own whose SSE answer stream is never read. */
  public void postStreamable(String session, String body) throws IOException {
    Socket socket = socket();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    socket
        .getOutputStream()
        .write(
            ("POST /mcp/"
                    + key
                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Accept: application/json, text/event-stream\r\nMcp-Session-Id: "
                    + session
                    + "\r\nMCP-Protocol-Version: 2025-06-18\r\n"
                    + "Content-Length: "
                    + bytes.length
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
  }

  /** The status of a POST to a legacy session: 202 while it exists, 404 once it has ended. */
  public int postStatus(String session, String body) throws Exception {
    return http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/messages?sessionid=" + session))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  @Override
  public void close() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
  }

  private static final String INITIALIZE =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
          + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"stalled\",\"version\":\"1\"}}}";
  private static final String INITIALIZED =
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";

  /**
   * A socket that reads only what it must, then nothing: its receive buffer is as small as the OS
   * allows.
   */
  private Socket socket() throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(20_000);
    sockets.add(socket);
    return socket;
  }

  private void post(String path, Map<String, String> headers, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, response.statusCode(), path + " -> " + response.body());
  }

  /**
   * Reads byte by byte (nothing beyond what is asked for) until the event holding {@code marker}
   * has ended.
   */
  private static String readUntil(InputStream in, String marker) throws IOException {
    StringBuilder seen = new StringBuilder();
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("stream ended after: " + seen);
      }
      seen.append((char) b);
      int at = seen.indexOf(marker);
      if (at >= 0 && seen.indexOf("\n\n", at) >= 0) {
        return seen.toString();
      }
    }
  }
}
