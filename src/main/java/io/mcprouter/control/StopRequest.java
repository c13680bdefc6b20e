package io.mcprouter.control;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.server.ServerInstance.StopMode;
import java.util.Optional;

/**
 * The body of {@code /v1/stop-server} and {@code /admin/stop-server}: {@code {"server_key": "...",
 * "force": false}}.
 */
public record StopRequest(String key, boolean force) {

  /**
   * What is wrong with the body, if anything; read the request with {@link #from} only when nothing
   * is.
   */
  public static Optional<String> problem(JsonNode body) {
    JsonNode key = body.get("server_key");
    JsonNode force = body.get("force");
    if (key == null || !key.isTextual() || key.asText().isBlank()) {
      return Optional.of("'server_key' must be a non-empty string");
    }
    if (force != null && !force.isNull() && !force.isBoolean()) {
      return Optional.of("'force' must be true or false");
    }
    return Optional.empty();
  }

  public StopMode mode() {
    return force ? StopMode.FORCE : StopMode.GRACEFUL;
  }

  public static StopRequest from(JsonNode body) {
    return new StopRequest(body.get("server_key").asText(), body.path("force").asBoolean(false));
  }
}
