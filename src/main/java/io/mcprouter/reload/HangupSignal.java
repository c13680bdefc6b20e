package io.mcprouter.reload;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP reloads the configuration, the Unix daemons' convention. The JVM's own handler would run
 * the shutdown hooks and exit; this one only tells the reloader (a tell does not block the signal
 * dispatch thread). {@code sun.misc.Signal} is the JDK's one supported way (module jdk.unsupported)
 * to handle a signal.
 */
public final class HangupSignal implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HangupSignal.class);
  private static final Signal HUP = new Signal("HUP");

  private final SignalHandler previous;

  private HangupSignal(SignalHandler previous) {
    this.previous = previous;
  }

  /** Installs {@code onHangup} as SIGHUP's handler until {@link #close()}. */
  public static HangupSignal install(Runnable onHangup) {
    return new HangupSignal(Signal.handle(HUP, handler(onHangup)));
  }

  /** What runs on the signal dispatch thread for each SIGHUP. */
  static SignalHandler handler(Runnable onHangup) {
    return signal -> {
      log.info("SIGHUP received: reloading the configuration");
      onHangup.run();
    };
  }

  /** The handler before this one comes back (the JVM's: SIGHUP ends it). */
  @Override
  public void close() {
    Signal.handle(HUP, previous);
  }
}
