package io.mcprouter.child;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The watchdog's own lifecycle (its sweep after the router's death is PackagedJarIT's SIGKILL
 * test).
 */
class OrphanWatchdogTest {

  @Test
  void aKilledWatchdogIsReplacedAndCarriesNoMarker() throws Exception {
    OrphanWatchdog.ensureRunning();
    long first = OrphanWatchdog.pid();
    assertTrue(first > 0 && Processes.alive(first), "the watchdog runs");
    byte[] environ = Files.readAllBytes(Path.of("/proc/" + first + "/environ"));
    assertFalse(
        new String(environ, StandardCharsets.US_ASCII).contains(ChildMarkers.RUN_VARIABLE + "="),
        "a sweep by this run's marker must not kill the watchdog doing it");

    ProcessHandle.of(first).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL: it sweeps nothing
    Await.until(
        Duration.ofSeconds(10),
        "a new watchdog replaced " + first,
        () -> {
          long now = OrphanWatchdog.pid();
          return now > 0 && now != first && Processes.alive(now);
        });
  }

  @Test
  void aMarkerMatchesOnlyAWholeEnvironmentEntry() {
    byte[] entry = ChildMarkers.entry(ChildMarkers.INSTANCE_VARIABLE, "abc");
    assertTrue(ChildMarkers.holds(environ("PATH=/bin", "MCPROUTER_INSTANCE=abc", "HOME=/"), entry));
    assertTrue(ChildMarkers.holds(environ("MCPROUTER_INSTANCE=abc"), entry));
    assertTrue(ChildMarkers.holds(environ("A=1", "MCPROUTER_INSTANCE=abc"), entry));
    assertFalse(
        ChildMarkers.holds(environ("MCPROUTER_INSTANCE=abcd"), entry),
        "a longer id is another child");
    assertFalse(ChildMarkers.holds(environ("X_MCPROUTER_INSTANCE=abc"), entry), "another variable");
    assertFalse(ChildMarkers.holds(environ("OLD=MCPROUTER_INSTANCE=abc"), entry), "inside a value");
    assertFalse(ChildMarkers.holds(new byte[0], entry), "a zombie's environ is empty");
  }

  /** As /proc/PID/environ holds it: every entry NUL-terminated. */
  private static byte[] environ(String... entries) {
    return (String.join("\0", entries) + "\0").getBytes(StandardCharsets.US_ASCII);
  }
}
