package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import io.mcprouter.child.ChildProcess;
import io.mcprouter.child.StderrTail;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import java.util.function.LongConsumer;

/**
 * What an instance spawns for each generation of its OS process. The real one is a {@link
 * ChildProcess}; a test puts a probe-backed behavior here (the IoT tutorial's probes standing in
 * for children) and plays the child's part through {@code reports} and {@code stdout}.
 */
@FunctionalInterface
public interface ChildLauncher {

  /** {@code stdinBytes} is told the length of each line written to the child's stdin. */
  Behavior<ChildProcess.Command> launch(
      int generation,
      StderrTail stderrTail,
      ChildProcess.StdoutTarget<?, ?> stdout,
      LongConsumer stdinBytes,
      ActorRef<ChildProcess.Report> reports);

  static ChildLauncher processes(ServerSpec spec, RouterSettings settings) {
    return (generation, stderrTail, stdout, stdinBytes, reports) ->
        ChildProcess.create(spec, settings, generation, stderrTail, stdout, stdinBytes, reports);
  }
}
