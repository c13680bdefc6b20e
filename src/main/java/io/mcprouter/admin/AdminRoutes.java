package io.mcprouter.admin;

import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static io.mcprouter.api.ApiDirectives.clientInfo;
import static io.mcprouter.api.ApiDirectives.jsonObjectBody;
import static io.mcprouter.api.ApiDirectives.render;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.access.Credentials;
import io.mcprouter.access.OperatorAccess;
import io.mcprouter.api.ControlAnswers;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.control.ServerControl;
import io.mcprouter.control.StopRequest;
import io.mcprouter.http.ApiResult;
import io.mcprouter.http.Endpoint;
import io.mcprouter.reload.ConfigReloader;
import io.mcprouter.server.ServerRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Operator endpoints on the proxy port. With an admin token configured they require it; without one
 * they answer only callers on a loopback address (the TCP peer, never a forwarded header), and
 * nobody at all once access keys are configured: only the admin token, or an access key's own stop
 * right on {@code /v1/stop-server}, may then stop a server.
 */
public final class AdminRoutes {

  /** How much of a session id /admin/list-clients shows: as much as a log line. */
  public static final int SESSION_PREFIX = 8;

  private final ActorRef<ServerRegistry.Command> registry;
  private final RouterSettings settings;
  private final ActorSystem<?> system;
  private final Credentials credentials;
  private final ServerControl control;
  private final Optional<ActorRef<ConfigReloader.Command>> reloader;

  /** Reading the file, and the registry's answer, each bounded well within it. */
  private static final Duration RELOAD_TIMEOUT = Duration.ofSeconds(40);

  public AdminRoutes(
      ActorRef<ServerRegistry.Command> registry,
      RouterConfig config,
      RouterSettings settings,
      ActorSystem<?> system,
      ServerControl control) {
    this(registry, () -> config, settings, system, control, Optional.empty());
  }

  /** {@code reloader}: what {@code POST /admin/reload} asks; without one it answers 404. */
  public AdminRoutes(
      ActorRef<ServerRegistry.Command> registry,
      Supplier<RouterConfig> config,
      RouterSettings settings,
      ActorSystem<?> system,
      ServerControl control,
      Optional<ActorRef<ConfigReloader.Command>> reloader) {
    this.registry = registry;
    this.settings = settings;
    this.system = system;
    this.credentials = new Credentials(config);
    this.control = control;
    this.reloader = reloader;
  }

  static final Endpoint LIST_CLIENTS = Endpoint.get(Endpoint.ADMIN, "list-clients");
  static final Endpoint LIST_RUNNING_SERVERS = Endpoint.get(Endpoint.ADMIN, "list-running-servers");
  static final Endpoint STOP_SERVER = Endpoint.post(Endpoint.ADMIN, "stop-server");
  static final Endpoint RELOAD = Endpoint.post(Endpoint.ADMIN, "reload");

  /** Every endpoint under /admin, as openapi.json documents them. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(LIST_CLIENTS, LIST_RUNNING_SERVERS, STOP_SERVER, RELOAD);

  public Route routes() {
    return pathPrefix(
        Endpoint.ADMIN,
        () ->
            admin(
                () ->
                    clientInfo(
                        settings.json(),
                        concat(
                            LIST_CLIENTS.route(this::listClients),
                            LIST_RUNNING_SERVERS.route(
                                () ->
                                    render(
                                        control
                                            .listRunning()
                                            .thenApply(
                                                listing ->
                                                    ControlAnswers.listing(
                                                        listing,
                                                        ControlAnswers.Audience.OPERATOR)))),
                            STOP_SERVER.route(this::stopServer),
                            RELOAD.route(this::reload)))));
  }

  private Route admin(Supplier<Route> inner) {
    return operatorOnly(credentials, "/admin", inner);
  }

  /**
   * {@code inner} for the operator only ({@link OperatorAccess}); {@code what} names the path in
   * the refusals.
   */
  static Route operatorOnly(Credentials credentials, String what, Supplier<Route> inner) {
    return OperatorAccess.verdict(
        credentials,
        verdict ->
            switch (verdict) {
              case OPERATOR -> inner.get();
              case MISSING_TOKEN ->
                  render(
                      ApiResult.auth(
                          StatusCodes.UNAUTHORIZED,
                          "missing 'Authorization: Bearer <admin token>' header"));
              case INVALID_TOKEN ->
                  render(ApiResult.auth(StatusCodes.FORBIDDEN, "invalid admin token"));
              // with several users on the host (why access keys exist), a loopback caller is
              // anyone of them
              case CLOSED_BY_ACCESS_KEYS ->
                  render(
                      ApiResult.auth(
                          StatusCodes.FORBIDDEN,
                          what
                              + " needs an admin token when access keys are configured, and none"
                              + " is"));
              case NOT_LOOPBACK ->
                  render(
                      ApiResult.auth(
                          StatusCodes.FORBIDDEN,
                          what
                              + " answers only loopback callers unless an admin token is"
                              + " configured"));
            });
  }

  private Route listClients() {
    return render(
        AskPattern.<ServerRegistry.Command, ServerRegistry.Clients>ask(
                registry,
                ServerRegistry.ListClients::new,
                settings.askTimeout(),
                system.scheduler())
            .thenApplyAsync(
                clients -> {
                  ObjectNode data = JsonNodeFactory.instance.objectNode();
                  ArrayNode list = data.putArray("clients");
                  clients
                      .clients()
                      .forEach(
                          client ->
                              list.addObject()
                                  // a prefix that tells sessions apart for an operator; a full id
                                  // would let whoever reads
                                  // this list post into, or replay the answers of, another client's
                                  // session
                                  .put(
                                      "session_id",
                                      client
                                          .sessionId()
                                          .substring(
                                              0,
                                              Math.min(
                                                  SESSION_PREFIX, client.sessionId().length())))
                                  .put("server_key", client.key())
                                  .put("opened_at", client.openedAt().toString()));
                  return ApiResult.ok(clients.clients().size() + " clients", data);
                },
                system.executionContext()));
  }

  private Route reload() {
    if (reloader.isEmpty()) {
      return render(ApiResult.error(StatusCodes.NOT_FOUND, "this router does not reload"));
    }
    return render(
        AskPattern.<ConfigReloader.Command, ConfigReloader.Outcome>ask(
                reloader.get(),
                replyTo -> new ConfigReloader.Reload(ConfigReloader.Trigger.REQUEST, replyTo),
                RELOAD_TIMEOUT,
                system.scheduler())
            .thenApplyAsync(ReloadAnswer::of, system.executionContext()));
  }

  private Route stopServer() {
    return jsonObjectBody(
        settings.maxBodyBytes(),
        settings.json(),
        body ->
            StopRequest.problem(body)
                .map(problem -> render(ApiResult.error(StatusCodes.BAD_REQUEST, problem)))
                .orElseGet(
                    () -> {
                      StopRequest stop = StopRequest.from(body);
                      return render(
                          control.stop(stop.key(), stop.mode()).thenApply(ControlAnswers::stop));
                    }));
  }
}
