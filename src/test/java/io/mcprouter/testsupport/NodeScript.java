package io.mcprouter.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A node script of it/ running, its stdout collected as it runs (so a chatty script never blocks on
 * a full pipe), its stderr passed to the test's.
 */
public final class NodeScript {

  public static final Path IT = Path.of("it").toAbsolutePath();

  private final String label;
  private final Process process;
  private final CompletableFuture<String> stdout;

  private NodeScript(String label, Process process, CompletableFuture<String> stdout) {
    this.label = label;
    this.process = process;
    this.stdout = stdout;
  }

  public static NodeScript start(String script, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("node", script));
    command.addAll(List.of(args));
    Process process =
        new ProcessBuilder(command)
            .directory(IT.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    CompletableFuture<String> out =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    return new NodeScript(script + " " + String.join(" ", args), process, out);
  }

  /** Waits for exit 0 and returns the last stdout line, parsed as JSON. */
  public JsonNode result() throws Exception {
    assertTrue(process.waitFor(90, TimeUnit.SECONDS), label + " did not finish");
    String text = stdout.get(5, TimeUnit.SECONDS).trim();
    assertEquals(0, process.exitValue(), label + ": " + text);
    String[] lines = text.split("\n");
    return SseTestClient.JSON.readTree(lines[lines.length - 1]);
  }

  /** For a test's clean-up after a failure. */
  public void kill() {
    process.destroyForcibly();
  }
}
