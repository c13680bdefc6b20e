package io.mcprouter.observe;

/**
 * What every request of one session shares, built once when the session opens: its key, transport,
 * an 8-character prefix of its id (never the whole id: it is the client's credential), and what its
 * client said of itself at initialize. Owned by the session's server instance and touched only on
 * its thread; a {@link Call} holds it by reference, so a request costs no copy of these.
 */
public final class CallSite {

  private final KeyObservation key;
  private final String sessionPrefix;
  private final CallTransport transport;
  private String clientName = "";
  private String clientVersion = "";
  private String protocolVersion = "";

  CallSite(KeyObservation key, String sessionId, CallTransport transport) {
    this.key = key;
    this.sessionPrefix = sessionId.substring(0, Math.min(8, sessionId.length()));
    this.transport = transport;
  }

  public KeyObservation key() {
    return key;
  }

  public String sessionPrefix() {
    return sessionPrefix;
  }

  public CallTransport transport() {
    return transport;
  }

  public String clientName() {
    return clientName;
  }

  public String clientVersion() {
    return clientVersion;
  }

  /** The revision the client asked for at initialize (or its request's, for 2026-07-28). */
  public String protocolVersion() {
    return protocolVersion;
  }

  /** From the client's initialize; each bounded, since a client chooses them. */
  void client(String name, String version, String protocol) {
    this.clientName = Labels.bounded(name, 64);
    this.clientVersion = Labels.bounded(version, 32);
    this.protocolVersion = Labels.bounded(protocol, 16);
  }
}
