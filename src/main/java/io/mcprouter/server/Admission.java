package io.mcprouter.server;

import io.mcprouter.config.RouterSettings;
import io.mcprouter.observe.SessionEnd;
import io.mcprouter.session.ClientSession;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;

/**
 * Whether a new session fits the router's limits, read from the {@link SessionDirectory}; when a
 * session limit is reached, it makes room by evicting a session that has nothing open. Used only by
 * the registry actor, on its thread.
 */
final class Admission {

  /**
   * {@code message} goes to the client; {@code setting}, which an operator would raise, only to the
   * log.
   */
  record Refusal(String message, String setting) {}

  /** A limit a new session would break, and which sessions may make room for it. */
  private record Limit(Refusal refusal, boolean evictAnyKey, boolean evictable) {}

  private final RouterSettings.Limits limits;
  private final SessionDirectory directory;
  private final Logger log;

  Admission(RouterSettings.Limits limits, SessionDirectory directory, Logger log) {
    this.limits = limits;
    this.directory = directory;
    this.log = log;
  }

  /**
   * The children limit alone: {@code needsChild}, the session would start one more of {@code
   * running}.
   */
  Optional<Refusal> childrenFull(boolean needsChild, int running) {
    return childrenLimit(needsChild, running).map(Limit::refusal);
  }

  /**
   * The limit a new session of {@code key} still breaks after every eviction that could help, if
   * any.
   */
  Optional<Refusal> admit(String key, boolean needsChild, int running) {
    Optional<Limit> limit = limitReached(key, needsChild, running);
    while (limit.isPresent() && evictFor(key, limit.get())) {
      limit = limitReached(key, needsChild, running);
    }
    return limit.map(Limit::refusal);
  }

  private Optional<Limit> limitReached(String key, boolean needsChild, int running) {
    if (directory.size() >= limits.maxSessions()) {
      return Optional.of(
          new Limit(
              new Refusal(
                  "limit reached: the router holds its maximum of "
                      + limits.maxSessions()
                      + " sessions",
                  "mcprouter.limits.max-sessions"),
              true,
              true));
    }
    if (directory.sessionsOf(key) >= limits.maxSessionsPerKey()) {
      return Optional.of(
          new Limit(
              new Refusal(
                  "limit reached: server '"
                      + key
                      + "' has its maximum of "
                      + limits.maxSessionsPerKey()
                      + " sessions",
                  "mcprouter.limits.max-sessions-per-key"),
              false,
              true));
    }
    return childrenLimit(needsChild, running);
  }

  private Optional<Limit> childrenLimit(boolean needsChild, int running) {
    if (needsChild && running >= limits.maxChildren()) {
      // an evicted session's child takes its grace period to exit: eviction would not make room now
      return Optional.of(
          new Limit(
              new Refusal(
                  "limit reached: "
                      + limits.maxChildren()
                      + " servers running, the router's maximum",
                  "mcprouter.limits.max-children"),
              false,
              false));
    }
    return Optional.empty();
  }

  /**
   * Makes room by ending one session that has nothing open (a Streamable session between requests):
   * one that never completed the handshake first, then the one unconnected longest. It ends as if
   * its client had sent DELETE. False when no session in the limit's scope can be evicted.
   */
  private boolean evictFor(String key, Limit limit) {
    if (!limit.evictable()) {
      return false;
    }
    String victimId = null;
    SessionDirectory.Entry victim = null;
    long victimSince = 0;
    for (Map.Entry<String, SessionDirectory.Entry> e : directory.snapshot().entrySet()) {
      SessionDirectory.Entry entry = e.getValue();
      if (entry.outbound() == null || (!limit.evictAnyKey() && !entry.key().equals(key))) {
        continue;
      }
      OptionalLong since = entry.outbound().unconnectedSince();
      if (since.isEmpty()) {
        continue;
      }
      boolean better =
          victim == null
              || (victim.handshakeCompleted() && !entry.handshakeCompleted())
              || (victim.handshakeCompleted() == entry.handshakeCompleted()
                  && since.getAsLong() < victimSince);
      if (better) {
        victimId = e.getKey();
        victim = entry;
        victimSince = since.getAsLong();
      }
    }
    if (victim == null) {
      return false;
    }
    directory.remove(victimId);
    String reason =
        "evicted to make room for a new session of '"
            + key
            + "' ("
            + limit.refusal().message()
            + "); it had nothing open"
            + (victim.handshakeCompleted() ? "" : " and had not completed the handshake");
    if (victim.session() != null) {
      victim.session().tell(new ClientSession.Close(SessionEnd.LIMIT, reason));
    } else {
      log.info(
          "session closed key={} session={} reason={}",
          victim.key(),
          victimId.substring(0, 8),
          reason);
      victim.outbound().complete(SessionEnd.LIMIT); // its session, when it starts, ends as that
    }
    return true;
  }
}
