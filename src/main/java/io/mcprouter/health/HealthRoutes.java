package io.mcprouter.health;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.parameterOptional;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.CacheControl;
import akka.http.javadsl.model.headers.CacheDirectives;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.access.Credentials;
import io.mcprouter.access.OperatorAccess;
import io.mcprouter.http.Endpoint;
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.server.ServerRegistry.KeyState;
import io.mcprouter.server.ServerRegistry.KeyStates;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Probes for an orchestrator or load balancer, on both ports, with no credential: {@code /health}
 * (HTTP is served), {@code /healthz} (the actor system answers: one ask to the server registry) and
 * {@code /readyz} (ports bound, no shutdown begun, config loaded, registry answering). With {@code
 * ?verbose} the readiness answer counts the keys by state; the operator (the /admin rule) also gets
 * each key's state and a failed key's reason. A key's name is a credential without access keys (the
 * REST bearer, the MCP path) and a secret with them (answers never tell which keys exist), so
 * nobody else is shown one.
 */
public final class HealthRoutes {

  static final Endpoint HEALTH = Endpoint.get(Endpoint.TOP, "health");
  static final Endpoint HEALTHZ = Endpoint.get(Endpoint.TOP, "healthz");
  static final Endpoint READYZ = Endpoint.get(Endpoint.TOP, "readyz");

  /** Every endpoint of this class, on both ports, as openapi.json documents them. */
  public static final List<Endpoint> ENDPOINTS = List.of(HEALTH, HEALTHZ, READYZ);

  private static final String OK_BODY = "{\"status\":\"ok\"}";

  private final ActorRef<ServerRegistry.Command> registry;
  private final Credentials credentials;
  private final Duration timeout;
  private final ActorSystem<?> system;
  private final Readiness readiness;

  public HealthRoutes(
      ActorRef<ServerRegistry.Command> registry,
      Credentials credentials,
      Duration timeout,
      ActorSystem<?> system,
      Readiness readiness) {
    this.registry = registry;
    this.credentials = credentials;
    this.timeout = timeout;
    this.system = system;
    this.readiness = readiness;
  }

  public Route routes() {
    return concat(
        HEALTH.route(() -> complete(json(StatusCodes.OK, OK_BODY))),
        HEALTHZ.route(this::healthz),
        READYZ.route(
            () ->
                parameterOptional(
                    "verbose",
                    verbose ->
                        isVerbose(verbose)
                            ? OperatorAccess.verdict(
                                credentials,
                                verdict -> readyz(true, verdict == OperatorAccess.Verdict.OPERATOR))
                            : readyz(false, false))));
  }

  /**
   * {@code ?verbose}, {@code ?verbose=1}, {@code ?verbose=true}; not {@code =0} or {@code =false}.
   */
  private static boolean isVerbose(Optional<String> value) {
    return value
        .map(v -> v.toLowerCase(Locale.ROOT))
        .map(v -> !v.equals("0") && !v.equals("false"))
        .orElse(false);
  }

  private Route healthz() {
    return respond(
        askRegistry()
            .thenApply(
                states ->
                    states.isPresent()
                        ? json(StatusCodes.OK, OK_BODY)
                        : json(StatusCodes.SERVICE_UNAVAILABLE, unanswered().toString())));
  }

  private Route readyz(boolean verbose, boolean operator) {
    boolean shuttingDown = CoordinatedShutdown.get(system).getShutdownReason().isPresent();
    boolean bound = readiness.arePortsBound();
    // a router that is stopping is not asked anything: the answer must not wait on it
    CompletionStage<Optional<KeyStates>> states =
        shuttingDown ? CompletableFuture.completedFuture(Optional.empty()) : askRegistry();
    return respond(
        states.thenApply(
            answer -> {
              boolean ready = !shuttingDown && bound && answer.isPresent();
              ObjectNode body = JsonNodeFactory.instance.objectNode();
              body.put("status", ready ? "ready" : "not_ready");
              ObjectNode checks = body.putObject("checks");
              // the router does not start without a valid config: loaded whenever it answers
              checks.put("config_loaded", true);
              checks.put("ports_bound", bound);
              checks.put("shutting_down", shuttingDown);
              checks.put("registry_answers", answer.isPresent());
              if (verbose && answer.isPresent()) {
                describeKeys(body, answer.get(), operator);
              }
              return json(
                  ready ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, body.toString());
            }));
  }

  private static void describeKeys(ObjectNode body, KeyStates states, boolean operator) {
    Map<KeyState.State, Integer> counts = new EnumMap<>(KeyState.State.class);
    for (KeyState.State state : KeyState.State.values()) {
      counts.put(state, 0);
    }
    states.keys().forEach(key -> counts.merge(key.state(), 1, Integer::sum));
    ObjectNode keys = body.putObject("keys");
    counts.forEach((state, count) -> keys.put(name(state), count));
    if (!operator) {
      return;
    }
    ArrayNode servers = body.putArray("servers");
    for (KeyState key : states.keys()) {
      ObjectNode entry =
          servers.addObject().put("server_key", key.key()).put("state", name(key.state()));
      key.reason().ifPresent(reason -> entry.put("reason", reason));
    }
  }

  private static String name(KeyState.State state) {
    return state.name().toLowerCase(Locale.ROOT);
  }

  /** Empty when the registry did not answer in time (or is gone). */
  private CompletionStage<Optional<KeyStates>> askRegistry() {
    return AskPattern.<ServerRegistry.Command, KeyStates>ask(
            registry, ServerRegistry.GetKeyStates::new, timeout, system.scheduler())
        .handle((states, failure) -> Optional.ofNullable(failure == null ? states : null));
  }

  private ObjectNode unanswered() {
    return JsonNodeFactory.instance
        .objectNode()
        .put("status", "unavailable")
        .put("reason", "the router's actors did not answer within " + timeout.toMillis() + " ms");
  }

  private static Route respond(CompletionStage<HttpResponse> response) {
    return onSuccess(response, done -> complete(done));
  }

  private static HttpResponse json(StatusCode status, String body) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body))
        // a cached probe answer would hide the state it probes
        .addHeader(CacheControl.create(CacheDirectives.NO_STORE));
  }
}
