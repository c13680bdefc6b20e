package io.mcprouter.api;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.extractRequest;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.Directives.post;
import static io.mcprouter.api.ApiDirectives.callerAndBody;
import static io.mcprouter.api.ApiDirectives.render;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.access.Credentials;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.control.ServerControl;
import io.mcprouter.control.ServerListing;
import io.mcprouter.control.StopRequest;
import io.mcprouter.http.ApiResult;
import io.mcprouter.logging.LogText;
import io.mcprouter.server.ApiCall;
import io.mcprouter.server.ServerInstance;
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.trace.TraceHeaders;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API (default port 8027): list and call tools without speaking MCP, list servers, and the
 * operator actions. {@code Authorization: Bearer <server key>} selects and authorizes one server;
 * the admin token authorizes every server.
 */
public final class ApiRoutes {

  private static final int DEFAULT_PAGE_SIZE = 30;
  private static final int MAX_PAGE_SIZE = 200;
  private static final Logger log = LoggerFactory.getLogger(ApiRoutes.class);

  /**
   * An access key's answer for a server that does not exist and for one it may not use: the same
   * bytes, so the key's holder cannot learn which servers exist beyond its own.
   */
  static final ApiResult NOT_YOURS =
      ApiResult.auth(
          StatusCodes.FORBIDDEN,
          "this access key does not authorize that server, or there is no such server");

  private final ActorRef<ServerRegistry.Command> registry;
  private final RouterConfig config;
  private final RouterSettings settings;
  private final ActorSystem<?> system;
  private final Credentials credentials;
  private final ServerControl control;
  private final TraceHeaders traceHeaders;

  public ApiRoutes(
      ActorRef<ServerRegistry.Command> registry,
      RouterConfig config,
      RouterSettings settings,
      ActorSystem<?> system,
      ServerControl control) {
    this(registry, config, settings, system, control, TraceHeaders.OFF);
  }

  /** {@code traceHeaders}: carries a call's trace headers to the child's request. */
  public ApiRoutes(
      ActorRef<ServerRegistry.Command> registry,
      RouterConfig config,
      RouterSettings settings,
      ActorSystem<?> system,
      ServerControl control,
      TraceHeaders traceHeaders) {
    this.traceHeaders = traceHeaders;
    this.registry = registry;
    this.config = config;
    this.settings = settings;
    this.system = system;
    this.credentials = new Credentials(config);
    this.control = control;
  }

  public Route routes() {
    long max = settings.maxBodyBytes();
    return concat(
        HealthRoute.route(),
        pathPrefix(
            "v1",
            () ->
                concat(
                    path(
                        "list-tools",
                        () ->
                            post(
                                () ->
                                    callerAndBody(
                                        credentials, max, settings.json(), this::listTools))),
                    path(
                        "call-tool",
                        () ->
                            post(
                                () ->
                                    callerAndBody(
                                        credentials, max, settings.json(), this::callTool))),
                    path(
                        "list-servers",
                        () ->
                            post(
                                () ->
                                    callerAndBody(
                                        credentials, max, settings.json(), this::listServers))),
                    path(
                        "list-running-servers",
                        () ->
                            get(
                                () ->
                                    callerAndBody(
                                        credentials, max, settings.json(), this::listRunning))),
                    path(
                        "stop-server",
                        () ->
                            post(
                                () ->
                                    callerAndBody(
                                        credentials, max, settings.json(), this::stopServer))))));
  }

  private Route listTools(Credentials.Caller caller, JsonNode body) {
    return withServer(caller, body, key -> call(key, "tools/list", null));
  }

  private Route callTool(Credentials.Caller caller, JsonNode body) {
    JsonNode name = body.get("name");
    JsonNode arguments = body.get("arguments");
    if (name == null || !name.isTextual() || name.asText().isBlank()) {
      return render(
          ApiResult.error(
              StatusCodes.BAD_REQUEST, "'name' (the tool to call) must be a non-empty string"));
    }
    if (arguments != null && !arguments.isNull() && !arguments.isObject()) {
      return render(ApiResult.error(StatusCodes.BAD_REQUEST, "'arguments' must be a JSON object"));
    }
    ObjectNode params = JsonNodeFactory.instance.objectNode().put("name", name.asText());
    params.set(
        "arguments",
        arguments == null || arguments.isNull()
            ? JsonNodeFactory.instance.objectNode()
            : arguments);
    return withServer(
        caller,
        body,
        key -> {
          caller
              .accessKey()
              .ifPresent(
                  a ->
                      log.info(
                          "call-tool key={} tool={} access_key={}",
                          key,
                          LogText.safe(name.asText()),
                          a.name()));
          return call(key, "tools/call", params);
        });
  }

  /**
   * The server a call is for: the caller's own key, or for the admin the body's "server" (or
   * "server_key").
   */
  private Route withServer(
      Credentials.Caller caller, JsonNode body, Function<String, Route> inner) {
    Optional<String> named =
        Optional.ofNullable(body.get("server"))
            .or(() -> Optional.ofNullable(body.get("server_key")))
            .filter(JsonNode::isTextual)
            .map(JsonNode::asText);
    String key = named.orElse(caller.defaultServer().orElse(null));
    if (key == null) {
      return render(
          ApiResult.error(
              StatusCodes.BAD_REQUEST,
              caller.isAdmin()
                  ? "name the server with \"server\": \"<key>\" when using the admin token"
                  : "this access key may use several servers: name one with \"server\": \"<key>\""));
    }
    if (caller.accessKey().isPresent()
        && !(caller.mayUse(key) && config.servers().containsKey(key))) {
      return render(NOT_YOURS);
    }
    if (!caller.mayUse(key)) {
      return render(
          ApiResult.auth(
              StatusCodes.FORBIDDEN, "this server key does not authorize server '" + key + "'"));
    }
    if (!config.servers().containsKey(key)) {
      return render(ApiResult.error(StatusCodes.NOT_FOUND, "unknown server key '" + key + "'"));
    }
    return inner.apply(key);
  }

  private Route call(String key, String method, ObjectNode params) {
    return extractRequest(http -> ask(key, method, traceHeaders.intoParams(params, http)));
  }

  private Route ask(String key, String method, ObjectNode params) {
    CompletionStage<ApiCall.CallReply> reply =
        AskPattern.ask(
            registry,
            replyTo ->
                new ServerRegistry.Call(key, method, params, settings.callTimeout(), replyTo),
            settings.callTimeout().plus(settings.askTimeout()),
            system.scheduler());
    return render(
        reply.thenApplyAsync(
            answer -> {
              if (answer instanceof ApiCall.CallResult result) {
                return ApiResult.ok("ok", result.result());
              }
              ApiCall.CallFailed failed = (ApiCall.CallFailed) answer;
              StatusCode status =
                  switch (failed.kind()) {
                    case SERVER_ERROR, SERVER_GONE -> StatusCodes.BAD_GATEWAY;
                    case UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
                    case TIMEOUT -> StatusCodes.GATEWAY_TIMEOUT;
                  };
              ApiResult error = ApiResult.error(status, failed.error().message());
              return new ApiResult(
                  error.status(), error.code(), error.message(), failed.error().toJson());
            },
            system.executionContext()));
  }

  private Route listServers(Credentials.Caller caller, JsonNode body) {
    JsonNode page = body.path("page");
    JsonNode limit = body.path("limit");
    if (!page.isMissingNode()
        && (!page.canConvertToInt() || !page.isIntegralNumber() || page.asInt() < 1)) {
      return render(ApiResult.error(StatusCodes.BAD_REQUEST, "'page' must be an integer from 1"));
    }
    if (!limit.isMissingNode()
        && (!limit.isIntegralNumber() || limit.asInt() < 1 || limit.asInt() > MAX_PAGE_SIZE)) {
      return render(
          ApiResult.error(
              StatusCodes.BAD_REQUEST, "'limit' must be an integer from 1 to " + MAX_PAGE_SIZE));
    }
    int pageNumber = page.asInt(1);
    int pageSize = limit.asInt(DEFAULT_PAGE_SIZE);
    List<ServerSpec> visible =
        config.servers().values().stream().filter(spec -> caller.mayUse(spec.key())).toList();
    return render(
        control
            .listRunning()
            .thenApply(
                listing -> {
                  // without the list (a proxy that does not answer) every server is shown as not
                  // running
                  Set<String> runningKeys = new HashSet<>();
                  if (listing instanceof ServerListing.Running running) {
                    running.servers().forEach(server -> runningKeys.add(server.key()));
                  }
                  ObjectNode data = JsonNodeFactory.instance.objectNode();
                  ArrayNode servers = data.putArray("servers");
                  visible.stream()
                      .skip((long) (pageNumber - 1) * pageSize)
                      .limit(pageSize)
                      .forEach(
                          spec -> {
                            ObjectNode entry = servers.addObject();
                            entry.put("server_key", spec.key());
                            entry.put("share_process", spec.shareProcess());
                            entry.put("running", runningKeys.contains(spec.key()));
                            entry.put("description", spec.description().orElse(null));
                          });
                  data.put("page", pageNumber);
                  data.put("limit", pageSize);
                  data.put("total", visible.size());
                  return ApiResult.ok("ok", data);
                }));
  }

  private Route listRunning(Credentials.Caller caller, JsonNode body) {
    return render(
        control
            .listRunning()
            .thenApply(
                listing -> {
                  if (caller.isAdmin() || !(listing instanceof ServerListing.Running running)) {
                    return ControlAnswers.listing(listing, ControlAnswers.Audience.OPERATOR);
                  }
                  List<ServerInstance.Status> mine =
                      running.servers().stream()
                          .filter(server -> caller.mayUse(server.key()))
                          .toList();
                  // a shared child's stderr may hold another user's data
                  return ControlAnswers.listing(
                      new ServerListing.Running(mine), ControlAnswers.Audience.KEY_HOLDER);
                }));
  }

  private Route stopServer(Credentials.Caller caller, JsonNode body) {
    Optional<String> problem = StopRequest.problem(body);
    if (problem.isPresent()) {
      return render(ApiResult.error(StatusCodes.BAD_REQUEST, problem.get()));
    }
    StopRequest stop = StopRequest.from(body);
    if (caller.accessKey().isPresent()) {
      if (!(caller.mayUse(stop.key()) && config.servers().containsKey(stop.key()))) {
        return render(NOT_YOURS);
      }
      if (!caller.mayStop(stop.key())) {
        return render(
            ApiResult.auth(
                StatusCodes.FORBIDDEN, "this access key may not stop servers (may_stop = false)"));
      }
    }
    if (!caller.mayUse(stop.key())) {
      return render(
          ApiResult.auth(
              StatusCodes.FORBIDDEN,
              "this server key does not authorize stopping '" + stop.key() + "'"));
    }
    if (!config.servers().containsKey(stop.key())) {
      return render(
          ApiResult.error(StatusCodes.NOT_FOUND, "unknown server key '" + stop.key() + "'"));
    }
    log.info("stop-server key={} force={} by={}", stop.key(), stop.force(), caller.displayName());
    return render(control.stop(stop.key(), stop.mode()).thenApply(ControlAnswers::stop));
  }

  /** {@code GET /health}: the process is up and serving HTTP. */
  public static final class HealthRoute {
    private HealthRoute() {}

    public static Route route() {
      return path(
          "health",
          () ->
              get(
                  () ->
                      complete(
                          StatusCodes.OK,
                          HttpEntities.create(
                              ContentTypes.APPLICATION_JSON, "{\"status\":\"ok\"}"))));
    }
  }
}
