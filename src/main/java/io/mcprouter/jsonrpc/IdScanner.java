package io.mcprouter.jsonrpc;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;

/**
 * Reads the top-level members of a document that a limit refused, up to the point where parsing
 * stopped, to find the id of the message. Serializers write "id" first (after "jsonrpc"), so it is
 * usually read before the nested or oversized part. Streaming tokens with the same limits keeps
 * this bounded: no tree is built and nothing deeper than depth 1 is kept.
 */
final class IdScanner {

  /** What stood before the failure point: the id if any, and whether the message was a response. */
  record Head(JsonNode id, boolean response) {}

  private IdScanner() {}

  static Head scan(byte[] bytes, JsonLimits limits) {
    JsonNode id = null;
    boolean method = false;
    boolean answer = false;
    try (JsonParser p = limits.mapper().getFactory().createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return new Head(null, false);
      }
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "id" -> id = idValue(p, value);
          case "method" -> method = true;
          case "result", "error" -> answer = true;
          default -> {}
        }
        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
          p.skipChildren(); // throws at the limit, which ends the scan with what was read so far
        }
      }
    } catch (IOException | RuntimeException stopped) {
      // the limit (or the syntax error after it) is where reading ends
    }
    return new Head(id, answer && !method && id != null);
  }

  private static JsonNode idValue(JsonParser p, JsonToken value) throws IOException {
    if (value == JsonToken.VALUE_STRING) {
      return JsonNodeFactory.instance.textNode(p.getText());
    }
    if (value != JsonToken.VALUE_NUMBER_INT) {
      return null;
    }
    // the same node types readTree builds, so ids compare equal to the ones the router sent
    return switch (p.getNumberType()) {
      case INT -> JsonNodeFactory.instance.numberNode(p.getIntValue());
      case LONG -> JsonNodeFactory.instance.numberNode(p.getLongValue());
      default -> null; // no id the router sends or routes is that long
    };
  }
}
