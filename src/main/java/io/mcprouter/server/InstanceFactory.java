package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.observe.Observability;

/**
 * Where the registry's instances come from: {@link #real} in the router; in a test, a probe-backed
 * behavior stands where an instance goes, so the registry is tested without child processes.
 */
@FunctionalInterface
public interface InstanceFactory {

  /**
   * See {@link ServerInstance#create(ServerSpec, RouterSettings, ActorRef, StartPermits, boolean)}.
   */
  Behavior<ServerInstance.Command> create(
      ServerSpec spec,
      ActorRef<ServerInstance.Lifecycle> lifecycle,
      StartPermits permits,
      boolean startNow);

  static InstanceFactory real(RouterSettings settings) {
    return real(settings, Observability.off());
  }

  static InstanceFactory real(RouterSettings settings, Observability observability) {
    return (spec, lifecycle, permits, startNow) ->
        ServerInstance.create(
            spec,
            settings,
            lifecycle,
            permits,
            startNow,
            ChildLauncher.processes(spec, settings),
            System::nanoTime,
            observability);
  }
}
