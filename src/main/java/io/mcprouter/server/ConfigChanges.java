package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.ActorContext;
import io.mcprouter.config.ConfigDiff;
import io.mcprouter.config.LiveConfig;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.ServerSpec;
import java.util.List;
import java.util.Optional;

/**
 * A reload's new configuration applied to the running servers as a {@link ConfigDiff}: removed keys
 * are stopped gracefully with a reason their sessions hear; keys whose launch changed are retired
 * (their sessions finish on their child, the next session starts one of the new spec); settings
 * taken in place are sent to the running instances; unchanged keys are not touched. Used only by
 * the registry actor, on its thread.
 */
final class ConfigChanges {

  static final String REMOVED = "was removed from the configuration";

  private final ActorContext<?> context;
  private final LiveConfig config;
  private final Instances<?> instances;
  private final SpareChildren spares;
  private final CrashLoopBars crashLoops;

  ConfigChanges(
      ActorContext<?> context,
      LiveConfig config,
      Instances<?> instances,
      SpareChildren spares,
      CrashLoopBars crashLoops) {
    this.context = context;
    this.config = config;
    this.instances = instances;
    this.spares = spares;
    this.crashLoops = crashLoops;
  }

  /**
   * Publishes {@code next} to the routes only now: a key is admitted by them once the registry
   * serves it.
   */
  ConfigDiff apply(RouterConfig next) {
    ConfigDiff diff = ConfigDiff.between(config.get(), next);
    config.set(next);
    ActorRef<ServerInstance.Stopped> ignore = context.getSystem().ignoreRef();
    for (String key : diff.removed()) {
      crashLoops.clear(key);
      instances.retireKey(key);
      instances
          .ofKey(key)
          .forEach(
              server ->
                  server.tell(
                      new ServerInstance.Stop(
                          ServerInstance.StopMode.GRACEFUL, Optional.of(REMOVED), ignore)));
    }
    for (String key : diff.restarted().keySet()) {
      // the new command may well be the fix for a crash loop
      crashLoops.clear(key);
      List<ActorRef<ServerInstance.Command>> oldSpares = instances.retireKey(key);
      oldSpares.forEach(
          spare -> spare.tell(new ServerInstance.Stop(ServerInstance.StopMode.GRACEFUL, ignore)));
      instances.ofKey(key).stream()
          .filter(server -> !oldSpares.contains(server))
          .forEach(server -> server.tell(ServerInstance.Retire.INSTANCE));
    }
    for (String key : diff.updated().keySet()) {
      ServerSpec spec = next.servers().get(key);
      instances.settingsChanged(key, spec);
      if (!diff.restarted().containsKey(key)) {
        instances
            .ofKey(key)
            .forEach(server -> server.tell(new ServerInstance.UpdateSettings(spec)));
      }
      trimSpares(spec);
    }
    for (ServerSpec spec : next.servers().values()) {
      if (!diff.unchanged().contains(spec.key())) {
        spares.fill(spec);
      }
    }
    return diff;
  }

  /** Fewer spares configured than running: the newest extra ones are stopped. */
  private void trimSpares(ServerSpec spec) {
    ActorRef<ServerInstance.Stopped> ignore = context.getSystem().ignoreRef();
    while (instances.spareCount(spec.key()) > spec.spareChildren()) {
      instances
          .takeNewestSpare(spec.key())
          .ifPresent(
              spare ->
                  spare.tell(new ServerInstance.Stop(ServerInstance.StopMode.GRACEFUL, ignore)));
    }
  }
}
