package io.mcprouter.admin;

import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.optionalAttribute;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.Directives.post;
import static io.mcprouter.api.ApiDirectives.clientInfo;
import static io.mcprouter.api.ApiDirectives.jsonObjectBody;
import static io.mcprouter.api.ApiDirectives.render;
import static io.mcprouter.http.BearerToken.bearer;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.model.AttributeKeys;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.access.Credentials;
import io.mcprouter.api.ControlAnswers;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.control.ServerControl;
import io.mcprouter.control.StopRequest;
import io.mcprouter.http.ApiResult;
import io.mcprouter.reload.ConfigReloader;
import io.mcprouter.server.ServerRegistry;
import java.net.InetAddress;
import java.time.Duration;
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

  /** Reading the file, and the registry's answer, each bounded well within it. */
  private static final Duration RELOAD_TIMEOUT = Duration.ofSeconds(40);

  private final ActorRef<ServerRegistry.Command> registry;
  private final RouterSettings settings;
  private final ActorSystem<?> system;
  private final Credentials credentials;
  private final ServerControl control;
  private final Optional<ActorRef<ConfigReloader.Command>> reloader;

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

  public Route routes() {
    return pathPrefix(
        "admin",
        () ->
            operatorOnly(
                credentials,
                "/admin",
                () ->
                    clientInfo(
                        settings.json(),
                        concat(
                            path("list-clients", () -> get(this::listClients)),
                            path(
                                "list-running-servers",
                                () ->
                                    get(
                                        () ->
                                            render(
                                                control
                                                    .listRunning()
                                                    .thenApply(
                                                        listing ->
                                                            ControlAnswers.listing(
                                                                listing,
                                                                ControlAnswers.Audience
                                                                    .OPERATOR))))),
                            path("stop-server", () -> post(this::stopServer)),
                            path("reload", () -> post(this::reload))))));
  }

  /**
   * {@code inner} for the operator only: the admin token when one is configured, else a loopback
   * peer (never once access keys are configured); {@code what} names the path in the refusals.
   */
  static Route operatorOnly(Credentials credentials, String what, Supplier<Route> inner) {
    if (credentials.adminTokenConfigured()) {
      return bearer(
          token -> {
            if (token.isEmpty()) {
              return render(
                  ApiResult.auth(
                      StatusCodes.UNAUTHORIZED,
                      "missing 'Authorization: Bearer <admin token>' header"));
            }
            return credentials.isAdminToken(token.get())
                ? inner.get()
                : render(ApiResult.auth(StatusCodes.FORBIDDEN, "invalid admin token"));
          });
    }
    if (credentials.accessKeysConfigured()) {
      // with several users on the host (why access keys exist), a loopback caller is anyone of them
      return render(
          ApiResult.auth(
              StatusCodes.FORBIDDEN,
              what + " needs an admin token when access keys are configured, and none is"));
    }
    return optionalAttribute(
        AttributeKeys.remoteAddress,
        remote -> {
          Optional<InetAddress> address = remote.flatMap(r -> r.getAddress());
          return address.map(InetAddress::isLoopbackAddress).orElse(false)
              ? inner.get()
              : render(
                  ApiResult.auth(
                      StatusCodes.FORBIDDEN,
                      what + " answers only loopback callers unless an admin token is configured"));
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

  /**
   * Reads {@code .env.toml} again and applies it: 200 with what changed, 400 with why the file is
   * invalid (then nothing changed).
   */
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
