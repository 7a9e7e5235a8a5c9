package dev.switchboard.controlplane;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The control plane's layering (docs/architecture.md, "Modules and dependencies"), as rules that
 * fail the build when an import breaks them.
 */
class LayeringTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.switchboard.controlplane");

  @Test
  void onlyTheStoreTalksToEtcd() {
    noClasses()
        .that()
        .resideOutsideOfPackage("..controlplane.store..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.etcd..")
        .because("jetcd is hidden behind our own Store API, which speaks our types")
        .check(MAIN);
  }

  @Test
  void thePurePackagesImportNeitherEtcdNorGrpc() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "..controlplane.alloc..",
            "..controlplane.endpoints..",
            "..controlplane.labels..",
            "..controlplane.validation..",
            "..controlplane.registry..",
            "..controlplane.state..",
            "..controlplane.telemetry..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.etcd..", "io.grpc..")
        .because(
            "allocation, validation, endpoints, registries and state are plain Java over our"
                + " Store API, testable without a server")
        .check(MAIN);
  }

  @Test
  void packagesFormNoCycles() {
    slices().matching("dev.switchboard.controlplane.(*)..").should().beFreeOfCycles().check(MAIN);
  }
}
