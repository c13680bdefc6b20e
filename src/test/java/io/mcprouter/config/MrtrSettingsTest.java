package io.mcprouter.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** The multi round-trip settings are checked at start with the rest; a secret is never quoted. */
class MrtrSettingsTest {

  private static RouterSettings load(String settings) {
    return RouterSettings.fromConfig(
        ConfigFactory.parseString(settings)
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty())));
  }

  @Test
  void aShortSecretIsRefusedWithoutBeingQuoted() {
    ConfigException refused =
        assertThrows(ConfigException.class, () -> load("mcprouter.mrtr.secret = \"tooShort\""));
    assertTrue(refused.getMessage().contains("mcprouter.mrtr.secret"), refused.getMessage());
    assertFalse(refused.getMessage().contains("tooShort"), refused.getMessage());
    load("mcprouter.mrtr.secret = \"sixteen-bytes-ok\"");
    load("mcprouter.mrtr.secret = \"\"");
  }

  @Test
  void aZeroParkTimeoutIsRefused() {
    ConfigException refused =
        assertThrows(ConfigException.class, () -> load("mcprouter.mrtr.park-timeout = 0s"));
    assertTrue(refused.getMessage().contains("mcprouter.mrtr.park-timeout"), refused.getMessage());
  }
}
