package io.mcprouter.control;

/**
 * Why an operator action had no answer of its own. Only {@link RemoteServerControl} gives these: a
 * local action either answers or its stage fails (a timeout), as any other ask does.
 */
public sealed interface ControlFailure extends ServerListing, StopOutcome
    permits ControlFailure.ProxyUnreachable, ControlFailure.ProxyRefused {

  /** The proxy did not answer, or answered with something that is not the REST envelope. */
  record ProxyUnreachable(String reason) implements ControlFailure {}

  /**
   * The proxy's /admin answered with an error envelope (a wrong admin token, its own timeout):
   * passed on as it came, the proxy's HTTP status, envelope code and message, so the caller sees
   * the cause.
   */
  record ProxyRefused(int httpStatus, int code, String message) implements ControlFailure {}
}
