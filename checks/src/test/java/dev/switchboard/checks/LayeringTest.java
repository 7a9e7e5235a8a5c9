package dev.switchboard.checks;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The forwarder uses {@link Checks}: it must stay plain Java, picocli only in {@link Flags}. */
class LayeringTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.switchboard.checks");

  @Test
  void checksNeedNothingButTheJdk() {
    classes()
        .that()
        .haveSimpleName("Checks")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage("java..", "dev.switchboard.checks..")
        .because("the forwarder depends on it and must not gain picocli (picocli is optional here)")
        .check(MAIN);
  }
}
