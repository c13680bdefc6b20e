package io.mcprouter.api;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.extractRequest;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static io.mcprouter.api.ApiDirectives.callerAndBody;
import static io.mcprouter.api.ApiDirectives.render;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
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
import io.mcprouter.http.Endpoint;
import io.mcprouter.logging.LogText;
import io.mcprouter.server.ServerInstance;
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.trace.TraceHeaders;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
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

  /** Read per request: a reload adds and removes keys. */
  private final Supplier<RouterConfig> config;

  private final RouterSettings settings;
  private final ActorSystem<?> system;
  private final Credentials credentials;
  private final ServerControl control;
  private final ToolCalls toolCalls;
  private final OpenApiDocument openApi;
  private final TraceHeaders traceHeaders;

  public ApiRoutes(
      ActorRef<ServerRegistry.Command> registry,
      RouterConfig config,
      RouterSettings settings,
      ActorSystem<?> system,
      ServerControl control,
      OpenApiDocument openApi) {
    this(registry, () -> config, settings, system, control, openApi, TraceHeaders.OFF);
  }

  /** {@code traceHeaders}: carries a call's trace headers to the child's request. */
  public ApiRoutes(
      ActorRef<ServerRegistry.Command> registry,
      Supplier<RouterConfig> config,
      RouterSettings settings,
      ActorSystem<?> system,
      ServerControl control,
      OpenApiDocument openApi,
      TraceHeaders traceHeaders) {
    this.traceHeaders = traceHeaders;
    this.registry = registry;
    this.config = config;
    this.settings = settings;
    this.system = system;
    this.credentials = new Credentials(config);
    this.control = control;
    this.toolCalls = new ToolCalls(registry, settings, system);
    this.openApi = openApi;
  }

  static final Endpoint LIST_TOOLS = Endpoint.post(Endpoint.V1, "list-tools");
  static final Endpoint CALL_TOOL = Endpoint.post(Endpoint.V1, "call-tool");
  static final Endpoint LIST_SERVERS = Endpoint.post(Endpoint.V1, "list-servers");
  static final Endpoint LIST_RUNNING_SERVERS = Endpoint.get(Endpoint.V1, "list-running-servers");
  static final Endpoint STOP_SERVER = Endpoint.post(Endpoint.V1, "stop-server");
  static final Endpoint OPENAPI = Endpoint.get(Endpoint.V1, "openapi.json");

  /** Every endpoint under /v1, as openapi.json documents them. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(LIST_TOOLS, CALL_TOOL, LIST_SERVERS, LIST_RUNNING_SERVERS, STOP_SERVER, OPENAPI);

  public Route routes() {
    long max = settings.maxBodyBytes();
    return pathPrefix(
        Endpoint.V1,
        () ->
            concat(
                LIST_TOOLS.route(
                    () -> callerAndBody(credentials, max, settings.json(), this::listTools)),
                CALL_TOOL.route(
                    () -> callerAndBody(credentials, max, settings.json(), this::callTool)),
                LIST_SERVERS.route(
                    () -> callerAndBody(credentials, max, settings.json(), this::listServers)),
                LIST_RUNNING_SERVERS.route(
                    () -> callerAndBody(credentials, max, settings.json(), this::listRunning)),
                STOP_SERVER.route(
                    () -> callerAndBody(credentials, max, settings.json(), this::stopServer)),
                // a description of the API holds no secret: no credential, like /healthz
                OPENAPI.route(() -> complete(openApi.response()))));
  }

  private Route listTools(Credentials.Caller caller, JsonNode body) {
    return withServer(
        caller,
        body,
        key ->
            extractRequest(
                http ->
                    toolCalls.call(
                        key, "tools/list", traceHeaders.intoParams(null, http), Optional.empty())));
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
    Optional<String> problem = ToolCalls.problem(body);
    if (problem.isPresent()) {
      return render(ApiResult.error(StatusCodes.BAD_REQUEST, problem.get()));
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
          return extractRequest(
              http -> toolCalls.callTool(caller, key, traceHeaders.intoParams(params, http), body));
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
        && !(caller.mayUse(key) && config.get().servers().containsKey(key))) {
      return render(NOT_YOURS);
    }
    if (!caller.mayUse(key)) {
      return render(
          ApiResult.auth(
              StatusCodes.FORBIDDEN, "this server key does not authorize server '" + key + "'"));
    }
    if (!config.get().servers().containsKey(key)) {
      return render(ApiResult.error(StatusCodes.NOT_FOUND, "unknown server key '" + key + "'"));
    }
    return inner.apply(key);
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
        config.get().servers().values().stream().filter(spec -> caller.mayUse(spec.key())).toList();
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
      if (!(caller.mayUse(stop.key()) && config.get().servers().containsKey(stop.key()))) {
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
    if (!config.get().servers().containsKey(stop.key())) {
      return render(
          ApiResult.error(StatusCodes.NOT_FOUND, "unknown server key '" + stop.key() + "'"));
    }
    log.info("stop-server key={} force={} by={}", stop.key(), stop.force(), caller.displayName());
    return render(control.stop(stop.key(), stop.mode()).thenApply(ControlAnswers::stop));
  }
}
