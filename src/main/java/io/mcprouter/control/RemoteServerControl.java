package io.mcprouter.control;

import io.mcprouter.http.ApiResult;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.Http;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.Authorization;
import akka.http.javadsl.model.headers.HttpCredentials;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * {@link ServerControl} for {@code api} running on its own: the MCP servers belong to the proxy
 * process, so operator actions go to its /admin endpoints (with the admin token when configured).
 */
public final class RemoteServerControl implements ServerControl {

  private static final Duration RESPONSE_READ = Duration.ofSeconds(10);

  private final String proxyUrl;
  private final Optional<String> adminToken;
  private final ActorSystem<?> system;

  public RemoteServerControl(String proxyUrl, Optional<String> adminToken, ActorSystem<?> system) {
    this.proxyUrl = proxyUrl;
    this.adminToken = adminToken;
    this.system = system;
  }

  @Override
  public CompletionStage<ApiResult> listRunning() {
    return send(HttpRequest.GET(proxyUrl + "/admin/list-running-servers"));
  }

  @Override
  public CompletionStage<ApiResult> stop(String key, boolean force) {
    String body = JsonNodeFactory.instance.objectNode().put("server_key", key).put("force", force).toString();
    return send(HttpRequest.POST(proxyUrl + "/admin/stop-server").withEntity(ContentTypes.APPLICATION_JSON, body));
  }

  private CompletionStage<ApiResult> send(HttpRequest request) {
    HttpRequest authorized = adminToken
        .map(token -> request.addHeader(Authorization.create(HttpCredentials.createOAuth2BearerToken(token))))
        .orElse(request);
    return Http.get(system).singleRequest(authorized)
        .thenCompose(response -> response.entity().toStrict(RESPONSE_READ.toMillis(), system)
            .thenApply(strict -> parse(response, strict.getData().utf8String())))
        .exceptionally(failure -> ApiResult.error(StatusCodes.BAD_GATEWAY,
            "the proxy at " + proxyUrl + " did not answer: " + rootMessage(failure)));
  }

  private ApiResult parse(HttpResponse response, String body) {
    try {
      return ApiResult.fromEnvelope(response.status(), JsonRpcCodec.MAPPER.readTree(body));
    } catch (java.io.IOException e) {
      return ApiResult.error(StatusCodes.BAD_GATEWAY,
          "the proxy at " + proxyUrl + " answered " + response.status().intValue() + " without a JSON envelope");
    }
  }

  private static String rootMessage(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return String.valueOf(t.getMessage());
  }
}
