package io.mcprouter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** mcprouter.health.timeout: 2 s by default, read at start, a zero or missing one refused. */
class HealthSettingsTest {

  private static RouterSettings load(String settings) {
    return RouterSettings.fromConfig(
        ConfigFactory.parseString(settings)
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty())));
  }

  @Test
  void theTimeoutDefaultsTo2sAndIsRead() {
    assertEquals(Duration.ofSeconds(2), load("").healthTimeout());
    assertEquals(Duration.ofMillis(500), load("mcprouter.health.timeout = 500ms").healthTimeout());
  }

  @Test
  void aZeroTimeoutIsRefusedNamingTheSetting() {
    ConfigException refused =
        assertThrows(ConfigException.class, () -> load("mcprouter.health.timeout = 0s"));
    assertTrue(refused.getMessage().contains("mcprouter.health.timeout"), refused.getMessage());
  }
}
