package io.mcprouter.transport.streamable;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import io.mcprouter.modern.ParkedCalls;
import io.mcprouter.modern.RequestState;
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.server.SessionDirectory;
import java.time.Duration;

/**
 * What every {@link ModernCall} needs from the router; {@code parkedCalls}: the calls that waited
 * for their client's input, by the id their request state names.
 */
record ModernCallContext(
    ActorRef<ServerRegistry.Command> registry,
    SessionDirectory directory,
    Duration askTimeout,
    ActorSystem<?> system,
    RequestState states,
    ParkedCalls<ActorRef<ModernCall.Command>> parkedCalls,
    Duration parkTimeout) {}
