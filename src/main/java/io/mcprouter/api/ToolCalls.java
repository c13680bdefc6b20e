package io.mcprouter.api;

import static io.mcprouter.api.ApiDirectives.render;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.mcprouter.access.Credentials;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.http.ApiResult;
import io.mcprouter.modern.ParkedCalls;
import io.mcprouter.modern.RequestState;
import io.mcprouter.server.ApiCall;
import io.mcprouter.server.ApiInput;
import io.mcprouter.server.ServerRegistry;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

/**
 * REST calls to a server's child, and the REST face of multi round-trip calls: a {@code
 * /v1/call-tool} that declares {@code capabilities} it can answer gets the child's asks as an
 * {@code input_required} envelope with a {@code requestState}, and its retry with {@code
 * inputResponses} and that state goes on with the same child call. A caller that declares nothing
 * is answered as before: the child's asks are refused to the child.
 */
final class ToolCalls {

  private final ActorRef<ServerRegistry.Command> registry;
  private final RouterSettings settings;
  private final ActorSystem<?> system;
  private final ApiInput.Rounds rounds;

  ToolCalls(
      ActorRef<ServerRegistry.Command> registry, RouterSettings settings, ActorSystem<?> system) {
    this.registry = registry;
    this.settings = settings;
    this.system = system;
    Config mrtr = system.settings().config().getConfig("mcprouter.mrtr");
    this.rounds =
        new ApiInput.Rounds(
            RequestState.forSecret(mrtr.getString("secret")),
            new ParkedCalls<>(),
            mrtr.getDuration("park-timeout"));
  }

  /** What is wrong with a call-tool body's multi round-trip members, if anything. */
  static Optional<String> problem(JsonNode body) {
    if (!absentOr(body.get("capabilities"), JsonNode::isObject)) {
      return Optional.of(
          "'capabilities' must be a JSON object (e.g. {\"elicitation\": {}, \"sampling\": {}})");
    }
    if (!absentOr(body.get("inputResponses"), JsonNode::isObject)) {
      return Optional.of(
          "'inputResponses' must be a JSON object keyed by the input requests' keys");
    }
    if (!absentOr(body.get("requestState"), JsonNode::isTextual)) {
      return Optional.of("'requestState' must be the string an input_required answer gave");
    }
    return Optional.empty();
  }

  private static boolean absentOr(JsonNode node, Predicate<JsonNode> valid) {
    return node == null || node.isNull() || valid.test(node);
  }

  /** A {@code tools/call} ({@code params}: its name and arguments), a first call or a retry. */
  Route callTool(Credentials.Caller caller, String key, JsonNode params, JsonNode body) {
    JsonNode capabilities = present(body.get("capabilities"));
    JsonNode responses = present(body.get("inputResponses"));
    JsonNode state = present(body.get("requestState"));
    if (state != null) {
      return resume(caller, key, params, responses, state.asText());
    }
    return call(
        key,
        "tools/call",
        params,
        capabilities == null
            ? Optional.empty()
            : Optional.of(new ApiInput(rounds, owner(caller), capabilities, responses)));
  }

  Route call(String key, String method, JsonNode params, Optional<ApiInput> input) {
    CompletionStage<ApiCall.CallReply> reply =
        AskPattern.ask(
            registry,
            replyTo ->
                new ServerRegistry.Call(
                    key, method, params, settings.callTimeout(), input, replyTo),
            settings.callTimeout().plus(settings.askTimeout()),
            system.scheduler());
    return render(reply.thenApplyAsync(ToolCalls::envelope, system.executionContext()));
  }

  /**
   * A retry: its state must be one this router issued, unexpired, for this key and credential,
   * naming a call still parked; anything else is a 400 saying which, and reaches no child.
   */
  private Route resume(
      Credentials.Caller caller, String key, JsonNode params, JsonNode responses, String state) {
    String owner = owner(caller);
    long now = System.currentTimeMillis();
    Optional<String> problem = rounds.states().problem(state, key, owner, now);
    if (problem.isPresent()) {
      return render(ApiResult.error(StatusCodes.BAD_REQUEST, "requestState " + problem.get()));
    }
    Optional<ActorRef<ApiCall.Command>> parked =
        rounds
            .states()
            .verify(state, key, owner, now)
            .flatMap(named -> rounds.parked().find(named.callId(), key, owner));
    if (parked.isEmpty()) {
      return render(
          ApiResult.error(
              StatusCodes.BAD_REQUEST,
              "requestState names a call that has ended (answered, cancelled, or expired)"));
    }
    CompletionStage<ApiCall.CallReply> reply =
        AskPattern.ask(
            parked.get(),
            replyTo -> new ApiCall.Resume(params, responses, replyTo),
            settings.callTimeout().plus(settings.askTimeout()),
            system.scheduler());
    return render(reply.thenApplyAsync(ToolCalls::envelope, system.executionContext()));
  }

  private static ApiResult envelope(ApiCall.CallReply answer) {
    if (answer instanceof ApiCall.CallResult result) {
      return ApiResult.ok("ok", result.result());
    }
    if (answer instanceof ApiCall.CallInputRequired input) {
      return ApiResult.ok("input required", input.result());
    }
    if (answer instanceof ApiCall.RetryRefused refused) {
      return ApiResult.error(StatusCodes.BAD_REQUEST, refused.reason());
    }
    ApiCall.CallFailed failed = (ApiCall.CallFailed) answer;
    StatusCode status =
        switch (failed.kind()) {
          case SERVER_ERROR, SERVER_GONE -> StatusCodes.BAD_GATEWAY;
          case UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
          case TIMEOUT -> StatusCodes.GATEWAY_TIMEOUT;
        };
    ApiResult error = ApiResult.error(status, failed.error().message());
    return new ApiResult(error.status(), error.code(), error.message(), failed.error().toJson());
  }

  /**
   * The credential a call's states are bound to: the access key's name, the admin, a server key.
   */
  private static String owner(Credentials.Caller caller) {
    return caller.displayName();
  }

  private static JsonNode present(JsonNode node) {
    return node == null || node.isNull() ? null : node;
  }
}
