package dev.switchboard.lb;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** cloud-lb talks to the control plane only through the API (docs/architecture.md). */
class LayeringTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.switchboard.lb");

  @Test
  void cloudLbImportsNeitherTheControlPlaneNorTheAgentNorEtcd() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.switchboard.controlplane..", "dev.switchboard.agent..", "io.etcd..")
        .because("a load balancer sees the cluster through the Discovery stream and the Admin API")
        .check(MAIN);
  }
}
