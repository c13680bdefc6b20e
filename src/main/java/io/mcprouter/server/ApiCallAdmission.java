package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.ActorContext;
import io.mcprouter.config.LiveConfig;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.server.SessionDirectory.Transport;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How the registry takes a REST call: a call is a short session of its own on the key's shared
 * child, so it is refused by the same bounds as a session (and at once when no child can start),
 * entered in the {@link SessionDirectory}, and run by an {@link ApiCall} actor. Used only by the
 * registry actor, on its thread.
 */
final class ApiCallAdmission<C> {

  private final ActorContext<C> context;
  private final LiveConfig config;
  private final SessionDirectory directory;
  private final Instances<C> instances;
  private final Admission admission;
  private final CrashLoopBars crashLoops;
  private final Supplier<String> newSessionId;
  private final Function<String, C> onSessionTerminated;
  private long calls;

  /** {@code onSessionTerminated}: what the registry is told when a call's session has ended. */
  ApiCallAdmission(
      ActorContext<C> context,
      LiveConfig config,
      SessionDirectory directory,
      Instances<C> instances,
      Admission admission,
      CrashLoopBars crashLoops,
      Supplier<String> newSessionId,
      Function<String, C> onSessionTerminated) {
    this.context = context;
    this.config = config;
    this.directory = directory;
    this.instances = instances;
    this.admission = admission;
    this.crashLoops = crashLoops;
    this.newSessionId = newSessionId;
    this.onSessionTerminated = onSessionTerminated;
  }

  /** Starts the call, or answers its caller with why it cannot run. */
  void start(ServerRegistry.Call call, boolean shuttingDown) {
    ServerSpec spec = config.get().servers().get(call.key());
    if (spec == null || shuttingDown) {
      call.replyTo()
          .tell(
              unavailable(
                  spec == null
                      ? "unknown server key '" + call.key() + "'"
                      : "the router is shutting down"));
      return;
    }
    Optional<ServerInstance.KeyFailed> failed = crashLoops.barring(spec.key());
    if (failed.isPresent()) {
      call.replyTo()
          .tell(new ApiCall.CallFailed(ApiCall.CallFailure.SERVER_GONE, failed.get().error()));
      return;
    }
    ServerSpec apiSpec = spec.withSharedProcess();
    boolean needsChild = instances.needsChild(apiSpec);
    // a full router refuses at once: no session is evicted for a call that could not start its
    // child
    Optional<Admission.Refusal> refusal =
        admission
            .childrenFull(needsChild, instances.size())
            .or(() -> admission.admit(spec.key(), needsChild, instances.size()));
    if (refusal.isPresent()) {
      // a REST call is a short session of its own, so it counts against the same bounds
      context
          .getLog()
          .warn(
              "REST call refused key={} reason={} setting={}",
              spec.key(),
              refusal.get().message(),
              refusal.get().setting());
      call.replyTo().tell(unavailable(refusal.get().message()));
      return;
    }
    // a per-session key still serves API calls from one multiplexed child, never a process per call
    ActorRef<ServerInstance.Command> server = instances.shared(apiSpec);
    String sessionId = newSessionId.get();
    directory.put(
        sessionId,
        SessionDirectory.Entry.opened(spec.key(), server, Transport.API, Optional.empty(), null));
    ActorRef<ApiCall.Command> apiCall =
        context.spawn(
            ApiCall.create(
                server,
                sessionId,
                spec.key(),
                call.method(),
                call.params(),
                call.timeout(),
                call.input(),
                call.replyTo()),
            "api-call-" + spec.key() + "-" + (++calls));
    // a call answered from the cache opens no session: its index entry goes when the call does
    context.watchWith(apiCall, onSessionTerminated.apply(sessionId));
  }

  private static ApiCall.CallFailed unavailable(String message) {
    return new ApiCall.CallFailed(
        ApiCall.CallFailure.UNAVAILABLE, new JsonRpcError(JsonRpcError.UNAVAILABLE, message));
  }
}
