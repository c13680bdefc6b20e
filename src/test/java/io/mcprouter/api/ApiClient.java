package io.mcprouter.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.testsupport.SseTestClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A REST caller over java.net.http: status plus the parsed envelope. */
final class ApiClient {

  record Answer(int status, JsonNode body) {
    int code() {
      return body.path("code").asInt(Integer.MIN_VALUE);
    }

    JsonNode data() {
      return body.path("data");
    }

    String text() {
      return data().path("content").path(0).path("text").asText();
    }
  }

  private final HttpClient http = SseTestClient.newHttpClient();
  private final int port;

  ApiClient(int port) {
    this.port = port;
  }

  Answer post(String path, String token, String body) throws Exception {
    return postAsync(path, token, body).get();
  }

  CompletableFuture<Answer> postAsync(String path, String token, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return send(request.build());
  }

  Answer get(String path, String token) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return send(request.build()).get();
  }

  Answer send(HttpRequest.Builder request) throws Exception {
    return send(request.build()).get();
  }

  private CompletableFuture<Answer> send(HttpRequest request) {
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .thenApply(
            response -> {
              try {
                return new Answer(
                    response.statusCode(), SseTestClient.JSON.readTree(response.body()));
              } catch (IOException e) {
                throw new IllegalStateException("not JSON: " + response.body(), e);
              }
            });
  }
}
