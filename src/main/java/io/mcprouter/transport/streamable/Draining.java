package io.mcprouter.transport.streamable;

import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.Behaviors;
import io.mcprouter.jsonrpc.JsonRpcMessage;

/**
 * A {@link ModernCall} whose client has its answer while the child still works on the call, now
 * with an error for what it asked. The call is left to finish rather than cancelled: a child need
 * not answer a cancelled call, and until it answers, the call counts as in flight at a shared
 * child, where its requests to a client could not be told apart from another session's.
 */
final class Draining {

  private Draining() {}

  static Behavior<ModernCall.Command> behavior(ModernCall call) {
    call.timers.startSingleTimer(ModernCall.DrainTimeout.INSTANCE, ModernCall.DRAIN_TIMEOUT);
    return Behaviors.receive(ModernCall.Command.class)
        .onMessage(
            ModernCall.FromServer.class,
            from -> {
              call.outbound.taken();
              if (from.message() instanceof JsonRpcMessage.Response done
                  && call.childCallId.equals(done.id())) {
                return Behaviors.stopped();
              }
              if (from.message() instanceof JsonRpcMessage.Request again) {
                call.refuse(again);
              }
              return Behaviors.same();
            })
        .onMessage(ModernCall.Delivered.class, delivered -> Behaviors.same())
        .onMessage(ModernCall.Opened.class, opened -> Behaviors.same())
        .onMessageEquals(ModernCall.DrainTimeout.INSTANCE, Behaviors::stopped)
        .onMessageEquals(ModernCall.SessionEnded.INSTANCE, Behaviors::stopped)
        .onMessage(ModernCall.ClientGone.class, gone -> Behaviors.same())
        .onMessage(ModernCall.Resume.class, call.inputs::resume)
        .onMessage(ModernCall.InputTimer.class, timer -> Behaviors.same())
        // its client has its answer; the child is left to finish, as above
        .onMessage(ModernCall.Cancel.class, cancel -> Behaviors.same())
        .onSignal(
            PostStop.class,
            signal -> {
              call.onPostStop();
              return Behaviors.same();
            })
        .build();
  }
}
