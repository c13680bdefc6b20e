package io.mcprouter.admin;

import akka.http.javadsl.model.StatusCodes;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.config.ConfigDiff;
import io.mcprouter.http.ApiResult;
import io.mcprouter.reload.ConfigReloader;
import java.util.List;
import java.util.Map;

/** {@code POST /admin/reload}'s envelope: what changed (never a secret), or why nothing did. */
final class ReloadAnswer {

  private ReloadAnswer() {}

  static ApiResult of(ConfigReloader.Outcome outcome) {
    if (outcome instanceof ConfigReloader.Applied applied) {
      return ApiResult.ok(applied.diff().summary(), data(applied.diff()));
    }
    if (outcome instanceof ConfigReloader.Invalid invalid) {
      return ApiResult.error(
          StatusCodes.BAD_REQUEST, "invalid configuration, nothing changed: " + invalid.error());
    }
    if (outcome instanceof ConfigReloader.NotApplied notApplied) {
      return ApiResult.error(StatusCodes.SERVICE_UNAVAILABLE, notApplied.reason());
    }
    return ApiResult.ok("no change", data(null));
  }

  private static ObjectNode data(ConfigDiff diff) {
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    if (diff == null) {
      return data;
    }
    strings(data.putArray("added"), diff.added());
    strings(data.putArray("removed"), diff.removed());
    fields(data.putObject("restarted_on_next_use"), diff.restarted());
    fields(data.putObject("updated_in_place"), diff.updated());
    strings(data.putArray("unchanged"), diff.unchanged());
    data.put("access_keys_changed", diff.accessKeysChanged());
    data.put("admin_token_changed", diff.adminTokenChanged());
    strings(data.putArray("needs_restart"), diff.needsRestart());
    return data;
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }

  private static void fields(ObjectNode object, Map<String, List<String>> byKey) {
    byKey.forEach((key, fields) -> strings(object.putArray(key), fields));
  }
}
