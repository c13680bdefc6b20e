package io.mcprouter.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * What the observation keeps per server key, shared by every instance of the key (a per-session key
 * has one per session, on different threads): the data points that need no label lookup per
 * request, and the tool names the key's children listed, the only tool names that become label
 * values, at most {@code maxTools} of them; any other tool counts as {@code other}.
 */
public final class KeyObservation {

  private final String key;
  private final boolean logPayloads;
  private final int maxTools;
  private final Set<String> tools = ConcurrentHashMap.newKeySet();

  /** The stdin queue of each running child of the key, read at scrape time. */
  private final Set<IntSupplier> stdinQueues = ConcurrentHashMap.newKeySet();

  // null when metrics are off
  final McpMetrics metrics;
  final GaugeDataPoint inFlight;
  final CounterDataPoint bytesToChild;
  final CounterDataPoint bytesFromChild;

  KeyObservation(String key, boolean logPayloads, int maxTools, McpMetrics metrics) {
    this.key = key;
    this.logPayloads = logPayloads;
    this.maxTools = maxTools;
    this.metrics = metrics;
    this.inFlight = metrics == null ? null : metrics.inFlight.labelValues(key);
    this.bytesToChild = metrics == null ? null : metrics.bytes.labelValues(key, "to_child");
    this.bytesFromChild = metrics == null ? null : metrics.bytes.labelValues(key, "from_child");
  }

  public String key() {
    return key;
  }

  /** The key's {@code log_payloads}: the call log may then write arguments and results. */
  public boolean logPayloads() {
    return logPayloads;
  }

  /**
   * The tool's label value: its name if a child of the key listed it (within the cap), else other.
   */
  public String toolLabel(String tool) {
    if (tool == null) {
      return "";
    }
    return tools.contains(tool) ? tool : Labels.OTHER;
  }

  void stdinOpened(IntSupplier queued) {
    stdinQueues.add(queued);
  }

  void stdinClosed(IntSupplier queued) {
    stdinQueues.remove(queued);
  }

  /** Messages waiting for the stdin of the key's children, summed over its running children. */
  int stdinQueued() {
    int sum = 0;
    for (IntSupplier queue : stdinQueues) {
      sum += queue.getAsInt();
    }
    return sum;
  }

  int knownTools() {
    return tools.size();
  }

  /** A successful {@code tools/list} result: its names are learned, up to the cap. */
  void learnTools(JsonNode result) {
    JsonNode list = result == null ? null : result.get("tools");
    if (list == null || !list.isArray()) {
      return;
    }
    for (JsonNode tool : list) {
      if (tools.size() >= maxTools) {
        return;
      }
      JsonNode name = tool.get("name");
      if (name != null && name.isTextual() && name.asText().length() <= 128) {
        tools.add(name.asText());
      }
    }
  }
}
