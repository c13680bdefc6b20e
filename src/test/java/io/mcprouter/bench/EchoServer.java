package io.mcprouter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The benchmark's stdio MCP server: one thread, answers inline, flushes per line, so that what is
 * measured through it is the transport in front of it. Tools: {@code echo {text}}.
 */
public final class EchoServer {

  private static final ObjectMapper JSON = new ObjectMapper();

  private EchoServer() {}

  public static void main(String[] args) throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
    OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
    String line;
    while ((line = in.readLine()) != null) {
      JsonNode message = JSON.readTree(line);
      JsonNode id = message.get("id");
      String method = message.path("method").asText("");
      if (id == null || method.isEmpty()) {
        continue; // notifications and responses need no answer
      }
      ObjectNode response = JSON.createObjectNode().put("jsonrpc", "2.0");
      response.set("id", id);
      ObjectNode result = response.putObject("result");
      switch (method) {
        case "initialize" -> {
          result.put(
              "protocolVersion",
              message.path("params").path("protocolVersion").asText("2025-06-18"));
          result.putObject("capabilities").putObject("tools");
          result.putObject("serverInfo").put("name", "bench-echo").put("version", "1");
        }
        case "tools/list" ->
            result
                .putArray("tools")
                .addObject()
                .put("name", "echo")
                .putObject("inputSchema")
                .put("type", "object");
        case "tools/call" ->
            result
                .putArray("content")
                .addObject()
                .put("type", "text")
                .put("text", message.path("params").path("arguments").path("text").asText(""));
        default -> {} // ping and the rest: an empty result
      }
      out.write(JSON.writeValueAsBytes(response));
      out.write('\n');
      out.flush();
    }
  }
}
