package io.mcprouter.observe;

/**
 * How a client's request ended, as the router saw it: the metrics' {@code outcome} label, the call
 * log's {@code outcome} field and a tracer's span status. The router's own failures are told apart
 * from the child's answers because an operator acts on them differently.
 */
public enum Outcome {
  /** The child answered with a result. */
  OK("ok"),
  /** The child answered {@code tools/call} with {@code isError: true}: a tool's own failure. */
  TOOL_ERROR("tool_error"),
  /** The child answered with a JSON-RPC error. */
  ERROR("error"),
  /** The client cancelled it, or its session ended before the answer. */
  CANCELLED("cancelled"),
  /** The router failed it: the child did not answer within the request or call timeout. */
  TIMEOUT("timeout"),
  /** The router failed it: the child exited, crashed or was stopped with the request open. */
  CHILD_GONE("child_gone"),
  /** The child's answer was over a size or JSON limit and was replaced by an error. */
  TOO_LARGE("too_large"),
  /** Never sent: a limit (in flight per session, queued while starting) or a stop refused it. */
  REFUSED("refused"),
  /** Never sent: the child's stdin buffer was full. */
  OVERFLOW("overflow");

  private final String label;

  Outcome(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
