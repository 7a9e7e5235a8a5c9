package dev.switchboard.discovery.client;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * proto ← discovery-client ← node-agent, cloud-lb: the kit knows neither of its users
 * (docs/architecture.md).
 */
class LayeringTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.switchboard.discovery.client");

  @Test
  void theSubscriberKitImportsNoComponentAndNoEtcd() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.switchboard.agent..",
            "dev.switchboard.lb..",
            "dev.switchboard.controlplane..",
            "io.etcd..")
        .because("node-agent and cloud-lb build on it, never the other way round")
        .check(MAIN);
  }
}
