package io.mcprouter.observe;

/** Why a session ended: the {@code reason} label of {@code mcprouter_sessions_ended_total}. */
public enum SessionEnd {
  /** The client closed it (DELETE, the end of its REST call or 2026-07-28 request). */
  CLIENT_CLOSED("client_closed"),
  /** Its connection went away (FIN/RST) with nothing to resume it. */
  VANISHED("vanished"),
  /** Idle or handshake timeout. */
  IDLE("idle"),
  /** Streamable HTTP: no stream attached for the detached timeout. */
  DETACHED("detached"),
  /** The client did not read its output: its buffer or the router-wide budget overflowed. */
  OVERFLOW("overflow"),
  /** The server stopped (an operator's stop, a crash loop, the router's shutdown). */
  STOPPED("stopped"),
  /** Evicted to make room at a session limit. */
  LIMIT("limit");

  private final String label;

  SessionEnd(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
