package dev.switchboard.agent;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The node agent talks to the control plane only through the API (docs/architecture.md). */
class LayeringTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.switchboard.agent");

  @Test
  void theAgentImportsNeitherTheControlPlaneNorCloudLbNorEtcd() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.switchboard.controlplane..", "dev.switchboard.lb..", "io.etcd..")
        .because("agents run on every node with the proto API and the forwarder alone")
        .check(MAIN);
  }
}
