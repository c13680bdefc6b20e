package io.mcprouter.jsonrpc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the router's JSON parsers accept from clients and children ({@code mcprouter.json.*}).
 *
 * <p>A tree nested 10,000 deep overflows the stack when it is serialized again, which is a fatal
 * error that ends the JVM; a number of a million digits costs seconds of CPU to convert. Both are
 * refused while parsing, before any tree exists. Each router reads its own limits, and several
 * routers may share one JVM (tests do), so the mappers are per limits, never one configured global.
 */
public record JsonLimits(int maxNestingDepth, int maxNumberLength, int maxStringLength) {

  /** The defaults of reference.conf, for code that parses without a router's settings at hand. */
  public static final JsonLimits DEFAULT = new JsonLimits(256, 1000, 16 * 1024 * 1024);

  private static final Map<JsonLimits, ObjectMapper> MAPPERS = new ConcurrentHashMap<>();

  private static final Pattern DEPTH =
      Pattern.compile("^Document nesting depth \\((\\d+)\\) exceeds");
  private static final Pattern NUMBER =
      Pattern.compile("^Number value length \\((\\d+)\\) exceeds");
  private static final Pattern STRING =
      Pattern.compile("^String value length \\((\\d+)\\) exceeds");
  private static final Pattern NAME = Pattern.compile("^Name length \\((\\d+)\\) exceeds");

  public JsonLimits {
    if (maxNestingDepth < 1 || maxNumberLength < 1 || maxStringLength < 1) {
      throw new IllegalArgumentException(
          "JSON limits must be positive: "
              + maxNestingDepth
              + ", "
              + maxNumberLength
              + ", "
              + maxStringLength);
    }
  }

  /**
   * A mapper whose parsers enforce these limits. Routers with equal limits share one (an
   * ObjectMapper is thread-safe once configured); the map holds one entry per distinct
   * configuration in the JVM.
   */
  public ObjectMapper mapper() {
    return MAPPERS.computeIfAbsent(this, JsonLimits::build);
  }

  private static ObjectMapper build(JsonLimits limits) {
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxNestingDepth(limits.maxNestingDepth)
                    .maxNumberLength(limits.maxNumberLength)
                    .maxStringLength(limits.maxStringLength)
                    .build())
            .build();
    return new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /**
   * The sentence for a refused document, in plain words with the limit's value: it reaches clients,
   * so it names no setting or library (Jackson's own wording names its API, which tells no one
   * anything).
   */
  public String describe(StreamConstraintsException e) {
    String message = String.valueOf(e.getOriginalMessage());
    Matcher m = DEPTH.matcher(message);
    if (m.find()) {
      return "JSON nesting deeper than " + maxNestingDepth + " levels";
    }
    m = NUMBER.matcher(message);
    if (m.find()) {
      return "a number of "
          + m.group(1)
          + " characters, longer than the limit of "
          + maxNumberLength;
    }
    m = STRING.matcher(message);
    if (m.find()) {
      return "a string longer than the limit of " + maxStringLength + " characters";
    }
    m = NAME.matcher(message);
    if (m.find()) {
      return "a property name of "
          + m.group(1)
          + " characters, longer than the limit of "
          + StreamReadConstraints.DEFAULT_MAX_NAME_LEN;
    }
    return message;
  }
}
