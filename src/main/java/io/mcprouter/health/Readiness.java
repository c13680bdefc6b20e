package io.mcprouter.health;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What {@code /readyz} knows beyond the actor system: whether every port the command asked for is
 * bound. Set once, from the bind's callback; read by every probe on either port.
 */
public final class Readiness {

  private final AtomicBoolean portsBound = new AtomicBoolean();

  public void portsBound() {
    portsBound.set(true);
  }

  boolean arePortsBound() {
    return portsBound.get();
  }
}
